"""Arbitrary input through XML-RPC, as automation would send it.

Whatever a client sends, the server answers with the stored record or a Fault carrying a
UserError/ValidationError (faultCode 2, the message and no traceback), never a server error, and a
refused call changes nothing: the record reads back as before, a refused create leaves no record.

The ORM fuzz tests (``eyrie/tests/test_fuzz.py``, ``eyrie_books/tests/test_fuzz.py``) hold the
validators against outside specifications; here the validators say what to expect, and the tests
check what the RPC layer makes of it.
"""

import json
import re
import uuid
import xmlrpc.client

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eyrie.naming import check_git_ref, check_image_reference, slugify
from eyrie_books.k8s import InvalidKubeconfig, api_client_from_kubeconfig
from eyrie_books.steps import parse_parameters

RPC_FUZZ = settings(
    max_examples=35, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# XML 1.0 carries no NUL, no other C0 control but tab and newline (a CR arrives as a newline), and
# neither U+FFFE nor U+FFFF: a client cannot send them, so neither do these tests.
XML_TEXT = st.characters(
    exclude_categories=["Cs"],
    exclude_characters={chr(code) for code in range(32)} - {"\t", "\n"} | {"\ufffe", "\uffff"},
)
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)
TOKEN = "fuzz-rpc-token-b71c04"

names = st.one_of(
    st.text(XML_TEXT, max_size=70),
    st.sampled_from(["", " ", "-", "a" * 64, "x" * 90, "Été 2026 — Odoo", "abc\n", "日本語", "Shop / Prod"]),
)
slugs = st.one_of(
    st.none(), st.from_regex(r"[a-z0-9][-a-z0-9]{0,64}", fullmatch=True),
    st.text(st.sampled_from("az09-_.A \n"), max_size=66),
)
images = st.one_of(
    st.text(st.sampled_from("abz09:/@._-[]Aé \n"), max_size=50),
    st.text(XML_TEXT, max_size=40),
    st.sampled_from(["nginx:1.27", "ghcr.io/acme/shop:2.0", "localhost:5000/a/b@sha256:" + "a" * 64,
                     "nginx\n", "nginx:été", "Nginx", "a" * 256]),
)
git_refs = st.one_of(
    st.text(st.sampled_from("ab09._/-@{}~^:?*[\\ \tlock"), min_size=1, max_size=30),
    st.text(XML_TEXT, max_size=30),
    st.sampled_from(["main", "release/19.0", "a..b", "x.lock", "-x", "a\n", "v1.2.3"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(XML_TEXT, max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(XML_TEXT, max_size=8), inner, max_size=3),
    max_leaves=8,
)
parameters = st.one_of(
    st.fixed_dictionaries({}, optional={
        "timeout": st.integers(-2, 900) | json_values, "poll": st.floats(-1, 60) | json_values,
        "replicas": st.integers(-2, 5) | json_values, "objects": json_values,
    }).map(json.dumps),
    json_values.map(json.dumps),
    st.text(XML_TEXT, max_size=40),
    st.sampled_from(["", "NaN", '{"timeout": Infinity}', "[" * 5000 + "]" * 5000, '{"poll": 0}']),
)
line_texts = st.one_of(
    st.lists(st.sampled_from(["LOG_LEVEL=info", "A=b=c", "limit_time_cpu = 600", "workers = 3", "", " x "])
             | st.text(XML_TEXT, max_size=12), max_size=4).map("\n".join),
    st.text(XML_TEXT, max_size=40),
)


def kubeconfig(**changes):
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "u", "user": {"token": TOKEN}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
    }
    config.update(changes)
    return yaml.safe_dump(config)


kubeconfigs = st.one_of(
    st.dictionaries(
        st.sampled_from(["clusters", "users", "contexts", "current-context"]), json_values, max_size=2,
    ).map(lambda changes: kubeconfig(**changes)),
    json_values.map(yaml.safe_dump),
    st.text(XML_TEXT, max_size=80),
    st.sampled_from(["", "a: 2001-02-30", "contexts: 5\ncurrent-context: x", "[" * 30000, kubeconfig(),
                     "a: !!binary '%%%'", "{"]),
)


@pytest.fixture(scope="module")
def sandbox(rpc):
    """A project of these tests' own (a generic group, a deployment), a dry-run cluster and a book;
    all removed at the end. Sequences put them last, where other tests look for the first ones."""
    tag = uuid.uuid4().hex[:8]
    no_books = {f"deployment_{action}_book_id": False for action in ("init", "deploy", "pause", "drop")}
    project = rpc("eyrie.project", "create", {"name": f"Fuzz RPC {tag}", "slug": f"fuzz-{tag}", "sequence": 9999})
    group = rpc("eyrie.deployment.group", "create", {
        "name": "Fuzz group", "slug": "fuzz", "project_id": project, "type": "none", "sequence": 9999, **no_books,
    })
    cluster = rpc("eyrie.cluster", "create", {"name": f"Fuzz {tag}", "slug": f"fuzz-{tag}", "dry_run": True})
    scope = rpc("eyrie.scope", "search", [], limit=1)[0]
    deployment = rpc("eyrie.deployment", "create", {
        "name": "fuzzed", "group_id": group, "scope_id": scope, "cluster_ids": [(6, 0, [cluster])],
        "image": "nginx:1.27", "branch": "main", "commit_ref": "v1", "port": 8080,
    })
    book = rpc("eyrie.book", "create", {
        "name": f"Fuzz {tag}", "type": "none", "action": "deploy", "step_ids": [(0, 0, {"kind": "wait_ready"})],
    })
    yield {"project": project, "group": group, "cluster": cluster, "scope": scope, "deployment": deployment,
           "book": book, "step": rpc("eyrie.book", "read", [book], ["step_ids"])[0]["step_ids"][0]}
    deployments = rpc("eyrie.deployment", "search", [("project_id", "=", project)], context={"active_test": False})
    rpc("eyrie.deployment", "unlink", deployments)
    rpc("eyrie.project", "unlink", [project])
    rpc("eyrie.cluster", "unlink", [cluster])
    rpc("eyrie.book", "unlink", [book])


def outcome(call):
    """``(result, None)``, or ``(None, fault)`` for a clear refusal. A Fault of any other kind (a
    traceback) or an HTTP error (ProtocolError) fails the test."""
    try:
        return call(), None
    except xmlrpc.client.Fault as fault:
        assert fault.faultCode == 2, f"not a UserError/ValidationError:\n{fault.faultString[-1500:]}"
        assert fault.faultString.strip(), "a refusal without a message"
        assert "Traceback" not in fault.faultString
        return None, fault


def read(rpc, model, record_id, field):
    return rpc(model, "read", [record_id], [field], context={"active_test": False})[0][field]


# ----------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------

NAMED = {
    "eyrie.project": lambda box: {},
    "eyrie.deployment.group": lambda box: {"project_id": box["project"], "type": "none"},
    "eyrie.deployment": lambda box: {"group_id": box["group"], "scope_id": box["scope"]},
    "eyrie.cluster": lambda box: {},
}


# Deployments name objects with their slug plus a suffix of up to 10 characters, and Services,
# which must start with a letter: their slugs are shorter, and lead with "d-" where needed.
SLUG_RULES = {"eyrie.deployment": (53, "d")}


@pytest.mark.parametrize("model", sorted(NAMED))
@RPC_FUZZ
@given(name=names, slug=slugs)
def test_names(rpc, sandbox, model, name, slug):
    vals = {"name": name, **NAMED[model](sandbox)}
    if slug is not None:
        vals["slug"] = slug
    count = rpc(model, "search_count", [("name", "=", name)], context={"active_test": False})
    record, fault = outcome(lambda: rpc(model, "create", vals))
    if fault:
        assert rpc(model, "search_count", [("name", "=", name)], context={"active_test": False}) == count
        return
    try:
        [stored] = rpc(model, "read", [record], ["name", "slug"])
        assert stored["name"] == name
        max_length, lead = SLUG_RULES.get(model, (63, None))
        assert stored["slug"] == (slug if slug is not None else slugify(name, max_length, lead))
        assert DNS_LABEL.fullmatch(stored["slug"]) and len(stored["slug"]) <= max_length, stored["slug"]
        assert not lead or stored["slug"][0].isalpha(), stored["slug"]
    finally:
        rpc(model, "unlink", [record])


@RPC_FUZZ
@given(name=names)
def test_scope_names(rpc, name):
    scope, fault = outcome(lambda: rpc("eyrie.scope", "create", {"name": name}))
    if fault:
        assert not name, fault.faultString
        return
    try:
        assert read(rpc, "eyrie.scope", scope, "name") == name
    finally:
        rpc("eyrie.scope", "unlink", [scope])


# ----------------------------------------------------------------------
# Fields of a deployment
# ----------------------------------------------------------------------

def write_and_read_back(rpc, model, record_id, field, value):
    """Write ``value``; True if stored, False if refused (then the record reads back as before)."""
    before = rpc(model, "read", [record_id], [field])[0]
    _result, fault = outcome(lambda: rpc(model, "write", [record_id], {field: value}))
    after = rpc(model, "read", [record_id], [field])[0]
    if fault:
        assert after == before, f"a refused write changed the record: {fault.faultString}"
        return False
    assert (after[field] or False) == (value or False)
    return True


@RPC_FUZZ
@given(image=images)
def test_images(rpc, sandbox, image):
    versions = read(rpc, "eyrie.deployment", sandbox["deployment"], "version_ids")
    stored = write_and_read_back(rpc, "eyrie.deployment", sandbox["deployment"], "image", image)
    assert stored == (not image or check_image_reference(image) is None)
    if not stored:
        assert read(rpc, "eyrie.deployment", sandbox["deployment"], "version_ids") == versions


@RPC_FUZZ
@given(field=st.sampled_from(["branch", "commit_ref"]), ref=git_refs)
def test_git_refs(rpc, sandbox, field, ref):
    stored = write_and_read_back(rpc, "eyrie.deployment", sandbox["deployment"], field, ref)
    assert stored == (not ref or check_git_ref(ref) is None)


@RPC_FUZZ
@given(field=st.sampled_from(["env_vars", "odoo_options"]), text=line_texts)
def test_typed_lines(rpc, sandbox, field, text):
    """Environment variables and odoo.conf options are stored only as lines the runs can read."""
    stored = write_and_read_back(rpc, "eyrie.deployment", sandbox["deployment"], field, text)
    pattern = r"[-._a-zA-Z][-._a-zA-Z0-9]*=.*" if field == "env_vars" else r"[a-z_][a-z0-9_]*\s*=.*"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if stored:
        assert all(re.fullmatch(pattern, line) for line in lines)


# ----------------------------------------------------------------------
# Kubeconfigs and step parameters
# ----------------------------------------------------------------------

@RPC_FUZZ
@given(text=kubeconfigs)
def test_kubeconfigs(rpc, sandbox, text):
    before = read(rpc, "eyrie.cluster", sandbox["cluster"], "kubeconfig")
    _result, fault = outcome(lambda: rpc("eyrie.cluster", "write", [sandbox["cluster"]], {"kubeconfig": text}))
    after = read(rpc, "eyrie.cluster", sandbox["cluster"], "kubeconfig")
    if fault:
        assert after == before
        assert "kubeconfig" in fault.faultString
        assert TOKEN not in fault.faultString, "the error quotes the kubeconfig"
        with pytest.raises(InvalidKubeconfig):
            api_client_from_kubeconfig(text)
    else:
        assert (after or False) == (text or False)


@RPC_FUZZ
@given(text=parameters)
def test_step_parameters(rpc, sandbox, text):
    stored = write_and_read_back(rpc, "eyrie.book.step", sandbox["step"], "parameters", text)
    try:
        parse_parameters(text)
        valid = True
    except ValueError:
        valid = False
    assert stored == valid

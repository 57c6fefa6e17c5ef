"""Every object of every type, in every variant the fields allow, as a real cluster would take it.

Each spec below is built and each of its objects (the init Job and the paused workload too) is
checked by :mod:`.validation`: the official Kubernetes schemas in strict mode, the operators' CRD
schemas with pruning and CEL rules, and the operators' own admission rules.
"""
from __future__ import annotations

import base64
import copy
import functools
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from .. import database
from ..builders import Obj, common, objects_for, odoo, pause_patch, pxc, workload
from ..errors import InvalidSpec
from ..operations import DryRunKube
from ..operators import PGO_CLUSTER_NAME_MAX, PGO_POSTGRES_VERSIONS, PXC_CLUSTER_NAME_MAX, PXC_USER_NAME_MAX
from ..spec import DatabaseLink, DeploymentSpec, RegistryCredentials, Source
from . import validation
from .factories import make_spec

REGISTRY = RegistryCredentials("registry.example.com", "bot", "hunter2")
HOST = "acme.example.com"

# Fields every type has, each with the values that change what is built.
COMMON_VARIANTS: dict[str, list[dict[str, Any]]] = {
    "registry": [{}, {"registry": REGISTRY}],
    "network": [{"host": ""}, {"host": HOST}, {"host": HOST, "tls_secret": "acme-tls", "ingress_class": "nginx"}],
    "replicas": [{"replicas": 0}, {"replicas": 1}, {"replicas": 3}],
    "storage": [{}, {"storage_class": "fast-ssd", "storage_size": "20Gi"}],
}
RESOURCES = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
LONGEST = "a" * 53  # the longest name a spec accepts (see spec.NAME_SUFFIXES)
COMMIT = "0123456789abcdef0123456789abcdef01234567"
URL = "https://git.example.com/acme/addons.git"
PUBLIC_SOURCE = Source(URL, COMMIT, "main")
TOKEN_SOURCE = Source(URL, COMMIT, "main", token="glpat-secret")
SSH_SOURCE = Source("git@git.example.com:acme/addons.git", "v1.2", ssh_key="-----BEGIN KEY-----\nx\n",
                    known_hosts="git.example.com ssh-ed25519 AAAA", image="registry.example.com/git:2")

# A database deployment's cluster and the app's user in it (short names, and the longest PGO takes).
WIRED = DatabaseLink("eyrie-acme-db", "db", "web", "web")
WIRED_LONG = DatabaseLink("n" * 63, "c" * PGO_CLUSTER_NAME_MAX, "u" * 53, "acme_production")
WIRED_PXC = DatabaseLink("eyrie-acme-db", "db", "web", "web", engine="pxc")
# MySQL's longest user; a slug's dash in the database name, which MySQL gets as "_".
WIRED_PXC_LONG = DatabaseLink("n" * 63, "c" * PXC_CLUSTER_NAME_MAX, "u" * PXC_USER_NAME_MAX, "acme-production",
                              engine="pxc", haproxy=False)
# What PGO writes in a user's Secret (values made up).
OPERATOR_SECRET_DATA = {key: base64.b64encode(key.encode()).decode()
                        for key in ("host", "port", "user", "password", "dbname", "uri", "jdbc-uri", "verifier")}

# Per type: the settings and fields that change its objects.
TYPE_VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "odoo": {
        "pgo-secret": {"settings": {"db_secret": "db-pguser-odoo"}},
        "pgo-secret-named-db": {"settings": {"db_secret": "db-pguser-odoo", "db_name": "acme", "workers": 4},
                                "env": {"TZ": "UTC"}, "resources": RESOURCES},
        "explicit-db": {"settings": {"db_host": "db-primary.eyrie-acme.svc", "db_user": "odoo",
                                     "db_password_secret": "odoo-db", "db_port": 5433, "fs_group": 0}},
        "longest-name": {"name": LONGEST, "settings": {"db_secret": "db-pguser-odoo"}},
        "public-source": {"settings": {"db_secret": "db-pguser-odoo"}, "source": PUBLIC_SOURCE},
        "token-source": {"settings": {"db_secret": "db-pguser-odoo"}, "source": TOKEN_SOURCE},
        "ssh-source": {"settings": {"db_secret": "db-pguser-odoo"}, "source": SSH_SOURCE},
        "wired": {"settings": {}, "database": WIRED},
        "wired-named-db-source": {"settings": {"workers": 4}, "database": WIRED_LONG, "source": TOKEN_SOURCE},
        "external-password": {"settings": {"db_host": "pg.example.com", "db_user": "odoo",
                                           "db_password_secret": "web-database"}, "db_password": "pw"},
    },
    "pgo": {
        **{f"postgres-{version}": {"settings": {"postgres_version": version}} for version in PGO_POSTGRES_VERSIONS},
        "defaults": {"settings": {}},
        "users": {"settings": {"instances": 3, "backup_size": "50Gi", "users": [
            {"name": "odoo", "databases": ["acme", "acme-test"], "options": "CREATEDB"},
            {"name": "report", "databases": ["acme"], "password": {"type": "AlphaNumeric"}},
        ]}},
        "own-image": {"image": "registry.example.com/postgres:16.4", "resources": RESOURCES},
        "long-name": {"name": "acme-shop-production-postgres-cluster"},
        "longest-name": {"name": LONGEST},
    },
    "pxc": {
        "defaults": {"image": "", "settings": {}},
        "no-haproxy": {"settings": {"haproxy": False, "size": 5}},
        "sizes": {"settings": {"size": 5, "haproxy_size": 2}, "resources": RESOURCES},
        "older-release": {"image": "percona/percona-xtradb-cluster:8.0.36",
                          "settings": {"cr_version": "1.15.0", "haproxy_image": "percona/haproxy:2.8.5"}},
        "unsafe-single": {"settings": {"unsafe": True, "size": 1, "haproxy_size": 1}},
        "unsafe-even-no-haproxy": {"settings": {"unsafe": True, "size": 2, "haproxy": False}},
        "long-name": {"name": "acme-shop-production-mysql"},
        "longest-name": {"name": LONGEST},
        "apps-users": {"settings": {"users": [pxc.user_entry("db", "web", "web"),
                                              pxc.user_entry("db", "u" * PXC_USER_NAME_MAX, "acme-production")]}},
    },
    "none": {
        "web": {"port": 8080, "env": {"GREETING": "hello"}},
        "worker": {"port": None, "env": {}},
        "worker-env": {"port": None, "env": {"QUEUE": "jobs"}, "resources": RESOURCES},
        "longest-name": {"name": LONGEST},
        "token-source": {"port": 8080, "source": Source(URL, COMMIT, "main", token="t", path="/srv/app")},
        "ssh-source-worker": {"port": None, "source": Source(URL, COMMIT, ssh_key="k", known_hosts="h", path="/app")},
        "secret-env": {"port": 8080, "env": {"LOG_LEVEL": "info"}, "secret_env": {"API_KEY": "s3cret", "x.y": "z"}},
        "secret-env-only-worker": {"port": None, "env": {}, "secret_env": {"TOKEN": "t"}},
        "command-args": {"command": ("/bin/sh", "-c"), "args": ("exec app --port 8080",)},
        "args-only-worker": {"port": None, "args": ("--queue", "jobs")},
        "volume": {"volume_path": "/var/lib/app"},
        "volume-worker-all": {"port": None, "volume_path": "/data", "secret_env": {"TOKEN": "t"},
                              "command": ("worker",), "source": Source(URL, COMMIT, "main", token="t", path="/app")},
        "wired": {"port": 8080, "database": WIRED},
        "wired-worker-env": {"port": None, "database": WIRED_LONG, "env": {"QUEUE": "jobs"},
                             "secret_env": {"TOKEN": "t"}, "volume_path": "/data"},
        "wired-pxc": {"port": 8080, "database": WIRED_PXC},
        "wired-pxc-worker-env": {"port": None, "database": WIRED_PXC_LONG, "env": {"QUEUE": "jobs"}},
    },
}


def all_variants() -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, overrides) for every type variant crossed with every combination of common fields."""
    for type_, variants in TYPE_VARIANTS.items():
        for variant, fields in variants.items():
            for combination in itertools.product(*COMMON_VARIANTS.values()):
                overrides: dict[str, Any] = {}
                for part in combination:
                    overrides.update(part)
                overrides.update(fields)
                labels = [f"{key}{COMMON_VARIANTS[key].index(part)}"
                          for key, part in zip(COMMON_VARIANTS, combination, strict=True)]
                yield "-".join([type_, variant, *labels]), {"type_": type_, **overrides}


VARIANTS = dict(all_variants())


def built(spec: DeploymentSpec) -> list[Obj]:
    """Everything Eyrie sends for ``spec``: its objects, the init Job, the paused workload."""
    objects = objects_for(spec)
    if spec.type == "odoo":
        objects += [odoo.init_job(spec), odoo.update_job(spec, ["sale", "stock"])]
    target, patch, _subresource = pause_patch(spec, True)
    paused = copy.deepcopy(target)
    for key, value in patch["spec"].items():
        paused["spec"][key] = value
    return [*objects, paused]


def wired(spec: DeploymentSpec) -> list[Obj]:
    """For an app wired to a database deployment: its copy of the user's Secret (and, for PXC,
    that Secret), and the database's cluster once the app's user is added to it (built and patched
    as the steps do; the database's images are pulled with the database's own pull secret)."""
    link = spec.database
    if link is None:
        return []
    kube = DryRunKube()
    database_spec = make_spec(link.engine, name=link.cluster, namespace=link.namespace)
    kube.ensure(workload(database_spec))
    assert database.add_user(kube, link) is True
    cluster = kube.read(database.database_cluster(link))
    assert cluster is not None
    if link.engine == "pxc":
        password = database.password_secret(spec)
        return [pxc.users_secret(database_spec), password, database.credentials_secret(spec, password), cluster]
    return [database.credentials_secret(spec, {"data": OPERATOR_SECRET_DATA}), cluster]


@pytest.fixture(scope="module", params=sorted(VARIANTS), ids=str)
def spec(request: pytest.FixtureRequest) -> DeploymentSpec:
    overrides = dict(VARIANTS[request.param])
    return make_spec(overrides.pop("type_"), **overrides)


@functools.cache
def _errors(text: str) -> list[str]:
    """The errors of one object given as JSON: variants share many objects, each is checked once."""
    return validation.errors(json.loads(text))


def test_every_object_is_accepted(spec: DeploymentSpec) -> None:
    found = {
        f"{obj['kind']} {obj['metadata']['name']}": problems
        for obj in [*built(spec), *wired(spec)]
        if (problems := _errors(json.dumps(obj, sort_keys=True)))
    }
    assert found == {}


def test_every_reference_is_to_a_built_object(spec: DeploymentSpec) -> None:
    # Only the database secrets of an odoo spec are made elsewhere (by PGO, or by hand), and the
    # password Secrets of a PXC cluster's users (by their apps' runs).
    external = [spec.setting(key) for key in ("db_secret", "db_password_secret") if spec.setting(key)]
    if spec.type == "pxc":
        external += [user["passwordSecretRef"]["name"] for user in spec.setting("users") or []]
    assert validation.reference_errors([*built(spec), *wired(spec)], external) == []


def test_every_image_is_pulled_with_the_pull_secret(spec: DeploymentSpec) -> None:
    if spec.registry is None:  # no Secret to name
        assert "imagePullSecrets" not in json.dumps(built(spec))
        return
    gaps = [gap for obj in built(spec) for gap in validation.pull_secret_gaps(obj, common.pull_secret_name(spec))]
    assert gaps == []


# --- the checks catch what a cluster refuses ----------------------------------------------------


def _pxc_object(**settings: Any) -> Obj:
    return pxc.pxc_cluster(make_spec("pxc", settings={"unsafe": True, **settings}))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda obj: obj["spec"]["pxc"].update(sizee=3), ".spec.pxc.sizee: pruned"),
        (lambda obj: obj["spec"].update(unsafeFlags={"pxcSize": True, "proxysize": True}),
         ".spec.unsafeFlags.proxysize: pruned"),
        (lambda obj: obj["spec"]["pxc"].update(size="3"), "'3' is not of type 'integer'"),
        (lambda obj: obj["spec"]["pxc"].update(expose={"enabled": True, "type": "ClusterIP",
                                                       "loadBalancerClass": "x"}),
         "'loadBalancerClass' can only be set when service type is 'LoadBalancer'"),
    ],
)
def test_crd_check_refuses_what_the_api_server_would(change: Any, expected: str) -> None:
    obj = _pxc_object()
    assert validation.crd_errors(obj) == []
    change(obj)
    assert any(expected in problem for problem in validation.crd_errors(obj))


def test_crd_check_runs_cel_rules_and_keeps_preserved_fields() -> None:
    cluster = workload(make_spec("pgo"))
    cluster["spec"]["users"][0]["options"] = "SUPERUSER PASSWORD 'x'"
    cluster["spec"]["instances"][0]["dataVolumeClaimSpec"]["accessModes"] = []
    cluster["spec"]["config"] = {"parameters": {"work_mem": "64MB"}}  # a preserved map
    problems = validation.crd_errors(cluster)
    assert any("cannot assign password" in problem for problem in problems)
    assert any("missing accessModes" in problem for problem in problems)
    assert not any("config" in problem for problem in problems)


@pytest.mark.parametrize(
    ("settings", "name", "expected"),
    [
        ({"size": 1}, "mysql", "spec.pxc.size: 1 must be odd"),
        ({"size": 4}, "mysql", "spec.pxc.size: 4 must be odd"),
        ({"size": 7}, "mysql", "spec.pxc.size: 7 must be odd"),
        ({"haproxy_size": 1}, "mysql", "spec.haproxy.size: must be at least 2"),
        ({}, "acme-shop-production-mysql", "cluster name (acme-shop-production-mysql) too long"),
    ],
)
def test_operator_rules_refuse_what_the_pxc_operator_would(settings: dict[str, Any], name: str,
                                                           expected: str) -> None:
    obj = _pxc_object(**settings)
    obj["spec"]["unsafeFlags"] = {"pxcSize": False, "proxySize": False}
    obj["metadata"]["name"] = name
    assert any(expected in problem for problem in validation.operator_rule_errors(obj))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "root"}, "spec.users.0: name 'root' is empty or reserved"),
        ({"name": "u" * 33}, "is over MySQL's 32 characters"),
        ({"dbs": ["acme-shop"]}, "dbs: 'acme-shop' is not a plain MySQL identifier"),
        ({"grants": ["SUPER"]}, "grants: 'SUPER' is not a privilege of a database"),
        ({"grants": [], "withGrantOption": True}, "withGrantOption is set but no grants are provided"),
        ({"passwordSecretRef": {"name": ""}}, "passwordSecretRef name is not set"),
    ],
)
def test_operator_rules_refuse_pxc_users_the_operator_would_skip_or_fail_on(change: dict[str, Any],
                                                                          expected: str) -> None:
    obj = _pxc_object(users=[pxc.user_entry("mysql", "web", "acme-shop")])
    assert validation.operator_rule_errors(obj) == []
    obj["spec"]["users"][0].update(change)
    assert any(expected in problem for problem in validation.operator_rule_errors(obj))


def test_builtin_check_is_strict() -> None:
    deployment = workload(make_spec("none"))
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullSecret"] = "x"
    assert validation.builtin_errors(deployment) == [
        ".spec.template.spec.containers.0: Additional properties are not allowed "
        "('imagePullSecret' was unexpected)"
    ]


def test_builtin_check_agrees_with_kubernetes_validate() -> None:
    """The cached validators find what the library's own entry point finds, object by object."""
    spec = make_spec("odoo", registry=REGISTRY)
    broken = copy.deepcopy(built(spec))
    for obj in broken:
        obj["spec" if "spec" in obj else "metadata"]["unknownField"] = 1
    for obj in built(spec) + broken:
        assert validation.builtin_errors(obj)[:1] == validation.library_errors(obj), obj["kind"]


def test_pull_secret_check_sees_a_component_without_it() -> None:
    obj = pxc.pxc_cluster(make_spec("pxc", registry=REGISTRY))
    del obj["spec"]["haproxy"]["imagePullSecrets"]
    assert validation.pull_secret_gaps(obj, "mysql-registry") == [
        "PerconaXtraDBCluster mysql: haproxy pulls images without 'mysql-registry'"
    ]


# --- what Eyrie refuses before sending, naming the setting -------------------------------------


@pytest.mark.parametrize(
    ("type_", "overrides", "field"),
    [
        ("pxc", {"settings": {"size": 2}}, "settings.size"),
        ("pxc", {"settings": {"size": 1}}, "settings.size"),
        ("pxc", {"settings": {"size": 7}}, "settings.size"),
        ("pxc", {"settings": {"haproxy_size": 1}}, "settings.haproxy_size"),
        ("pxc", {"settings": {"unsafe": "yes", "size": 1}}, "settings.unsafe"),
        ("pxc", {"settings": {"cr_version": "latest"}}, "settings.cr_version"),
        ("pxc", {"settings": {"haproxy": "off"}}, "settings.haproxy"),
        ("pgo", {"settings": {"postgres_version": 12}}, "settings.postgres_version"),
        ("pgo", {"settings": {"users": [{"name": "odoo", "database": ["acme"]}]}}, "settings.users"),
        ("pgo", {"settings": {"users": [{"name": "Odoo"}]}}, "settings.users"),
        ("pgo", {"settings": {"users": [{"name": "odoo", "options": "PASSWORD 'x'"}]}}, "settings.users"),
        ("pgo", {"settings": {"users": [{"name": "odoo"}, {"name": "odoo"}]}}, "settings.users"),
        ("pgo", {"settings": {"backup_size": "lots"}}, "settings.backup_size"),
    ],
)
def test_eyrie_refuses_what_an_operator_would(type_: str, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidSpec) as info:
        make_spec(type_, **overrides)
    assert info.value.field == field


@pytest.mark.parametrize(("type_", "limit"), [("pxc", 22), ("pgo", 37)])
def test_database_cluster_names_are_short_stable_and_distinct(type_: str, limit: int) -> None:
    name = "acme-shop-production-database-cluster-eu"
    cluster = workload(make_spec(type_, name=name))
    assert len(cluster["metadata"]["name"]) == limit
    assert cluster["metadata"]["name"].startswith("acme-shop-prod")
    assert workload(make_spec(type_, name=name))["metadata"]["name"] == cluster["metadata"]["name"]
    assert workload(make_spec(type_, name=f"{name}2"))["metadata"]["name"] != cluster["metadata"]["name"]
    # A name that fits is kept as it is: clusters made before keep theirs.
    assert workload(make_spec(type_, name="shop-db"))["metadata"]["name"] == "shop-db"


def test_pxc_secret_follows_the_cluster_name() -> None:
    cluster = workload(make_spec("pxc", name="acme-shop-production-mysql"))
    assert cluster["metadata"]["name"] == "acme-shop-prod-9a74de2"
    assert cluster["spec"]["secretsName"] == "acme-shop-prod-9a74de2-secrets"

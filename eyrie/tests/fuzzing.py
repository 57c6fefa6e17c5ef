"""Hypothesis strategies and oracles for the fuzz tests of the Eyrie addons.

The oracles are written from the outside specifications (RFC 1123 labels, the grammar of
github.com/distribution/reference, ``git check-ref-format``), not from ``eyrie.naming``: a fuzz test
that asked the validator under test whether the validator is right could not fail.

Each example of a fuzz test runs in :func:`rolled_back`; the operation under test runs in
:func:`attempt`, which tells a clear refusal (``ValidationError``/``UserError`` with a message, or a
declared unique constraint — which the RPC layer turns into a ``ValidationError``) from anything
else, which it lets through to fail the test.
"""

import re
import subprocess
from contextlib import contextmanager

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from psycopg2.errors import UniqueViolation

from odoo.exceptions import UserError, ValidationError

# Few examples, no example database (runs must not leave files behind), no deadline (the ORM's
# timings vary with the load of the machine).
FUZZ = settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# PostgreSQL text cannot hold NUL, nor UTF-8 a lone surrogate: every Char field of Odoo fails on
# them in the database driver (ValueError, UnicodeEncodeError), whatever the model. That is Odoo's
# limit, not one these tests are about.
TEXT = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)

# Names people type, and names that have broken slug makers before.
TRICKY_NAMES = [
    "", " ", "-", "---", "_", "a", "A", "1", "1abc", "a" * 63, "a" * 64, "x" * 100, "Été 2026 — Odoo",
    "abc\n", "\nabc", "a\tb", "ǅungla", "ﬁle", "İstanbul", "\u212aelvin", "ß", "日本語", "🙂 smile", "a\u0301",
    "Shop / Prod", "shop..prod", "UPPER_lower-Mixed", "‐‑–—", "\u00a0nbsp\u00a0",
]
names = st.one_of(
    st.text(TEXT, max_size=80),
    st.from_regex(r"[A-Za-z0-9 _.\-éÉßİ]{0,70}", fullmatch=True),
    st.sampled_from(TRICKY_NAMES),
)
# An explicit short name, or none (the record makes one from its name).
slugs = st.one_of(
    st.none(),
    st.from_regex(r"[a-z0-9][-a-z0-9]{0,64}", fullmatch=True),
    st.text(st.sampled_from("abz09-_.A \n"), max_size=70),
    st.sampled_from(["", "a", "-a", "a-", "a" * 63, "a" * 64, "web\n", "Web", "we b"]),
)


def is_dns_label(value):
    return isinstance(value, str) and DNS_LABEL.fullmatch(value) is not None


# ----------------------------------------------------------------------
# Image references: github.com/distribution/reference, regexp.go (RE2: \w is ASCII, $ is the end)
# ----------------------------------------------------------------------
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[_.]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])"
_NAME = rf"(?:{_HOST}(?::[0-9]+)?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(rf"({_NAME})(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)


def is_image_reference(value):
    """What a container runtime accepts (the name part is at most 255 characters)."""
    match = REFERENCE.fullmatch(value)
    return bool(match) and len(match.group(1)) <= 255


_LOWER_ALNUM = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), min_size=1, max_size=6)
_WORD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


@st.composite
def _path_component(draw, first=False):
    parts = draw(st.lists(_LOWER_ALNUM, min_size=1, max_size=3))
    # Without a registry, a first component with a dot would be read as one (as docker does).
    separators = st.sampled_from(["_", "__", "-", "--"] if first else [".", "_", "__", "-", "--"])
    return parts[0] + "".join(draw(separators) + part for part in parts[1:])


@st.composite
def valid_images(draw):
    """References a runtime accepts and whose registry (if any) has a dot, a port or is localhost."""
    registry = draw(st.sampled_from(["", "ghcr.io/", "localhost:5000/", "registry.example.com/", "[::1]:5000/"]))
    components = [draw(_path_component(first=not registry and index == 0)) for index in range(draw(st.integers(1, 3)))]
    path = "/".join(components)
    if not registry and path.startswith("localhost/"):  # that would name a registry
        path = f"x{path}"
    tag = ""
    if draw(st.booleans()):
        tag = ":" + draw(st.sampled_from(_WORD)) + draw(st.text(st.sampled_from(_WORD + ".-"), max_size=20))
    digest = "@sha256:" + draw(st.text(st.sampled_from("0123456789abcdef"), min_size=64, max_size=64)) if draw(
        st.booleans()) else ""
    return f"{registry}{path}{tag}{digest}"


images = st.one_of(
    valid_images(),
    # A valid reference with one character inserted, replaced or dropped somewhere.
    st.tuples(valid_images(), st.integers(0, 200), st.sampled_from(["insert", "replace", "drop"]), TEXT).map(
        lambda t: _mutate(*t),
    ),
    st.text(TEXT, max_size=60),
    st.text(st.sampled_from("aZ0:/@.-_[]é \n"), max_size=40),
    st.sampled_from([
        "", " nginx", "nginx ", "nginx\n", "nginx\n:1.0", "nginx:été", "nginx:1\n@sha256:" + "a" * 64,
        "Nginx", "nginx:", "nginx@", "@sha256:" + "a" * 64, "a" * 256, "a/" * 130 + "b", ":tag", "//a", "a//b",
        "host:port/a", "[::1]/a", "localhost/a", "UPPER.io/a", "a:" + "1" * 129,
    ]),
)


def _mutate(value, index, how, char):
    index %= len(value) + 1
    if how == "insert":
        return value[:index] + char + value[index:]
    if how == "replace":
        return value[:index] + char + value[index + 1:]
    return value[:index] + value[index + 1:]


# ----------------------------------------------------------------------
# Git refs: the oracle is git itself
# ----------------------------------------------------------------------
git_refs = st.one_of(
    st.text(st.sampled_from("Aa0._/-"), min_size=1, max_size=30),
    st.lists(st.text(st.sampled_from("ab.-_@{}~^:?*[\\ /\x7f\t\nlockéé"), min_size=1, max_size=8), min_size=1,
             max_size=4).map("/".join),
    st.text(TEXT, max_size=40),
    st.sampled_from(["main", "release/19.0", "a..b", "a.lock", "a/.b", "@", "a@{1}", "end.", "/a", "a/", "-x", "a\n"]),
)


def is_git_ref(value):
    """What ``git check-ref-format --allow-onelevel`` accepts; a leading '-' (an option to git, a
    branch name git refuses) is refused outright."""
    if value.startswith("-"):
        return False
    result = subprocess.run(["git", "check-ref-format", "--allow-onelevel", value], capture_output=True)
    return result.returncode == 0


# ----------------------------------------------------------------------
# Running examples
# ----------------------------------------------------------------------
@contextmanager
def rolled_back(env):
    """Each example starts from the same data: whatever it did is rolled back."""
    savepoint = env.cr.savepoint()
    try:
        yield
    finally:
        savepoint.close(rollback=True)


def attempt(test, model, operation):
    """Run ``operation`` in a savepoint (flushed); return ``(result, None)`` or ``(None, error)``
    for a clear refusal. Anything else fails the test with the exception itself."""
    try:
        with model.env.cr.savepoint():
            result = operation()
            model.env.flush_all()
    except (ValidationError, UserError) as error:
        test.assertTrue(str(error).strip(), f"{type(error).__name__} without a message")
        test.assertNotIn("Traceback", str(error))
        event(f"refused: {type(error).__name__}")
        return None, error
    except UniqueViolation as error:
        # The ORM leaves declared SQL constraints to the database; RPC turns them into a ValidationError.
        test.assertIn(error.diag.constraint_name, model._table_objects, "an undeclared unique index")
        event("refused: unique constraint")
        return None, error
    event("stored")
    return result, None

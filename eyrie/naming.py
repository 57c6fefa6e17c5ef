"""Names that must survive outside Odoo: Kubernetes names, image references, git refs.

Plain Python (no Odoo import) so the rules can be read and tested on their own. Each ``check_*``
function returns ``None`` when the value is acceptable, or a short English reason otherwise; the
models turn the reason into a translated ``ValidationError``.

>>> slugify("Hello World / Prod")
'hello-world-prod'
>>> check_image_reference("ghcr.io/acme/odoo:19.0")
>>> check_image_reference("Acme/Odoo")
'the repository path must be lowercase letters, digits and separators'
>>> check_git_ref("feature/login")
>>> check_git_ref("bad..name")
"it must not contain '..'"
"""

import hashlib
import re
import unicodedata

DNS_LABEL_MAX = 63
# The patterns are used with fullmatch(): re.match() with "$" would accept a trailing newline. ASCII:
# Python's \w and \d take any Unicode letter or digit, which Kubernetes and registries refuse.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

# The grammar of github.com/distribution/reference, the one container runtimes apply.
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*"
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_DOMAIN_RE = re.compile(rf"{_DOMAIN}")
IMAGE_NAME_MAX = 255

# git check-ref-format: characters and sequences a ref may not contain.
_GIT_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def check_dns_label(value, max_length=DNS_LABEL_MAX, letter_first=False):
    """Reason why ``value`` is not a DNS-1123 label (a Kubernetes object name) of at most
    ``max_length`` characters, starting with a letter where ``letter_first`` (DNS-1035, the rule
    for Service names), or None.

    >>> check_dns_label("2024-shop", letter_first=True)
    'it must start with a letter'
    """
    if not value:
        return "it is empty"
    if len(value) > max_length:
        return f"it is longer than {max_length} characters"
    if not _DNS_LABEL.fullmatch(value):
        return "use lowercase letters, digits and '-', starting and ending with a letter or digit"
    if letter_first and not value[0].isalpha():
        return "it must start with a letter"
    return None


def slugify(text, max_length=DNS_LABEL_MAX, lead=None):
    """A DNS-1123 label made from free text; long ones keep a hash suffix so they stay unique.
    With ``lead``, a letter, a slug that would start with a digit starts with ``lead-``.

    >>> slugify("Été 2026 — Odoo")
    'ete-2026-odoo'
    >>> len(slugify("x" * 100))
    63
    >>> slugify("2024 Shop", lead="d")
    'd-2024-shop'
    """
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if lead and slug[:1].isdigit():
        slug = f"{lead}-{slug}"
    return clip_label(slug, max_length)


def clip_label(label, max_length=DNS_LABEL_MAX):
    """Shorten a label to ``max_length`` keeping it unique (a hash of the whole) and valid.

    >>> clip_label("a" * 70)[-7:]
    '-ed6c69'
    """
    if len(label) <= max_length:
        return label
    digest = hashlib.sha1(label.encode()).hexdigest()[:6]
    return f"{label[: max_length - 7].rstrip('-')}-{digest}"


def check_image_reference(reference):
    """Reason why ``reference`` is not a valid OCI image reference, or None.

    >>> check_image_reference("postgres@sha256:" + "a" * 64)
    >>> check_image_reference("localhost:5000/odoo:19")
    >>> check_image_reference("odoo:")
    "the tag must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
    """
    if not reference:
        return "it is empty"
    if reference != reference.strip():
        return "it has leading or trailing spaces"
    name, digest = reference, None
    if "@" in name:
        name, digest = name.split("@", 1)
        if not _DIGEST.fullmatch(digest):
            return "the digest must look like 'sha256:<hex>'"
    tag = None
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.fullmatch(tag):
            return "the tag must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
    if not name:
        return "the image name is missing"
    if len(name) > IMAGE_NAME_MAX:
        return f"the image name is longer than {IMAGE_NAME_MAX} characters"
    first, _, rest = name.partition("/")
    # As in the reference grammar, the first component is a registry only if it looks like a host.
    if rest and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        if not _DOMAIN_RE.fullmatch(first):
            return "the registry host is not a valid host name"
        name = rest
    if not _PATH.fullmatch(name):
        return "the repository path must be lowercase letters, digits and separators"
    return None


def check_git_ref(ref):
    """Reason why ``ref`` is not a valid git branch or tag name (git check-ref-format), or None.

    >>> check_git_ref("release/19.0")
    >>> check_git_ref("-x")
    "it must not start with '-'"
    """
    if not ref:
        return "it is empty"
    if _GIT_FORBIDDEN.search(ref):
        return "it must not contain spaces, control characters or any of ~ ^ : ? * [ \\"
    if ref.startswith("-"):
        return "it must not start with '-'"
    if ref == "@":
        return "it must not be '@'"
    if ".." in ref:
        return "it must not contain '..'"
    if "@{" in ref:
        return "it must not contain '@{'"
    if ref.startswith("/") or ref.endswith("/") or "//" in ref:
        return "it must not start or end with '/' or contain '//'"
    if ref.endswith("."):
        return "it must not end with '.'"
    for component in ref.split("/"):
        if component.startswith("."):
            return "no part of it may start with '.'"
        if component.endswith(".lock"):
            return "no part of it may end with '.lock'"
    return None

"""Push events from GitHub, GitLab and Gitea/Forgejo, verified and read, as plain Python.

:func:`read_push` takes a delivery's headers and body and the repository's webhook secret, and
returns a :class:`Push` (branch and commit) or raises :class:`Refused` with the HTTP status to
answer. It checks the provider's proof before it parses anything: GitHub and Gitea/Forgejo sign the
body with HMAC-SHA256 of the secret (``X-Hub-Signature-256: sha256=<hex>``, ``X-Gitea-Signature:
<hex>``), GitLab sends the secret itself (``X-Gitlab-Token``); all compared in constant time.

>>> import hmac, json
>>> body = json.dumps({"ref": "refs/heads/main", "after": "a" * 40}).encode()
>>> signature = "sha256=" + hmac.new(b"s3cret", body, "sha256").hexdigest()
>>> read_push({"X-GitHub-Event": "push", "X-GitHub-Delivery": "d1", "X-Hub-Signature-256": signature},
...           body, "s3cret")
Push(provider='github', delivery='d1', event='push', branch='main', commit='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
>>> read_push({"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=00"}, body, "s3cret")
Traceback (most recent call last):
...
eyrie.webhooks.Refused: 401: the signature does not match the repository's webhook secret
"""

import dataclasses
import hashlib
import hmac
import json
import re

# Past this a delivery is refused before it is read (GitHub caps its payloads at 25 MB; a push of
# a few commits is a few kB).
MAX_BODY = 1024 * 1024
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_ZERO = re.compile(r"0+")


class Refused(Exception):
    """A delivery that changes nothing; ``status`` is the HTTP status to answer."""

    def __init__(self, status, reason):
        super().__init__(f"{status}: {reason}")
        self.status, self.reason = status, reason


@dataclasses.dataclass(frozen=True)
class Push:
    provider: str
    delivery: str
    event: str
    branch: str = ""  # empty for an event that is not a push to a branch (a ping, a tag)
    commit: str = ""


# Per service: its event header and its delivery id header. Gitea and Forgejo also send GitHub's
# headers, so they are looked for first.
_SERVICES = (
    ("gitea", "X-Gitea-Event", "X-Gitea-Delivery"),
    ("gitea", "X-Forgejo-Event", "X-Forgejo-Delivery"),
    ("gitlab", "X-Gitlab-Event", "X-Gitlab-Event-UUID"),
    ("github", "X-GitHub-Event", "X-GitHub-Delivery"),
)


def read_push(headers, body, secret):
    """The push a delivery announces, once its proof is checked (see the module doc)."""
    provider, event, delivery = next(
        ((name, _header(headers, event), _header(headers, delivery)) for name, event, delivery in _SERVICES
         if _header(headers, event)),
        (None, "", ""),
    )
    if not provider:
        raise Refused(400, "not a GitHub, GitLab, Gitea or Forgejo webhook delivery")
    if not secret:
        raise Refused(403, "the repository has no webhook secret")
    _verify(provider, headers, body, secret)
    # A delivery id names a delivery in the service's log; without one, the body does (a replay of
    # the same body is then the same delivery).
    delivery = delivery or hashlib.sha256(body).hexdigest()
    if event.lower() not in ("push", "push hook"):
        return Push(provider, delivery[:100], event[:50])
    try:
        payload = json.loads(body)
    except ValueError:
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("ref"), str):
        raise Refused(400, "the push has no ref")
    commit = payload.get("after") or payload.get("checkout_sha") or ""
    ref = payload["ref"]
    if not ref.startswith("refs/heads/") or not isinstance(commit, str) or _ZERO.fullmatch(commit):
        return Push(provider, delivery[:100], "push")  # a tag, or a deleted branch: nothing to deploy
    if not _SHA.fullmatch(commit):
        raise Refused(400, "the push has no commit id")
    return Push(provider, delivery[:100], "push", ref.removeprefix("refs/heads/"), commit)


def _verify(provider, headers, body, secret):
    if provider == "gitlab":
        if not hmac.compare_digest(_header(headers, "X-Gitlab-Token").encode(), secret.encode()):
            raise Refused(401, "the token does not match the repository's webhook secret")
        return
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if provider == "github":
        given = _header(headers, "X-Hub-Signature-256").removeprefix("sha256=")
    else:
        given = _header(headers, "X-Gitea-Signature") or _header(headers, "X-Forgejo-Signature")
    if not given:
        raise Refused(401, "the delivery is not signed")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Refused(401, "the signature does not match the repository's webhook secret")


def _header(headers, name):
    """A header's value whatever the mapping's case rules ('' when absent)."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value.strip()
    return ""

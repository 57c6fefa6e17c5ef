"""Errors of the Kubernetes layer, classified for the caller's retry policy.

Callers (the queue_job steps) only need to know one thing about a failure:
is it worth trying again later (:class:`RetryableError`, maybe with a
``retry_after`` hint) or must a person fix something first
(:class:`PermanentError`)?  This layer never retries by itself.

:func:`translate` is the one place where exceptions of the ``kubernetes``
client and of ``urllib3`` become these errors.  Messages stay short and safe
to show: the object, the HTTP status, and the API server's ``Status``
reason/message cut short - never the response body, a kubeconfig or a token.
"""
from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

# How much of the server's message a caller gets to see.
MESSAGE_LIMIT = 200


class KubeError(Exception):
    """Base of every error raised by the Kubernetes layer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RetryableError(KubeError):
    """A failure that may go away by itself: try the same call again later."""

    def __init__(
        self, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class PermanentError(KubeError):
    """A failure that repeats until someone changes the input or the cluster."""


class NotFound(PermanentError):
    """HTTP 404: the object (or its API) does not exist."""


class Conflict(RetryableError):
    """HTTP 409: already exists on create, or a concurrent-update race."""


class WaitTimeout(RetryableError):
    """An object did not become ready in time; waiting again may succeed."""


class InvalidSpec(PermanentError, ValueError):
    """A deployment spec that must not be sent; names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"Invalid {field}: {problem}")
        self.field = field


class InvalidKubeconfig(PermanentError, ValueError):
    """Connection settings that cannot be used (never quotes their content)."""


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def translate(exc: Exception, what: str) -> KubeError:
    """Classify an exception of the client about ``what`` (e.g. "Deployment ns/web").

    ``exc`` is an ``ApiException``, a urllib3 error or an ``OSError``; the
    caller chains the result: ``raise translate(exc, what) from exc``.
    """
    if isinstance(exc, ApiException):
        return _from_api_exception(exc, what)
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        # urllib3 wraps the real cause (refused, timed out, ...) after its own retries.
        return translate(exc.reason, what)
    if isinstance(exc, urllib3.exceptions.SSLError):
        # A certificate that does not verify stays wrong until someone fixes it.
        return PermanentError(f"{what}: TLS error talking to the API server")
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        # Checked first: urllib3 files "connection refused" under its timeouts.
        return RetryableError(f"{what}: cannot reach the API server (connection failed)")
    if isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return RetryableError(f"{what}: the API server did not answer in time")
    # Any other urllib3 or socket error: the connection broke on the way.
    return RetryableError(f"{what}: cannot reach the API server ({type(exc).__name__})")


def _from_api_exception(exc: ApiException, what: str) -> KubeError:
    status = int(exc.status or 0)
    if status == 0:
        # The client reports TLS failures as an ApiException without an HTTP status.
        return PermanentError(f"{what}: TLS error talking to the API server")
    reason, detail = _status_reason(exc.body, fallback=str(exc.reason or ""))
    message = f"{what}: HTTP {status} {reason}" + (f": {detail}" if detail else "")
    if status == 404:
        return NotFound(message, status)
    if status == 409:
        return Conflict(message, status)
    if status in (408, 429) or status >= 500:
        return RetryableError(message, status, _retry_after(exc.headers))
    return PermanentError(message, status)


def _status_reason(body: Any, fallback: str) -> tuple[str, str]:
    """(reason, message) of a Kubernetes ``Status`` body, both cut short."""
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        status = None
    if not isinstance(status, dict):
        return shorten(fallback, 60), ""
    return (
        shorten(str(status.get("reason") or fallback), 60),
        shorten(str(status.get("message") or "")),
    )


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    value = next(
        (v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None
    )
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())

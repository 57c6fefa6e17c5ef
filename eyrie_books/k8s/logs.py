"""Pod logs of a deployment: its pods and their containers, their last lines, and a bounded follow.

Every deployment has a namespace of its own, so its pods are the pods of that namespace (those of
its workload, of its init Jobs, and of the operators' clusters for databases). Everything goes
through the official client's ``read_namespaced_pod_log``; following reads its chunked answer as
it arrives (``follow=True``, ``_preload_content=False``) and stops at a bound on lines and on
time, so that nobody holds a connection to the API server (and a server thread) forever.
"""
from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypedDict

import urllib3.exceptions
from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.exceptions import ApiException

from .errors import InvalidSpec, RetryableError, translate
from .spec import check_dns_label, check_dns_subdomain

DEFAULT_LINES = 100
MAX_LINES = 5000
# A few very long lines must not fill the server's memory either.
LIMIT_BYTES = 2 * 1024 * 1024
_CHUNK = 64 * 1024


class Container(TypedDict):
    name: str
    init: bool
    ready: bool
    restarts: int
    state: str
    previous: bool  # a terminated instance is kept: its log is the "previous" one


class Pod(TypedDict):
    name: str
    phase: str
    containers: list[Container]


def list_pods(api_client: ApiClient, namespace: str, timeout: float = 10.0) -> list[Pod]:
    """The pods of ``namespace`` by name, each with its containers (init containers first)."""
    check_dns_label("namespace", namespace)
    what = f"pods of namespace {namespace}"
    try:
        response = CoreV1Api(api_client).list_namespaced_pod(
            namespace, _preload_content=False, _request_timeout=timeout,
        )
        body = json.loads(response.data or b"{}")
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise translate(exc, what) from exc
    except ValueError as exc:
        raise RetryableError(f"{what}: the API server sent no JSON") from exc
    pods = [_pod(item) for item in body.get("items") or [] if isinstance(item, dict)]
    return sorted(pods, key=lambda pod: pod["name"])


def _pod(item: dict[str, Any]) -> Pod:
    spec, status = item.get("spec") or {}, item.get("status") or {}
    statuses = {
        entry.get("name"): entry
        for key in ("initContainerStatuses", "containerStatuses") for entry in status.get(key) or []
    }
    containers: list[Container] = []
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            entry = statuses.get(container.get("name")) or {}
            containers.append({
                "name": container.get("name") or "",
                "init": key == "initContainers",
                "ready": bool(entry.get("ready")),
                "restarts": int(entry.get("restartCount") or 0),
                "state": next(iter(entry.get("state") or {}), "waiting"),
                "previous": bool(entry.get("restartCount")) or "terminated" in (entry.get("lastState") or {}),
            })
    return {"name": (item.get("metadata") or {}).get("name") or "", "phase": status.get("phase") or "Unknown",
            "containers": containers}


def read_log(
    api_client: ApiClient, namespace: str, pod: str, container: str, lines: int = DEFAULT_LINES,
    previous: bool = False, timeout: float = 10.0,
) -> str:
    """The last ``lines`` lines ``container`` of ``pod`` printed (of its previous instance, the one
    that crashed, with ``previous``)."""
    _check(namespace, pod, container, lines)
    try:
        response = CoreV1Api(api_client).read_namespaced_pod_log(
            pod, namespace, container=container, tail_lines=lines, previous=previous, limit_bytes=LIMIT_BYTES,
            _preload_content=False, _request_timeout=timeout,
        )
        return bytes(response.data).decode(errors="replace")
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise translate(exc, f"log of {container} in pod {pod}") from exc


def follow_log(
    api_client: ApiClient, namespace: str, pod: str, container: str, lines: int = DEFAULT_LINES,
    max_seconds: float = 60.0, max_lines: int = MAX_LINES, clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """Lines (each ending with a newline) of ``container`` as it prints them: its last ``lines``
    first, then the new ones, until the container stops, ``max_lines`` lines were given or
    ``max_seconds`` passed. The request is sent at the first ``next()``; closing the generator (the
    reader went away) closes the connection to the API server.

    Time is checked between chunks; while the container prints nothing, the socket's read timeout
    (set to the time left after each chunk) ends the wait at the same deadline."""
    _check(namespace, pod, container, lines)
    what = f"log of {container} in pod {pod}"
    deadline = clock() + max_seconds
    try:
        response = CoreV1Api(api_client).read_namespaced_pod_log(
            pod, namespace, container=container, tail_lines=lines, follow=True,
            _preload_content=False, _request_timeout=(10.0, max_seconds),
        )
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise translate(exc, what) from exc
    given, partial = 0, b""
    try:
        for chunk in response.stream(_CHUNK, decode_content=True):
            *complete, partial = (partial + chunk).split(b"\n")
            for line in complete:
                yield line.decode(errors="replace") + "\n"
                given += 1
                if given >= max_lines:
                    return
            left = deadline - clock()
            if left <= 0:
                return
            _read_timeout(response, left)
        if partial:
            yield partial.decode(errors="replace")
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return  # the deadline passed while the container printed nothing
    except urllib3.exceptions.ProtocolError as exc:
        if isinstance(exc.__context__, TimeoutError) or "timed out" in str(exc):
            return
        raise translate(exc, what) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise translate(exc, what) from exc
    finally:
        response.close()


def _read_timeout(response: Any, seconds: float) -> None:
    """Make the next socket read of ``response`` wait ``seconds`` at most (urllib3 keeps the
    timeout of the request, the whole bound, for every read)."""
    with contextlib.suppress(AttributeError, OSError):
        response.connection.sock.settimeout(seconds)


def _check(namespace: str, pod: str, container: str, lines: int) -> None:
    check_dns_label("namespace", namespace)
    check_dns_subdomain("pod", pod)
    check_dns_label("container", container)
    if isinstance(lines, bool) or not isinstance(lines, int) or not 1 <= lines <= MAX_LINES:
        raise InvalidSpec("lines", f"{lines!r} must be a whole number from 1 to {MAX_LINES}")

"""Pod logs for the kmock API server: what containers printed, served as a real API server does.

kmock 0.8 answers ``GET …/pods/<name>/log`` with the Pod object itself. :class:`PodLogs` (mixed
into the emulator) answers it for the pods a test gave log lines with :func:`print_lines`: the
last ``tailLines`` as text, the ``previous`` instance of a restarted container, and with
``follow=true`` a chunked stream that sends new lines as the test prints them, until the test
stops the container (:func:`stop`), the client goes away or ``FOLLOW_LIMIT`` passes (a real server
holds it as long as the container runs; no test may wait on a forgotten stream). Its refusals are
the real server's: 404 for an unknown pod, 400 for an unknown container or a previous instance
that does not exist. Requests for other pods' logs go on to kmock (and its reactions).
"""
from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import aiohttp.web
import kmock

_LOG_PATH = re.compile(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/log")
FOLLOW_LIMIT = 30.0  # seconds
_POLL = 0.02  # seconds between looks for new lines of a followed container
_PODS = kmock.resource("v1", "pods")
_TRUE = ("1", "t", "T", "true", "True", "TRUE")  # what the API server's ParseBool reads as true


class PodLogs:
    """Mixed into the emulator (before ``kmock.KubernetesEmulator``): serves the pod logs."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()  # type: ignore[misc]
        # (namespace, pod, container, previous) -> the lines it printed, without newlines.
        self.pod_logs: dict[tuple[str, str, str, bool], list[str]] = {}
        # (namespace, pod, container) of the containers that stopped: their follow streams end.
        self.stopped: set[tuple[str, str, str]] = set()
        # How many follow streams are open now (a test prints once a reader follows).
        self.followers = 0

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        match = _LOG_PATH.fullmatch(raw_request.rel_url.path)
        if match and raw_request.method == "GET" and any(key[:2] == match.groups() for key in self.pod_logs):
            return await self._serve_log(raw_request, *match.groups())
        return await super().__call__(raw_request)  # type: ignore[misc, no-any-return]

    async def _serve_log(
        self, request: aiohttp.web.BaseRequest, namespace: str, pod: str,
    ) -> aiohttp.web.StreamResponse:
        query = request.rel_url.query
        objects: Any = self.objects  # type: ignore[attr-defined]
        if (_PODS, namespace, pod) not in objects or objects[_PODS, namespace, pod].deleted:
            return _status(404, "NotFound", f'pods "{pod}" not found')
        stored = objects[_PODS, namespace, pod]
        names = [c.get("name") for key in ("initContainers", "containers") for c in stored.raw["spec"].get(key) or []]
        container = query.get("container") or (names[0] if len(names) == 1 else "")
        if not container:
            return _status(400, "BadRequest", f"a container name must be specified for pod {pod}, "
                                              f"choose one of: [{' '.join(names)}]")
        if container not in names:
            return _status(400, "BadRequest", f"container {container} is not valid for pod {pod}")
        previous = query.get("previous") in _TRUE
        key = (namespace, pod, container, previous)
        if previous and key not in self.pod_logs:
            return _status(400, "BadRequest", f'previous terminated container "{container}" in pod "{pod}" not found')
        printed = self.pod_logs.get(key, [])
        tail = int(query.get("tailLines", len(printed)))
        shown = printed[max(len(printed) - tail, 0):]
        if query.get("follow") not in _TRUE:
            return aiohttp.web.Response(text="".join(f"{line}\n" for line in shown), content_type="text/plain")
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        sent, deadline = len(printed), time.monotonic() + FOLLOW_LIMIT
        self.followers += 1
        try:
            if shown:
                await response.write("".join(f"{line}\n" for line in shown).encode())
            while time.monotonic() < deadline and key[:3] not in self.stopped:
                await asyncio.sleep(_POLL)
                printed = self.pod_logs.get(key, [])
                if len(printed) > sent:
                    await response.write("".join(f"{line}\n" for line in printed[sent:]).encode())
                    sent = len(printed)
            await response.write_eof()
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            pass  # the client went away
        finally:
            self.followers -= 1
        return response


def _status(code: int, reason: str, message: str) -> aiohttp.web.Response:
    return aiohttp.web.json_response(
        {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": message,
         "code": code},
        status=code,
    )


def print_lines(cluster: Any, namespace: str, pod: str, container: str, *lines: str, previous: bool = False) -> None:
    """``container`` of ``pod`` (or its previous instance) prints ``lines``; followers get them."""
    cluster.emulator.pod_logs.setdefault((namespace, pod, container, previous), []).extend(lines)


def stop(cluster: Any, namespace: str, pod: str, container: str) -> None:
    """``container`` of ``pod`` stops: the streams following it end."""
    cluster.emulator.stopped.add((namespace, pod, container))


def add_pod(cluster: Any, namespace: str, name: str, *containers: str, restarts: int = 0,
            init_containers: tuple[str, ...] = ()) -> None:
    """A running Pod as the kubelet reports it: ``containers`` ready, each restarted ``restarts``
    times (then with a terminated last state: its previous log exists), ``init_containers`` done."""
    def status(container: str, restarted: int, state: str) -> dict[str, Any]:
        return {"name": container, "ready": state == "running", "restartCount": restarted, "state": {state: {}},
                **({"lastState": {"terminated": {"exitCode": 1}}} if restarted else {})}

    cluster.emulator.objects[_PODS, namespace, name] = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
        "spec": {"initContainers": [{"name": c, "image": "init"} for c in init_containers],
                 "containers": [{"name": c, "image": "app"} for c in containers]},
        "status": {"phase": "Running",
                   "initContainerStatuses": [status(c, 0, "terminated") for c in init_containers],
                   "containerStatuses": [status(c, restarts, "running") for c in containers]},
    }

"""A real HTTP Kubernetes API emulator (kmock) for the synchronous client, for any test runner
(the pytest fixtures in ``conftest.py``, and the Odoo tests of the books).

kmock serves from aiohttp, while the ``kubernetes`` client blocks; so one
event loop runs in a background thread for the whole session and every test
gets a fresh emulator and server on it, on 127.0.0.1 and a random port.
Reactions (``cluster.emulator[...] << 503``) may be added from the test
thread: requests are synchronous, so none is in flight meanwhile.

kmock's reactions answer after the emulator has stored the change: a ``503``
reaction on a POST still creates the object.  :meth:`MockCluster.refuse`
answers instead of the emulator, as an API server refuses a request, and
:meth:`MockCluster.answer_late` applies a request but answers too late for a
client with a short timeout.

Objects are stored as a real API server stores them (see :mod:`.apiserver`):
defaults filled, empty values dropped, ``generation`` bumped on spec changes.
:meth:`MockCluster.writes` lists the requests that would change something.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import re
import socket
import threading
from collections.abc import AsyncIterator, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp.web
import kmock
from kmock._internal import rendering

from ..patching import apply_merge_patch
from ..resources import RESOURCES, ref
from .apiserver import merge_patch_between, stored
from .kmock_logs import PodLogs

_T = TypeVar("_T")

# kmock 0.8 reads "/api/v1/namespaces[/<name>]" as the namespace prefix of a
# namespaced path and fails on it (500), so Namespace objects are served under
# a made-up cluster-scoped plural it does understand. Only this fixture knows.
_NAMESPACES = re.compile(r"/api/v1/namespaces(/[^/]+)?")
_REAL, _ALIAS = "/api/v1/namespaces", "/api/v1/eyrie-test-namespaces"

TOKEN = "kmock-test-token"
SERVER_VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"}


@dataclass(frozen=True)
class _Fault:
    """How to answer one request: refused with ``status`` (nothing applied), or applied and late."""

    status: int | None = None
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    delay: float = 0.0
    skip: int = 0  # requests to let through first


class _Emulator(PodLogs, kmock.KubernetesEmulator):  # PodLogs: pods' log text (kmock_logs.py)
    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        # (method, path as the client sends it) -> the fault for the next such request.
        self.faults: dict[tuple[str, str], _Fault] = {}
        # Request id -> the body as sent, where the emulator stored something else (see _handle).
        self.sent: dict[int, Any] = {}
        # False: forget the requests once answered (see serve()); they are counted by method anyway.
        self.history = True
        self.answered: collections.Counter[str] = collections.Counter()
        self.in_flight = 0

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        path = raw_request.rel_url.path
        key = (raw_request.method.upper(), path)
        fault = self.faults.pop(key, None)
        if fault is not None and fault.skip:  # not this request yet
            self.faults[key], fault = dataclasses.replace(fault, skip=fault.skip - 1), None
        if fault is not None and fault.status is not None:
            return aiohttp.web.json_response(dict(fault.body or {}), status=fault.status, headers=fault.headers)
        if _NAMESPACES.fullmatch(path):
            alias = raw_request.rel_url.with_path(path.replace(_REAL, _ALIAS, 1))
            raw_request = raw_request.clone(rel_url=alias)
        self.in_flight += 1
        try:
            response = await super().__call__(raw_request)
        finally:
            self.in_flight -= 1
            self.answered[key[0]] += 1
            if not self.history and not self.in_flight:
                # Only between requests: kmock finds a request in flight among those it received.
                self._requests.clear()
                self.sent.clear()
        if fault is not None:
            await asyncio.sleep(fault.delay)
        return response

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        """Store objects as an API server does; the request itself stays recorded as it was sent."""
        data = request.data if isinstance(request.data, dict) else None
        if data is not None and request.resource is not None and request.action == kmock.action.CREATE:
            self._store(request, stored(data))
        elif data is not None and request.resource is not None and request.name is not None \
                and request.action == kmock.action.UPDATE:
            key = (request.resource, request.namespace, request.name)
            if key in self.objects and not self.objects[key].deleted:
                old = self.objects[key].raw
                self._store(request, merge_patch_between(old, stored(apply_merge_patch(old, data), old)))
        return await super()._handle(request)

    def _store(self, request: rendering.Request, data: dict[str, Any]) -> None:
        # kmock's filters find a request by identity: the request keeps its place, with the body
        # to store; the body as sent stays readable for the tests.
        self.sent[request.id] = request.data
        object.__setattr__(request, "data", data)


@dataclass
class MockCluster:
    """One running emulator and its URL."""

    emulator: _Emulator
    url: str

    def requests(self) -> list[tuple[str, str, Any]]:
        """(method, path, body) of every request received, in order."""
        if not self.emulator.history:
            raise RuntimeError("this emulator forgets its requests: count them with answered()")
        return [
            (request.method.value, request.url.path.replace(_ALIAS, _REAL, 1),
             self.emulator.sent.get(request.id, request.data))
            for request in self.emulator
        ]

    def answered(self, method: str) -> int:
        """How many ``method`` requests were answered, remembered or not."""
        return self.emulator.answered[method.upper()]

    def writes(self) -> list[tuple[str, str, Any]]:
        """(method, path, body) of every request that asked for a change (not a GET)."""
        return [request for request in self.requests() if request[0] != "GET"]

    def set_status(self, obj: dict[str, Any], status: dict[str, Any]) -> None:
        """Write ``status`` into the stored object, as a controller would."""
        self.emulator.objects[self._key(obj)].patch({"status": status})

    def stored(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """The object as the emulator holds it now, or None when it does not exist (sends nothing)."""
        key = self._key(obj)
        if key not in self.emulator.objects or self.emulator.objects[key].deleted:
            return None
        raw: dict[str, Any] = self.emulator.objects[key].raw
        return raw

    def refuse(self, method: str, path: str, status: int, body: Mapping[str, Any] | None = None,
               headers: Mapping[str, str] | None = None) -> None:
        """Answer the next ``method path`` request with ``status`` and apply nothing."""
        self.emulator.faults[method.upper(), path] = _Fault(status=status, body=body, headers=headers)

    def answer_late(self, method: str, path: str, delay: float, skip: int = 0) -> None:
        """Apply the next ``method path`` request (after ``skip`` others), then wait ``delay`` seconds
        before answering."""
        self.emulator.faults[method.upper(), path] = _Fault(delay=delay, skip=skip)

    def pending_faults(self) -> list[tuple[str, str]]:
        """(method, path) of the faults no request has met yet."""
        return list(self.emulator.faults)

    def _key(self, obj: dict[str, Any]) -> tuple[Any, str | None, str]:
        target = ref(obj)
        namespaced = target.resource.namespaced
        plural = target.resource.plural if target.resource.kind != "Namespace" else _ALIAS.rpartition("/")[2]
        resource = kmock.resource(group=target.resource.group, version=target.resource.version, plural=plural)
        return resource, target.namespace if namespaced else None, target.name


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="kmock", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()




@contextlib.asynccontextmanager
async def serve(history: bool = True) -> AsyncIterator[MockCluster]:
    """A fresh emulator served on 127.0.0.1 and a random port, for as long as the context lasts.

    ``history=False`` forgets each request once answered, as a real API server does: kmock matches
    every request against all those it has received, so over a long run (a benchmark's thousands
    of looks) each answer would cost more than the last.
    """
    async with _Emulator() as emulator:
        emulator.history = history
        # The client asks for "/version/" (a real API server answers both); kmock knows "/version".
        emulator["get /version/"] << SERVER_VERSION
        # Every kind Eyrie manages is served, empty or not (its CRD is installed), as a list of it
        # shows: kmock would answer 404 for a kind it holds no object of.
        for resource in RESOURCES.values():
            plural = resource.plural if resource.kind != "Namespace" else _ALIAS.rpartition("/")[2]
            emulator.resources[f"{resource.group}/{resource.version}/{plural}"] = kmock.ResourceInfo(
                namespaced=resource.namespaced, kind=resource.kind)
        async with kmock.Server(emulator) as server:
            yield MockCluster(emulator, str(server.url).rstrip("/"))


class RunningCluster(contextlib.AbstractContextManager["RunningCluster"]):
    """``serve()`` on a loop thread of its own, for synchronous test code."""

    def __init__(self, history: bool = True) -> None:
        self._history = history

    def __enter__(self) -> RunningCluster:
        self._thread = LoopThread()
        self._context = serve(self._history)
        self.cluster = self._thread.run(self._context.__aenter__())
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._thread.run(self._context.__aexit__(None, None, None))
        self._thread.stop()


def free_port() -> int:
    """A loopback port nothing listens on (until someone binds it): a closed port to refuse
    connections, or a port to serve on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port

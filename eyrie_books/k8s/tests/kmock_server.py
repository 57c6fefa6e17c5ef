"""A real HTTP Kubernetes API emulator (kmock) for the synchronous client, for any test runner
(the pytest fixtures in ``conftest.py``, and the Odoo tests of the books).

kmock serves from aiohttp, while the ``kubernetes`` client blocks; so one
event loop runs in a background thread for the whole session and every test
gets a fresh emulator and server on it, on 127.0.0.1 and a random port.
Reactions (``cluster.emulator[...] << 503``) may be added from the test
thread: requests are synchronous, so none is in flight meanwhile.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp.web
import kmock

from ..resources import ref

_T = TypeVar("_T")

# kmock 0.8 reads "/api/v1/namespaces[/<name>]" as the namespace prefix of a
# namespaced path and fails on it (500), so Namespace objects are served under
# a made-up cluster-scoped plural it does understand. Only this fixture knows.
_NAMESPACES = re.compile(r"/api/v1/namespaces(/[^/]+)?")
_REAL, _ALIAS = "/api/v1/namespaces", "/api/v1/eyrie-test-namespaces"

TOKEN = "kmock-test-token"
SERVER_VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"}


class _Emulator(kmock.KubernetesEmulator):
    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        path = raw_request.rel_url.path
        if _NAMESPACES.fullmatch(path):
            alias = raw_request.rel_url.with_path(path.replace(_REAL, _ALIAS, 1))
            raw_request = raw_request.clone(rel_url=alias)
        return await super().__call__(raw_request)


@dataclass
class MockCluster:
    """One running emulator and its URL."""

    emulator: _Emulator
    url: str

    def requests(self) -> list[tuple[str, str, Any]]:
        """(method, path, body) of every request received, in order."""
        return [
            (request.method.value, request.url.path.replace(_ALIAS, _REAL, 1), request.data)
            for request in self.emulator
        ]

    def set_status(self, obj: dict[str, Any], status: dict[str, Any]) -> None:
        """Write ``status`` into the stored object, as a controller would."""
        target = ref(obj)
        resource = kmock.resource(
            group=target.resource.group, version=target.resource.version, plural=target.resource.plural
        )
        self.emulator.objects[resource, target.namespace, target.name].patch({"status": status})


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
async def serve() -> AsyncIterator[MockCluster]:
    """A fresh emulator served on 127.0.0.1 and a random port, for as long as the context lasts."""
    async with _Emulator() as emulator:
        # The client asks for "/version/" (a real API server answers both); kmock knows "/version".
        emulator["get /version/"] << SERVER_VERSION
        async with kmock.Server(emulator) as server:
            yield MockCluster(emulator, str(server.url).rstrip("/"))


class RunningCluster(contextlib.AbstractContextManager["RunningCluster"]):
    """``serve()`` on a loop thread of its own, for synchronous test code."""

    def __enter__(self) -> RunningCluster:
        self._thread = LoopThread()
        self._context = serve()
        self.cluster = self._thread.run(self._context.__aenter__())
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._thread.run(self._context.__aexit__(None, None, None))
        self._thread.stop()

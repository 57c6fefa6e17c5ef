"""pytest fixtures: a fresh kmock API server per test (see ``kmock_server``)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes.client import ApiClient

from ..connection import api_client_from_token
from ..operations import Kube
from .kmock_server import TOKEN, LoopThread, MockCluster, serve


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.stop()


@pytest.fixture
def cluster(loop_thread: LoopThread) -> Iterator[MockCluster]:
    context = serve()
    yield loop_thread.run(context.__aenter__())
    loop_thread.run(context.__aexit__(None, None, None))


@pytest.fixture
def api_client(cluster: MockCluster) -> Iterator[ApiClient]:
    client = api_client_from_token(cluster.url, TOKEN)  # configured as in production
    yield client
    client.close()


@pytest.fixture
def kube(api_client: ApiClient) -> Kube:
    return Kube(api_client, timeout=2)

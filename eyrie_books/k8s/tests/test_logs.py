"""Pod logs through the official client against kmock (which serves log text, see kmock_logs)."""
from __future__ import annotations

import threading
import time

import pytest
from kubernetes.client import ApiClient

from ..errors import InvalidSpec, NotFound, PermanentError
from ..logs import follow_log, list_pods, read_log
from .kmock_logs import FOLLOW_LIMIT, add_pod, print_lines, stop
from .kmock_server import MockCluster

NS = "shop"


def make_pod(api_client: ApiClient, cluster: MockCluster, name: str, *containers: str, restarts: int = 0) -> None:
    add_pod(cluster, NS, name, *containers, restarts=restarts, init_containers=("git",))


def test_pods_and_their_containers(api_client: ApiClient, cluster: MockCluster) -> None:
    make_pod(api_client, cluster, "web-2", "odoo", restarts=2)
    make_pod(api_client, cluster, "web-1", "odoo", "sidecar")
    pods = list_pods(api_client, NS)
    assert [pod["name"] for pod in pods] == ["web-1", "web-2"]
    assert pods[1]["phase"] == "Running"
    assert pods[1]["containers"] == [
        {"name": "git", "init": True, "ready": False, "restarts": 0, "state": "terminated", "previous": False},
        {"name": "odoo", "init": False, "ready": True, "restarts": 2, "state": "running", "previous": True},
    ]
    assert [c["name"] for c in pods[0]["containers"]] == ["git", "odoo", "sidecar"]
    assert list_pods(api_client, "empty") == []


def test_last_lines_and_the_previous_container(api_client: ApiClient, cluster: MockCluster) -> None:
    make_pod(api_client, cluster, "web-1", "odoo", restarts=1)
    print_lines(cluster, NS, "web-1", "odoo", *(f"line {n}" for n in range(1, 11)))
    print_lines(cluster, NS, "web-1", "odoo", "Traceback", "ImportError: no module named shop", previous=True)
    assert read_log(api_client, NS, "web-1", "odoo", lines=3) == "line 8\nline 9\nline 10\n"
    assert read_log(api_client, NS, "web-1", "odoo", previous=True).endswith("no module named shop\n")
    with pytest.raises(PermanentError, match=r"HTTP 400 .*container nginx is not valid for pod web-1"):
        read_log(api_client, NS, "web-1", "nginx")
    with pytest.raises(NotFound, match="HTTP 404"):
        read_log(api_client, NS, "web-9", "odoo")
    with pytest.raises(PermanentError, match='previous terminated container "git"'):
        read_log(api_client, NS, "web-1", "git", previous=True)
    with pytest.raises(InvalidSpec, match="lines"):
        read_log(api_client, NS, "web-1", "odoo", lines=0)
    with pytest.raises(InvalidSpec, match="pod"):
        read_log(api_client, NS, "../secrets", "odoo")


def test_follow_sends_new_lines_as_they_come(api_client: ApiClient, cluster: MockCluster) -> None:
    make_pod(api_client, cluster, "web-1", "odoo")
    print_lines(cluster, NS, "web-1", "odoo", "old 1", "old 2", "old 3")
    stream = follow_log(api_client, NS, "web-1", "odoo", lines=2, max_seconds=20)
    assert [next(stream), next(stream)] == ["old 2\n", "old 3\n"]
    # Printed while the stream is open: the next line is read only once it arrives.
    printer = threading.Timer(0.2, print_lines, (cluster, NS, "web-1", "odoo", "new 1", "new 2"))
    printer.start()
    assert [next(stream), next(stream)] == ["new 1\n", "new 2\n"]
    stop(cluster, NS, "web-1", "odoo")
    assert list(stream) == []


def test_follow_is_bounded_in_lines_and_time(api_client: ApiClient, cluster: MockCluster) -> None:
    make_pod(api_client, cluster, "web-1", "odoo")
    print_lines(cluster, NS, "web-1", "odoo", *(f"line {n}" for n in range(50)))
    assert len(list(follow_log(api_client, NS, "web-1", "odoo", lines=50, max_lines=7))) == 7
    # Nothing more is printed: the read timeout ends the follow at its deadline, long before
    # the test server would end the stream.
    started = time.monotonic()
    assert list(follow_log(api_client, NS, "web-1", "odoo", lines=1, max_seconds=0.5)) == ["line 49\n"]
    assert time.monotonic() - started < FOLLOW_LIMIT / 2


def test_follow_refusals_are_kube_errors(api_client: ApiClient, cluster: MockCluster) -> None:
    make_pod(api_client, cluster, "web-1", "odoo")
    print_lines(cluster, NS, "web-1", "odoo", "hello")
    with pytest.raises(PermanentError, match="HTTP 400"):
        next(follow_log(api_client, NS, "web-1", "nginx"))

"""Rollback and pod logs on a running Eyrie, driven by XML-RPC and JSON-2 as automation would,
against a kmock API server that serves the pods' log text."""

import threading
import xmlrpc.client

import pytest
import requests

from eyrie_books.k8s.tests.kmock_logs import add_pod, print_lines, stop

from .books import READY, kmock_deployment, run_state, unique, workload_of
from .conftest import ADMIN
from .test_rpc import json2  # noqa: F401 - the JSON-2 client fixture

NOT_READY = {"replicas": 1, "readyReplicas": 0, "updatedReplicas": 0}


def live_image(mock, rpc, deployment):
    return mock.stored(workload_of(rpc, deployment))["spec"]["template"]["spec"]["containers"][0]["image"]


def current_version(rpc, deployment):
    [record] = rpc("eyrie.deployment", "read", [deployment], ["current_version_id"])
    return record["current_version_id"][0]


def deploy(rpc, mock, deployment):
    """Deploy and let the rollout complete, as the cluster's controllers would."""
    rpc("eyrie.deployment", "action_deploy", [deployment])
    rpc.wait(lambda: mock.stored(workload_of(rpc, deployment)) is not None, what="the workload")
    mock.set_status(workload_of(rpc, deployment), READY)
    rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the deploy run")


def test_xmlrpc_rollback_restores_and_deploys_a_version(rpc, mock):
    deployment = kmock_deployment(rpc, mock, unique("rollback"))
    deploy(rpc, mock, deployment)
    good = current_version(rpc, deployment)
    rpc("eyrie.deployment", "write", [deployment], {"image": "nginx:1.28"})
    mock.set_status(workload_of(rpc, deployment), NOT_READY)
    rpc("eyrie.deployment", "action_deploy", [deployment])  # its rollout waits, not ready
    # A run in progress: refused, nothing recorded.
    refused = rpc.press(deployment, "action_deploy")
    assert "in progress" in refused, refused
    with pytest.raises(xmlrpc.client.Fault, match="in progress"):
        rpc("eyrie.deployment", "action_rollback", [deployment], good, "1.28 is broken")
    mock.set_status(workload_of(rpc, deployment), READY)
    rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the 1.28 run")
    assert live_image(mock, rpc, deployment) == "nginx:1.28"
    with pytest.raises(xmlrpc.client.Fault, match="a reason is required"):
        rpc("eyrie.deployment", "action_rollback", [deployment], good, "")

    rollback = rpc("eyrie.deployment", "action_rollback", [deployment], good, "1.28 is broken")

    assert current_version(rpc, deployment) == rollback
    [version] = rpc("eyrie.deployment.version", "read", [rollback], ["number", "image", "changes", "author_id"])
    [old] = rpc("eyrie.deployment.version", "read", [good], ["number"])
    assert version["image"] == "nginx:1.27"
    assert version["changes"].splitlines()[0] == f"Rollback to v{old['number']}: 1.28 is broken"
    assert version["author_id"][0] == rpc.uid
    jobs = rpc("eyrie.job", "search_read", [("version_id", "=", rollback)], ["action"])
    assert [job["action"] for job in jobs] == ["deploy"]
    rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the rollback run")
    assert live_image(mock, rpc, deployment) == "nginx:1.27"


def test_json2_rollback_and_its_refusal(json2, rpc, mock):  # noqa: F811
    deployment = kmock_deployment(rpc, mock, unique("rollback json2"))
    first = current_version(rpc, deployment)
    refused = json2("eyrie.deployment", "action_rollback", ids=[deployment], version_id=first, reason="same")
    assert refused["http_status"] == 422 and "is the current version" in refused["message"], refused
    assert json2("eyrie.deployment", "write", ids=[deployment], vals={"image": "nginx:1.28"}) is True
    rollback = json2("eyrie.deployment", "action_rollback", ids=[deployment], version_id=first, reason="keep 1.27")
    [record] = json2("eyrie.deployment", "read", ids=[deployment], fields=["image", "current_version_id"])
    assert (record["image"], record["current_version_id"][0]) == ("nginx:1.27", rollback)
    # Initialized, not deployed: nothing runs; the next Deploy applies it.
    assert json2("eyrie.job", "search_count", domain=[("version_id", "=", rollback)]) == 0


def test_pod_logs_by_json2_and_followed_on_the_page(json2, rpc, mock, server, db):  # noqa: F811
    deployment = kmock_deployment(rpc, mock, unique("logs"), initialize=False)
    rpc("eyrie.deployment", "action_initialize", [deployment])
    [record] = rpc("eyrie.deployment", "read", [deployment], ["namespace", "cluster_ids", "project_id", "group_id",
                                                            "slug"])
    namespace, [cluster] = record["namespace"], record["cluster_ids"]
    add_pod(mock, namespace, "web-1", "app", restarts=1)
    print_lines(mock, namespace, "web-1", "app", "started", "GET / 200")
    print_lines(mock, namespace, "web-1", "app", "fatal: out of memory", previous=True)

    [entry] = json2("eyrie.deployment", "get_pods", ids=[deployment])
    assert (entry["cluster_id"], entry["error"]) == (cluster, False)
    assert [(pod["name"], pod["containers"][0]["restarts"]) for pod in entry["pods"]] == [("web-1", 1)]
    assert json2("eyrie.deployment", "get_pod_log", ids=[deployment], cluster_id=cluster, pod="web-1",
                 container="app", lines=1) == "GET / 200\n"
    assert rpc("eyrie.deployment", "get_pod_log", [deployment], cluster, "web-1", "app", 10, True) == \
        "fatal: out of memory\n"

    # Followed on the portal page, as the browser reads it: new lines arrive while the stream is open.
    session = requests.Session()
    login = session.post(f"{server}/web/session/authenticate", json={
        "jsonrpc": "2.0", "params": {"db": db, "login": ADMIN[0], "password": ADMIN[1]}}, timeout=30)
    assert login.json().get("result"), login.text
    project = rpc("eyrie.project", "read", [record["project_id"][0]], ["slug"])[0]["slug"]
    group = rpc("eyrie.deployment.group", "read", [record["group_id"][0]], ["slug"])[0]["slug"]
    url = f"{server}/_eyrie/p/{project}/dg/{group}/d/{record['slug']}/logs/follow"
    with session.get(url, params={"cluster": cluster, "pod": "web-1", "container": "app", "lines": 1},
                     stream=True, timeout=30) as response:
        assert response.status_code == 200, response.text
        lines = response.iter_lines(decode_unicode=True)
        assert next(lines) == "GET / 200"
        threading.Timer(0.2, print_lines, (mock, namespace, "web-1", "app", "GET /new 200")).start()
        assert next(lines) == "GET /new 200"
        stop(mock, namespace, "web-1", "app")
        assert list(lines) == []

"""Preview before apply, end to end over XML-RPC and JSON-2 on kmock: what a book would create,
change (with the field-level diff), leave unchanged or delete, and never a write request sent; an
unchanged re-deploy sends none either."""

import json
import urllib.request

from .books import READY, kmock_deployment, looks, run_state, unique, workload_of


def json2(server, db, api_key, model, method, **params):
    request = urllib.request.Request(
        f"{server}/json/2/{model}/{method}", data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"bearer {api_key}", "X-Odoo-Database": db},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def actions(cluster):
    return {(obj["kind"], obj["action"]) for obj in cluster["objects"]}


def test_preview_then_deploy_then_preview_again(rpc, mock, server, db, api_key):
    deployment = kmock_deployment(rpc, mock, unique("preview"))
    workload = workload_of(rpc, deployment)
    writes = len(mock.writes())

    [before] = rpc("eyrie.deployment", "preview_action", [deployment], "deploy")["clusters"]
    assert not before["error"], before
    assert {("Deployment", "create"), ("Service", "create")} <= actions(before)
    assert mock.writes()[writes:] == [], "the preview sent a write"

    rpc("eyrie.deployment", "action_deploy", [deployment])
    rpc.wait(lambda: looks(mock, workload) >= 1, what="the wait step to look")
    mock.set_status(workload, READY)
    rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the deploy run")

    writes = len(mock.writes())
    [same] = rpc("eyrie.deployment", "preview_action", [deployment], "redeploy")["clusters"]
    assert {action for _kind, action in actions(same)} == {"unchanged"}, same["objects"]
    rpc("eyrie.deployment", "action_deploy", [deployment])  # re-deploy what runs
    rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the re-deploy run")
    assert mock.writes()[writes:] == [], "an unchanged re-deploy sent a write"

    rpc("eyrie.deployment", "write", [deployment], {"image": "nginx:1.28"})
    result = json2(server, db, api_key, "eyrie.deployment", "preview_action", ids=[deployment], action="redeploy")
    [changed] = result["clusters"]
    [workload_entry] = [obj for obj in changed["objects"] if obj["kind"] == "Deployment"]
    assert workload_entry["action"] == "change"
    assert {"path": "spec.template.spec.containers[0].image", "live": "nginx:1.27", "desired": "nginx:1.28"} \
        in workload_entry["changes"]

    [dropped] = rpc("eyrie.deployment", "preview_action", [deployment], "drop")["clusters"]
    assert {("Deployment", "delete"), ("Service", "delete"), ("Namespace", "delete")} <= actions(dropped)
    assert mock.writes()[writes:] == [], "a preview sent a write"

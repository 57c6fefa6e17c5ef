"""The lifecycle over XML-RPC and JSON-2, on a running Odoo with the queue_job runner: namespaces
that never collide or move, runs that apply the version they started with, failed runs that hold
the next move back until resumed, retried or cancelled, and one answer for the available actions."""

import time
import xmlrpc.client

import pytest

from .books import READY, kmock_deployment, run_state, steps_of, unique, workload_of
from .test_rpc import dry_run_cluster, group_of_type, json2, settle  # noqa: F401 (json2 is a fixture)


def available(call, deployment):
    """{action: reason or None} of what get_available_actions answers for ``deployment``."""
    [answer] = call("eyrie.deployment", "get_available_actions", [deployment])
    assert answer["id"] == deployment
    return {action["action"]: None if action["available"] else action["reason"] for action in answer["actions"]}


def test_namespaces_never_collide_or_move(rpc):
    suffix = time.time_ns() % 10**9
    scope = rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0]

    def project_group(project, group, kind):
        project_id = rpc("eyrie.project", "create", {"name": f"{project} {suffix}", "slug": f"{project}{suffix}"})
        return project_id, rpc("eyrie.deployment.group", "create", {
            "name": group, "slug": group, "project_id": project_id, "type": kind,
        })

    # Project q…-b with group c, and project q… with group b-c: both would make q…-b-c-web.
    project_qb, group_c = project_group("q", "c", "none")
    rpc("eyrie.project", "write", [project_qb], {"slug": f"q{suffix}-b"})
    _project_q, group_bc = project_group("q", "b-c", "pgo")
    values = {"name": "web", "scope_id": scope, "image": "nginx:1.27", "port": 80,
              "cluster_ids": [(6, 0, dry_run_cluster(rpc))]}
    web = rpc("eyrie.deployment", "create", {**values, "group_id": group_c})
    assert rpc("eyrie.deployment", "read", [web], ["namespace"])[0]["namespace"] == f"q{suffix}-b-c-web"
    with pytest.raises(xmlrpc.client.Fault, match=rf"namespace q{suffix}-b-c-web, which the deployment web of "):
        rpc("eyrie.deployment", "create", {**values, "group_id": group_bc})
    assert rpc("eyrie.deployment", "search_count", [("group_id", "=", group_bc)]) == 0

    # Past Draft, what makes the namespace is frozen; names stay editable.
    rpc("eyrie.deployment", "action_initialize", [web])
    assert settle(rpc, web) == "done"
    for model, record, vals in (
        ("eyrie.deployment", web, {"group_id": group_bc}),
        ("eyrie.deployment", web, {"slug": "web2"}),
        ("eyrie.deployment.group", group_c, {"slug": "cc"}),
        ("eyrie.project", project_qb, {"slug": f"x{suffix}"}),
    ):
        with pytest.raises(xmlrpc.client.Fault, match=r"can change only in Draft|can no longer change"):
            rpc(model, "write", [record], vals)
    rpc("eyrie.deployment", "write", [web], {"name": "web server"})
    [record] = rpc("eyrie.deployment", "read", [web], ["namespace", "type", "group_id", "name"])
    assert (record["namespace"], record["type"], record["group_id"][0], record["name"]) == (
        f"q{suffix}-b-c-web", "none", group_c, "web server")


def test_an_edit_during_a_run_waits_for_the_next_run(rpc, mock):
    deployment = kmock_deployment(rpc, mock, unique("pinned"))
    workload = workload_of(rpc, deployment)
    namespace = workload["metadata"]["namespace"]
    # The workload's creation is refused once: the run waits for its retry, the image is edited meanwhile.
    mock.refuse("POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", 503,
                {"kind": "Status", "reason": "ServiceUnavailable", "code": 503})
    rpc("eyrie.deployment", "action_deploy", [deployment])
    [job] = rpc("eyrie.job", "search_read", [("deployment_id", "=", deployment), ("action", "=", "deploy")],
                ["version_id"])
    rpc.wait(lambda: any(s["kind"] == "apply_workload" and "will retry" in (s["log"] or "")
                         for s in steps_of(rpc, job["id"])), what="the workload step to retry")
    rpc("eyrie.deployment", "write", [deployment], {"image": "nginx:1.28"})
    [record] = rpc("eyrie.deployment", "read", [deployment], ["current_version_id", "run_state"])
    assert record["run_state"] in ("queued", "running")
    assert record["current_version_id"][0] != job["version_id"][0]

    rpc.wait(lambda: any(s["kind"] == "wait_ready" and s["state"] == "running" for s in steps_of(rpc, job["id"])),
             what="the wait step")
    mock.set_status(workload, READY)
    rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the deploy run")
    live = mock.stored(workload)
    pinned = rpc("eyrie.deployment.version", "read", [job["version_id"][0]], ["number", "image", "job_ids"])[0]
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == pinned["image"] == "nginx:1.27"
    assert live["metadata"]["annotations"]["eyrie.io/version"] == str(pinned["number"])
    assert job["id"] in pinned["job_ids"]
    [record] = rpc("eyrie.deployment", "read", [deployment], ["pending_changes", "live_job_ids"])
    assert record["pending_changes"] is True
    assert record["live_job_ids"] == [job["id"]]
    assert deployment in rpc("eyrie.deployment", "search", [("pending_changes", "=", True)])


FORBIDDEN = {"kind": "Status", "reason": "Forbidden", "message": "namespaces is forbidden", "code": 403}


def test_a_move_that_cannot_build_is_refused_before_the_state_changes(rpc):
    """An Odoo deployment without a database: Initialize is refused naming the field, nothing is queued."""
    deployment = rpc("eyrie.deployment", "create", {
        "name": unique("nodb"), "group_id": group_of_type(rpc, "odoo"), "image": "ghcr.io/acme/shop:1.0",
        "scope_id": rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0],
        "cluster_ids": [(6, 0, dry_run_cluster(rpc))],
    })
    with pytest.raises(xmlrpc.client.Fault, match=r"fix its field “Database”"):
        rpc("eyrie.deployment", "action_initialize", [deployment])
    assert rpc("eyrie.deployment", "read", [deployment], ["state", "job_ids"])[0] == {
        "id": deployment, "state": "draft", "job_ids": []}


def test_a_failed_initialize_holds_deploy_back(rpc, json2, mock):  # noqa: F811 (json2 is a fixture)
    def failing(name):
        """A deployment whose Initialize fails for good at its first step: the API server forbids its namespace."""
        deployment = kmock_deployment(rpc, mock, unique(name), initialize=False)
        mock.refuse("POST", "/api/v1/namespaces", 403, FORBIDDEN)
        rpc("eyrie.deployment", "action_initialize", [deployment])
        assert settle(rpc, deployment) == "failed"
        return deployment

    deployment = failing("held")
    with pytest.raises(xmlrpc.client.Fault, match=r"failed at the step “Create namespace”: resume it .* retry it .* "
                                                  r"cancel it"):
        rpc("eyrie.deployment", "action_deploy", [deployment])
    actions = available(rpc, deployment)
    assert {key for key, reason in actions.items() if reason is None} == {"resume", "retry", "cancel", "drop"}
    assert "Create namespace" in actions["deploy"]
    assert rpc("eyrie.deployment", "read", [deployment], ["state"])[0]["state"] == "initialize"

    # Resume and Retry run the run's own version again: it fails again, the fix waits for a new run.
    rpc("eyrie.deployment", "write", [deployment], {"image": "nginx:1.28"})
    for action in ("action_resume", "action_retry"):
        mock.refuse("POST", "/api/v1/namespaces", 403, FORBIDDEN)
        rpc("eyrie.deployment", action, [deployment])
        assert settle(rpc, deployment) == "failed"
    # Cancel (over JSON-2): nothing was initialized, the deployment is back in Draft.
    assert json2("eyrie.deployment", "action_cancel", ids=[deployment]) is True
    assert json2("eyrie.deployment", "read", ids=[deployment], fields=["state"])[0]["state"] == "draft"
    answer = json2("eyrie.deployment", "get_available_actions", ids=[deployment])
    assert [action["action"] for action in answer[0]["actions"] if action["available"]] == ["initialize", "drop"]
    rpc("eyrie.deployment", "action_initialize", [deployment])
    assert settle(rpc, deployment) == "done"
    rpc("eyrie.deployment", "action_deploy", [deployment])
    [job] = rpc("eyrie.job", "search", [("deployment_id", "=", deployment), ("action", "=", "deploy")])
    rpc.wait(lambda: any(s["kind"] == "wait_ready" and s["state"] == "running" for s in steps_of(rpc, job)),
             what="the wait step")
    mock.set_status(workload_of(rpc, deployment), READY)
    assert settle(rpc, deployment) == "done"
    assert rpc("eyrie.deployment", "read", [deployment], ["state"])[0]["state"] == "deploy"

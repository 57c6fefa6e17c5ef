"""Live health and sync over XML-RPC and JSON-2, on a running Odoo with its job runner and a kmock
API server whose status the test writes as the controllers would: each type's health follows its
operator, a hand edit is drift until Re-deploy, an unreachable cluster reads as such."""

import copy

from eyrie_books.k8s.tests.kmock_server import TOKEN, free_port

from .books import kmock_deployment, run_state, unique
from .test_rpc import group_of_type, json2  # noqa: F401 (a fixture)
from .test_types_rpc import play_pgo

RUNNING = {
    "Deployment": {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1},
    "PostgresCluster": {"instances": [{"name": "instance1", "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1}]},
    "PerconaXtraDBCluster": {"state": "ready", "pxc": {"size": 3, "ready": 3}},
}
LOST = {
    "Deployment": {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 0},
    "PostgresCluster": {"instances": [{"name": "instance1", "replicas": 1, "updatedReplicas": 1, "readyReplicas": 0}]},
    "PerconaXtraDBCluster": {"state": "error", "message": ["pxc: node lost quorum"]},
}
WORKLOADS = {"odoo": "Deployment", "none": "Deployment", "pgo": "PostgresCluster", "pxc": "PerconaXtraDBCluster"}


def stored(mock, deployment, kind, suffix=""):
    """The object of ``kind`` that Eyrie made for ``deployment`` (by its label), as kmock holds it."""
    for obj in mock.emulator.objects.values():
        raw = obj.raw
        labels = raw.get("metadata", {}).get("labels", {})
        if (not obj.deleted and raw.get("kind") == kind and labels.get("eyrie.io/deployment-id") == str(deployment)
                and raw["metadata"]["name"].endswith(suffix)):
            return raw
    return None


def run(rpc, mock, deployment, method, ready=None):
    """Press ``method`` and wait for its run; ``ready`` (kind, status, name suffix) is written once its
    object exists, as the cluster's controllers would."""
    rpc("eyrie.deployment", method, [deployment])
    # PGO writes the Secret of each user a PostgresCluster lists (a wired app's run waits for it).
    if ready:
        kind, status, suffix = ready
        obj = rpc.wait(lambda: play_pgo(mock) or stored(mock, deployment, kind, suffix), timeout=120,
                       what=f"the {kind}")
        mock.set_status(obj, status)
    rpc.wait(lambda: play_pgo(mock) or run_state(rpc, deployment) == "done", timeout=180,
             what=f"the run of {method}")


def deployed(rpc, mock, kind, **values):
    if kind == "none":
        deployment = kmock_deployment(rpc, mock, unique("health"), initialize=False)
    else:
        cluster = rpc("eyrie.cluster", "search", [("api_server", "=", mock.url)])
        scope = rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0]
        deployment = rpc("eyrie.deployment", "create", {
            "name": unique(f"health {kind}"), "group_id": values.pop("group", None) or group_of_type(rpc, kind),
            "scope_id": scope, "cluster_ids": [(6, 0, cluster)], "image": "odoo:19.0" if kind == "odoo" else False,
            **values,
        })
    init_job = ("Job", {"succeeded": 1}, "-init") if kind == "odoo" else None
    run(rpc, mock, deployment, "action_initialize", init_job)
    run(rpc, mock, deployment, "action_deploy", (WORKLOADS[kind], RUNNING[WORKLOADS[kind]], ""))
    return deployment


def health(rpc, deployment):
    [record] = rpc("eyrie.deployment", "read", [deployment], ["health", "sync_status"])
    return record["health"], record["sync_status"]


def test_health_of_each_type_follows_its_operator(rpc, json2, mock):  # noqa: F811
    # The cluster record of the mock; the PostgreSQL deployment serves the Odoo one (same project).
    kmock_deployment(rpc, mock, unique("health cluster"), initialize=False)
    odoo_group = group_of_type(rpc, "odoo")
    project = rpc("eyrie.deployment.group", "read", [odoo_group], ["project_id"])[0]["project_id"][0]
    pgo_group = rpc("eyrie.deployment.group", "search", [("type", "=", "pgo"), ("project_id", "=", project)], limit=1)
    database = deployed(rpc, mock, "pgo", group=pgo_group[0])
    deployments = {
        "pgo": database,
        "odoo": deployed(rpc, mock, "odoo", group=odoo_group, database_id=database),
        "pxc": deployed(rpc, mock, "pxc"),
        "none": deployed(rpc, mock, "none"),
    }
    # The Odoo deployment's runs added its user to the live PostgresCluster, which the database's
    # version lists too: no drift for the database either.
    rpc("eyrie.deployment", "action_refresh_health", [database])
    assert health(rpc, database) == ("healthy", "in_sync")
    run(rpc, mock, database, "action_deploy", ("PostgresCluster", RUNNING["PostgresCluster"], ""))
    for kind, deployment in deployments.items():
        # XML-RPC: a fresh deployment is healthy and in sync (no false drift from server defaults).
        rpc("eyrie.deployment", "action_refresh_health", [deployment])
        assert health(rpc, deployment) == ("healthy", "in_sync"), (kind, rpc(
            "eyrie.deployment", "read", [deployment], ["health_summary"]))
        workload = stored(mock, deployment, WORKLOADS[kind])
        mock.set_status(workload, LOST[WORKLOADS[kind]])
        # JSON-2: the same method; the chatter says it once.
        assert json2("eyrie.deployment", "action_refresh_health", ids=[deployment]) is True
        assert health(rpc, deployment) == ("degraded", "in_sync"), kind
        messages = rpc("mail.message", "search_read", [("model", "=", "eyrie.deployment"), ("res_id", "=", deployment)],
                       ["body"])
        assert sum("is degraded" in message["body"] for message in messages) == 1, messages
    found = rpc("eyrie.deployment", "search", [("health", "=", "degraded"), ("id", "in", list(deployments.values()))])
    assert sorted(found) == sorted(deployments.values())


def test_drift_is_cleared_by_redeploy_and_an_unreachable_cluster_is_readable(rpc, mock):
    deployment = deployed(rpc, mock, "none")
    rpc("eyrie.deployment", "action_refresh_health", [deployment])
    assert health(rpc, deployment) == ("healthy", "in_sync")

    # Someone scales the app and changes its image behind Eyrie's back.
    workload = stored(mock, deployment, "Deployment")
    template = copy.deepcopy(workload["spec"]["template"])
    template["spec"]["containers"][0]["image"] = "nginx:by-hand"
    mock.emulator.objects[mock._key(workload)].patch({"spec": {"replicas": 4, "template": template}})
    rpc("eyrie.deployment", "action_refresh_health", [deployment])
    assert health(rpc, deployment) == ("progressing", "out_of_sync"), "4 pods wanted, 1 there"
    [status] = rpc("eyrie.deployment.status", "search_read", [("deployment_id", "=", deployment)], ["sync_reason"])
    assert "spec.replicas" in status["sync_reason"] and "by-hand" not in status["sync_reason"], status

    run(rpc, mock, deployment, "action_deploy", ("Deployment", RUNNING["Deployment"], ""))  # Re-deploy
    rpc("eyrie.deployment", "action_refresh_health", [deployment])
    assert health(rpc, deployment) == ("healthy", "in_sync")
    assert stored(mock, deployment, "Deployment")["spec"]["replicas"] == 1

    # A second cluster that nothing answers: unknown there, with the reason and since when.
    far = rpc("eyrie.cluster", "create", {
        "name": unique("far"), "dry_run": False, "auth_method": "token",
        "api_server": f"http://127.0.0.1:{free_port()}", "token": TOKEN,
    })
    [record] = rpc("eyrie.deployment", "read", [deployment], ["cluster_ids"])
    rpc("eyrie.deployment", "write", [deployment], {"cluster_ids": [(6, 0, [*record["cluster_ids"], far])]})
    rpc("eyrie.deployment", "action_refresh_health", [deployment])
    statuses = {status["cluster_id"][0]: status for status in rpc(
        "eyrie.deployment.status", "search_read", [("deployment_id", "=", deployment)],
        ["cluster_id", "health", "health_reason", "summary"])}
    assert statuses[far]["health"] == "unknown" and statuses[far]["health_reason"].startswith("cluster unreachable")
    assert " since " in statuses[far]["summary"]
    assert statuses[record["cluster_ids"][0]]["health"] == "healthy", "the reachable cluster is looked at still"
    assert health(rpc, deployment)[0] == "unknown"

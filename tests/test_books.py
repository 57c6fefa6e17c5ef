"""Deployment Books on a running Odoo with the queue_job runner, against a kmock API server:
one run at a time under concurrent clicks, and runs that survive the server being killed."""

import concurrent.futures
import time
import xmlrpc.client

import pytest

from eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster

from .conftest import ADMIN

READY = {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}


@pytest.fixture(scope="module")
def mock():
    with RunningCluster() as running:
        yield running.cluster


class Rpc:
    def __init__(self, url, db):
        self.url, self.db = url, db
        self.uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(db, *ADMIN, {})

    def __call__(self, model, method, *args, **kwargs):
        proxy = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return proxy.execute_kw(self.db, self.uid, ADMIN[1], model, method, list(args), kwargs)

    def wait(self, predicate, timeout=60, what="condition"):
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.3)
        return result


def kmock_deployment(rpc, mock, name):
    """A generic deployment on a (non dry-run) cluster served by ``mock``, initialized."""
    cluster = rpc("eyrie.cluster", "search", [("api_server", "=", mock.url)]) or [rpc("eyrie.cluster", "create", {
        "name": f"kmock {mock.url}", "dry_run": False, "auth_method": "token",
        "api_server": mock.url, "token": TOKEN,
    })]
    group = rpc("eyrie.deployment.group", "search", [("type", "=", "none")], limit=1)[0]
    scope = rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0]
    deployment = rpc("eyrie.deployment", "create", {
        "name": name, "group_id": group, "scope_id": scope, "cluster_ids": [(6, 0, cluster)],
        "image": "nginx:1.27", "port": 80,
    })
    rpc("eyrie.deployment", "action_initialize", [deployment])
    rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the init run")
    return deployment


def workload_of(rpc, deployment):
    """The deployment's Kubernetes Deployment (the cluster of these tests adds no namespace prefix)."""
    [record] = rpc("eyrie.deployment", "read", [deployment], ["slug", "namespace"])
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": record["slug"], "namespace": record["namespace"]}}


def run_state(rpc, deployment):
    return rpc("eyrie.deployment", "read", [deployment], ["run_state"])[0]["run_state"]


def steps_of(rpc, job):
    return rpc("eyrie.job.step", "search_read", [("job_id", "=", job)], ["kind", "state", "attempt", "log"],
               order="sequence")


def test_one_run_under_concurrent_clicks(server, db, mock):
    rpc = Rpc(server, db)
    deployment = kmock_deployment(rpc, mock, "concurrent")

    def press(_):
        try:
            Rpc(server, db)("eyrie.deployment", "action_deploy", [deployment])
            return "ran"
        except xmlrpc.client.Fault as fault:
            return fault.faultString

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(press, range(20)))
    assert outcomes.count("ran") == 1, outcomes
    refusals = [outcome for outcome in outcomes if outcome != "ran"]
    assert all("already has a run in progress" in outcome for outcome in refusals), refusals
    jobs = rpc("eyrie.job", "search_read", [("deployment_id", "=", deployment), ("action", "=", "deploy")], ["state"])
    assert len(jobs) == 1
    # Let it finish: the workload becomes ready.
    rpc.wait(lambda: any(s["kind"] == "wait_ready" and s["state"] == "running" for s in steps_of(rpc, jobs[0]["id"])))
    mock.set_status(workload_of(rpc, deployment), READY)  # as the cluster's controllers would
    rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the deploy run")
    assert rpc("eyrie.deployment", "read", [deployment], ["state", "running_job_count"])[0] == {
        "id": deployment, "state": "deploy", "running_job_count": 0,
    }


def test_a_run_survives_the_server_being_killed(odoo_server, db, mock):
    odoo = odoo_server
    rpc = Rpc(odoo.url, db)
    deployment = kmock_deployment(rpc, mock, "killed")
    rpc("eyrie.deployment", "action_deploy", [deployment])
    domain = [("deployment_id", "=", deployment), ("action", "=", "deploy")]
    job = rpc.wait(lambda: rpc("eyrie.job", "search", domain))[0]
    rpc.wait(lambda: any(s["kind"] == "wait_ready" and s["state"] == "running" for s in steps_of(rpc, job)),
             what="the wait step to run")
    workload = workload_of(rpc, deployment)
    odoo.kill()  # mid-step: the step waits for a rollout that is not ready yet
    killed_at = time.monotonic()
    mock.set_status(workload, READY)  # the rollout completes while Odoo is down
    # queue_job's runner requeues a dead job once it was enqueued more than 10 s ago.
    time.sleep(max(0.0, 11 - (time.monotonic() - killed_at)))
    odoo.start()
    rpc = Rpc(odoo.url, db)
    rpc.wait(lambda: run_state(rpc, deployment) == "done", timeout=90, what="the run to finish after restart")
    steps = steps_of(rpc, job)
    assert [s["state"] for s in steps] == ["done"] * len(steps)
    wait_step = next(s for s in steps if s["kind"] == "wait_ready")
    assert wait_step["attempt"] == 2
    assert "after an interruption" in wait_step["log"]
    assert all(s["attempt"] == 1 for s in steps if s["kind"] != "wait_ready")
    collection = f"/apis/apps/v1/namespaces/{workload['metadata']['namespace']}/deployments"
    creates = [path for method, path, _ in mock.requests() if (method, path) == ("POST", collection)]
    assert len(creates) == 1, creates  # applied once: the re-run found the Deployment as it should be

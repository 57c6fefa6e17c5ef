"""Deployment Books on a running Odoo with the queue_job runner, against a kmock API server:
one run at a time under concurrent clicks, and runs that survive the server being killed."""

import concurrent.futures

from .books import (
    READY,
    kmock_deployment,
    looks,
    queue_job_of,
    run_state,
    steps_of,
    unique,
    wait_sweepable,
    workload_of,
    workload_path,
)
from .conftest import Rpc


def test_one_run_under_concurrent_clicks(server, db, mock):
    rpc = Rpc(server, db)
    deployment = kmock_deployment(rpc, mock, unique("concurrent"))

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda _: Rpc(server, db).press(deployment, "action_deploy"), range(20)))
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
    deployment = kmock_deployment(rpc, mock, unique("killed"))
    workload = workload_of(rpc, deployment)
    # The wait step's first look hangs in its request: the server dies while a worker runs the step.
    mock.answer_late("GET", workload_path(workload), 60, skip=1)  # the apply step reads it first
    rpc("eyrie.deployment", "action_deploy", [deployment])
    domain = [("deployment_id", "=", deployment), ("action", "=", "deploy")]
    job = rpc.wait(lambda: rpc("eyrie.job", "search", domain))[0]
    rpc.wait(lambda: looks(mock, workload) == 1, what="the wait step to look")
    wait_step = next(s for s in steps_of(rpc, job) if s["kind"] == "wait_ready")
    qjob = queue_job_of(rpc, wait_step["id"])
    odoo.kill()  # mid-step: the step looks at a rollout that is not ready yet
    mock.set_status(workload, READY)  # the rollout completes while Odoo is down
    wait_sweepable(db, qjob)  # so the restarted runner requeues the dead job at once
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

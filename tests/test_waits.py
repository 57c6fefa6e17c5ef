"""A wait longer than ``limit_time_real`` under Odoo's multi-process server: each look of the wait
step is one short request of a worker, so no worker is killed and the step is not run again."""

import datetime

from eyrie_books.k8s.tests.kmock_server import free_port

from .books import READY, kmock_deployment, looks, run_state, steps_of, unique, workload_of
from .conftest import OdooServer, Rpc

# Seconds a worker may spend on one request: short, yet enough for a worker's first request, which
# loads the registry, on a loaded machine.
LIMIT_TIME_REAL = 15


def test_a_wait_outlasts_limit_time_real(db, mock, tmp_path):
    odoo = OdooServer(db, tmp_path / "server.log", options=[
        "--workers=2", f"--limit-time-real={LIMIT_TIME_REAL}", f"--gevent-port={free_port()}",
        "--max-cron-threads=0",
    ]).start()
    try:
        rpc = Rpc(odoo.url, db)
        deployment = kmock_deployment(rpc, mock, unique("outlasts"))
        workload = workload_of(rpc, deployment)
        rpc("eyrie.deployment", "action_deploy", [deployment])
        [job] = rpc("eyrie.job", "search", [("deployment_id", "=", deployment), ("action", "=", "deploy")])

        def waited():
            """Seconds the wait step has waited, as it records it (0 until its first look)."""
            [step] = rpc("eyrie.job.step", "search_read", [("job_id", "=", job), ("kind", "=", "wait_ready")],
                         ["wait_since"])
            since = step["wait_since"] and datetime.datetime.fromisoformat(step["wait_since"])
            return since and (datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - since).total_seconds()

        rpc.wait(lambda: (waited() or 0) > 2 * LIMIT_TIME_REAL and looks(mock, workload) >= 3, timeout=120,
                 what=f"the wait step to wait {2 * LIMIT_TIME_REAL} s, over several looks")
        mock.set_status(workload, READY)
        rpc.wait(lambda: run_state(rpc, deployment) == "done", timeout=60, what="the deploy run")
        wait_step = next(step for step in steps_of(rpc, job) if step["kind"] == "wait_ready")
        assert wait_step["attempt"] == 1, wait_step["log"]
        assert "after an interruption" not in wait_step["log"]
        assert wait_step["log"].count("waiting for") == 1, wait_step["log"]
    finally:
        odoo.stop()
    log = (tmp_path / "server.log").read_text()
    assert "Re-queued dead job" not in log and "timeout after" not in log, log[-3000:]  # no worker killed

"""Engine overhead of a Deployment Book step, against a bare queue_job job, on one database.

    python3 bench/book_engine.py [--db eyrie_bench] [--steps 200]

Each no-op step (a generic deployment's "ensure secrets" on a dry-run cluster: nothing to apply)
is performed the way queue_job's controller performs a job: load it, mark it started and commit,
perform it, mark it done and commit. Its time is the engine's overhead: queue_job's bookkeeping
plus Eyrie's (step and run records, the next step's job, bus notifications). The reference is
queue_job's own no-op job (``queue.job._test_job``) performed the same way, in the same run. The
runner's HTTP dispatch is common to both and left out.

Needs Odoo 19 importable and PostgreSQL reachable through libpq's environment; creates the
database with eyrie_books (no demo) when it does not exist. Prints figures; asserts nothing.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

ROOT = Path(__file__).resolve().parent.parent


def ensure_database(db):
    exists = subprocess.run(["psql", "-d", db, "-Atc", "select 1"], capture_output=True).returncode == 0
    if not exists:
        print(f"creating {db} with eyrie_books…", flush=True)
        subprocess.run([sys.executable, "-m", "odoo", "-c", "odoo.conf", "-d", db, "-i", "eyrie_books",
                        "--stop-after-init", "--log-level=warn"], cwd=ROOT, check=True)


def perform(registry, uuid):
    """One job, as queue_job's /queue_job/runjob controller runs it; returns seconds."""
    # Imported once the configuration has put Odoo's addons (base_sparse_field…) on the path.
    from odoo.addons.queue_job.controllers.main import RunJobController  # noqa: PLC0415
    from odoo.addons.queue_job.job import Job  # noqa: PLC0415

    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        job = Job.load(env, uuid)
        job.set_enqueued()
        job.set_started()
        job.store()
        cr.commit()
        RunJobController._runjob(env, job)
        cr.commit()
    return time.perf_counter() - start


def setup_run(registry, steps):
    """A generic deployment on a dry-run cluster, and a book of ``steps`` no-op steps; starts it."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        suffix = str(time.time_ns())
        book = env["eyrie.book"].create({
            "name": f"bench {suffix}", "type": "none", "action": "init",
            "step_ids": [(0, 0, {"sequence": i, "kind": "ensure_secrets"}) for i in range(steps)],
        })
        project = env["eyrie.project"].create({"name": f"bench {suffix}"})
        group = env["eyrie.deployment.group"].create({
            "name": "bench", "project_id": project.id, "type": "none", "deployment_init_book_id": book.id,
        })
        cluster = env["eyrie.cluster"].create({"name": f"bench {suffix}", "dry_run": True})
        scope = env["eyrie.scope"].search([], limit=1)
        deployment = env["eyrie.deployment"].create({
            "name": "bench", "group_id": group.id, "scope_id": scope.id,
            "cluster_ids": [(6, 0, cluster.ids)], "image": "nginx", "port": 80,
        })
        deployment.action_initialize()
        cr.commit()
        return deployment.job_ids.id


def next_step_job(registry, run_id):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        step = env["eyrie.job.step"].search(
            [("job_id", "=", run_id), ("queue_job_id.state", "=", "pending")], limit=1,
        )
        return step.queue_job_id.uuid


def reference_jobs(registry, count):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        uuids = [env["queue.job"].with_delay()._test_job().uuid for _ in range(count)]
        cr.commit()
        return uuids


def figures(name, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(f"{name:34} n={len(ms):4}  median {statistics.median(ms):7.2f} ms  p95 {p95:7.2f} ms")
    return statistics.median(ms), p95


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="eyrie_bench")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    os.chdir(ROOT)
    ensure_database(args.db)

    config.parse_config(["-c", "odoo.conf", "-d", args.db, "--log-level=warn"])
    registry = Registry(args.db)
    odoo.tools.config["test_enable"] = False

    run_id = setup_run(registry, args.steps)
    eyrie = []
    while uuid := next_step_job(registry, run_id):
        eyrie.append(perform(registry, uuid))
    reference = [perform(registry, uuid) for uuid in reference_jobs(registry, args.steps)]

    print(f"machine: {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    ref_median, ref_p95 = figures("queue_job no-op job (reference)", reference)
    median, p95 = figures("Eyrie no-op book step", eyrie)
    print(f"ratio Eyrie / reference: median {median / ref_median:.2f}x, p95 {p95 / ref_p95:.2f}x")
    print(f"Eyrie bookkeeping per step: {median - ref_median:.2f} ms (median difference)")


if __name__ == "__main__":
    main()

"""Waiting at scale: no-op books running while many deployments wait for their rollouts.

    python3 bench/waiting_scale.py [--waiting 100] [--books 20] [--steps 10] [--rounds 3] [--burst] [--db NAME]

A server with 2 workers and the job runner on odoo.conf's channels (``root.eyrie:2``). The
``--waiting`` generic deployments live on a kmock API server whose rollouts do not complete: each
Deploy run waits in its "wait until ready" step, looking every 5 s (the default poll). Each round
runs ``--books`` books of ``--steps`` no-op steps (deployments on a dry-run cluster) twice: alone,
the reference, then while the other deployments wait. For the reference, the waiting steps' next
looks are postponed by a day (their queue jobs' ``eta``: the runner has nothing of theirs to run,
as if they were not there), then brought back spread over the next poll interval, as the looks of
deployments waiting for a while come (``--burst``: all due at once, just as the books start), so
the deployments are deployed and made to wait once for all the rounds. At the end their rollouts
complete (kmock reports them ready) and the script checks that every waiting run then ends done.
Prints the seconds per no-op step (from pressing to the last run done, over the steps) and the
ratio with / without the waiting ones, median of the rounds. Steps holding workers while they wait
would stall the no-op books altogether.
"""

import argparse
import logging
import statistics
import time
from contextlib import closing
from datetime import timedelta

import psycopg2
from common import ensure_database, environment, machine, registry, server

DB = "eyrie_bench_waits"
PROGRESSING = {"replicas": 1, "readyReplicas": 0, "updatedReplicas": 0}
READY = {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}
POLL = 5  # seconds between two looks of a waiting step (the default)


def setup(reg, mock_url, waiting, steps):
    """The groups, clusters and waiting deployments; returns (waiting ids, no-op group, dry cluster)."""
    from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN  # noqa: PLC0415

    with environment(reg) as env:
        name = f"waits {time.time_ns()}"
        project = env["eyrie.project"].create({"name": name})
        scope = env["eyrie.scope"].search([("allow_drop", "=", True)], limit=1)
        kmock = env["eyrie.cluster"].create({"name": f"{name} kmock", "dry_run": False, "auth_method": "token",
                                             "api_server": mock_url, "token": TOKEN})
        dry = env["eyrie.cluster"].create({"name": f"{name} dry", "dry_run": True})

        def book(action, *kinds):
            return env["eyrie.book"].create({
                "name": f"{name} {action}", "type": "none", "action": action,
                # The waits outlast every round (the default timeout would end them first).
                "step_ids": [(0, 0, {"sequence": n, "kind": kind, "timeout": 86400}) for n, kind in enumerate(kinds)],
            }).id

        held = env["eyrie.deployment.group"].create({
            "name": f"{name} waiting", "project_id": project.id, "type": "none",
            "deployment_deploy_book_id": book("deploy", "apply_workload", "wait_ready"),
        })
        noop = env["eyrie.deployment.group"].create({
            "name": f"{name} no-op", "project_id": project.id, "type": "none",
            "deployment_init_book_id": book("init", *["ensure_secrets"] * steps),
        })
        ids = env["eyrie.deployment"].with_context(tracking_disable=True).create([{
            "name": f"waiting {n}", "group_id": held.id, "scope_id": scope.id, "cluster_ids": [(6, 0, kmock.ids)],
            "image": "nginx:1.27", "port": 80,
        } for n in range(waiting)]).ids
        env["eyrie.deployment"].browse(ids).action_initialize()
        return ids, (noop.id, scope.id, dry.id), kmock.id


def wait_for(reg, check, what, timeout=900):
    deadline = time.monotonic() + timeout
    while True:
        with environment(reg, commit=False) as env:
            if check(env):
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def runs_done(ids, action):
    def check(env):
        runs = env["eyrie.job"].search([("deployment_id", "in", ids), ("action", "=", action)])
        return len(runs) >= len(ids) and not runs.filtered(lambda run: run.state in ("queued", "running"))
    return check


def noop_books(reg, noop, books, steps):
    """Seconds per step of ``books`` no-op books run at once, from pressing to the last one done."""
    group, scope, cluster = noop
    with environment(reg) as env:
        deployments = env["eyrie.deployment"].with_context(tracking_disable=True).create([{
            "name": f"no-op {time.time_ns()} {n}", "group_id": group, "scope_id": scope,
            "cluster_ids": [(6, 0, [cluster])], "image": "nginx:1.27", "port": 80,
        } for n in range(books)])
        env.cr.commit()
        start = time.perf_counter()
        deployments.action_initialize()
        ids = deployments.ids
    wait_for(reg, runs_done(ids, "init"), "the no-op books")
    return (time.perf_counter() - start) / (books * steps)


def hold_looks(reg, waiting, hold, burst=False):
    """Postpone (``hold``) the next look of every waiting step by a day, or bring it back: spread
    over the next poll interval, as the looks of deployments waiting for a while come (or, with
    ``burst``, all due now); returns once every next look is where it was put (and, held, none is
    running)."""
    from odoo import fields  # noqa: PLC0415

    def settled(env):
        qjobs = env["eyrie.job.step"].search([("job_id.deployment_id", "in", waiting), ("kind", "=", "wait_ready"),
                                              ("state", "in", ("queued", "running"))]).queue_job_id
        now = fields.Datetime.now()
        later = now + timedelta(hours=1)
        moved = qjobs.filtered(lambda qjob: qjob.state == "pending" and (qjob.eta or later) < later if hold
                               else qjob.state == "pending" and qjob.eta and qjob.eta > later)
        # A look enqueued just as its eta moves can miss its worker (which skips a locked row): queue_job's
        # runner requeues such a job after 10 s, but only when it wakes, and held, its next eta is a day
        # away. Its notification wakes it.
        stuck = qjobs.filtered(lambda qjob: qjob.state == "enqueued"
                               and qjob.date_enqueued < now - timedelta(seconds=11))
        if not (moved or stuck):
            return not (hold and qjobs.filtered(lambda qjob: qjob.state in ("enqueued", "started")))
        etas = [now + (timedelta(days=1) if hold else timedelta(seconds=0 if burst else POLL * index / len(moved)))
                for index in range(len(moved))]
        # Read committed, committed at once: a look started meanwhile keeps its job (then it is moved
        # at the next check); the runner hears of the others (queue_job's trigger notifies it).
        with closing(psycopg2.connect(dbname=env.cr.dbname)) as connection, connection, connection.cursor() as cr:
            cr.execute("UPDATE queue_job SET eta = new.eta FROM unnest(%s, %s) AS new(id, eta) "
                       "WHERE queue_job.id = new.id AND state = 'pending'", [moved.ids, etas])
            cr.execute("SELECT pg_notify('queue_job', uuid) FROM queue_job WHERE id = ANY(%s)", [stuck.ids])
        return False

    wait_for(reg, settled, "the waiting steps' looks to be " + ("held" if hold else "due"))


def workloads(reg, ids, cluster):
    from odoo.addons.eyrie_books.k8s import builders  # noqa: PLC0415

    with environment(reg, commit=False) as env:
        cluster = env["eyrie.cluster"].browse(cluster)
        return [builders.workload(deployment._k8s_spec(cluster)) for deployment in env["eyrie.deployment"].browse(ids)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiting", type=int, default=100)
    parser.add_argument("--books", type=int, default=20)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", action="store_true",
                        help="bring every waiting step's look back due at once, as the books start")
    parser.add_argument("--db", default=DB)
    args = parser.parse_args()
    # A fresh copy each run: a run stopped halfway would leave deployments waiting (and looking).
    ensure_database(args.db, "eyrie_books", template=f"{args.db}_empty")
    reg = registry(args.db)
    from odoo.addons.eyrie_books.k8s.tests.kmock_server import RunningCluster  # noqa: PLC0415

    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # a line per look otherwise
    alone, beside = [], []
    # A real API server keeps no history of requests (see serve()): nor does this one, nor its cost.
    with RunningCluster(history=False) as running, server(args.db, "--workers=2", "--max-cron-threads=0") as _base:
        mock = running.cluster
        started = time.perf_counter()
        waiting, noop, kmock = setup(reg, mock.url, args.waiting, args.steps)
        wait_for(reg, runs_done(waiting, "init"), "the waiting deployments' init runs")
        with environment(reg) as env:
            env["eyrie.deployment"].browse(waiting).action_deploy()
        # Every Deploy at its wait: a look may not have come yet (when looks are asked for faster than
        # the workers perform them, queue_job runs the oldest jobs first: the first looks wait).
        wait_for(reg, lambda env: env["eyrie.job.step"].search_count(
            [("job_id.deployment_id", "in", waiting), ("kind", "=", "apply_workload"), ("state", "=", "done"),
             ("job_id.action", "=", "deploy")],
        ) == len(waiting), "every waiting deployment to wait")
        print(f"{args.waiting} deployments initialized and waiting after {time.perf_counter() - started:.0f} s",
              flush=True)
        for number in range(1, args.rounds + 1):
            hold_looks(reg, waiting, hold=True)
            alone.append(noop_books(reg, noop, args.books, args.steps))
            hold_looks(reg, waiting, hold=False, burst=args.burst)
            beside.append(noop_books(reg, noop, args.books, args.steps))
            print(f"round {number}: {alone[-1] * 1000:7.1f} ms per no-op step alone, {beside[-1] * 1000:7.1f} ms "
                  f"beside {args.waiting} waiting deployments ({beside[-1] / alone[-1]:.2f}x)", flush=True)
        for workload in workloads(reg, waiting, kmock):
            mock.set_status(workload, READY)
        wait_for(reg, lambda env: not env["eyrie.job"].search_count(
            [("deployment_id", "in", waiting), ("state", "in", ("queued", "running"))]), "the rollouts")
        with environment(reg, commit=False) as env:
            deploys = env["eyrie.job"].search([("deployment_id", "in", waiting), ("action", "=", "deploy")])
            if unfinished := deploys.filtered(lambda run: run.state != "done"):
                raise SystemExit(f"{len(unfinished)} waiting runs did not end done")
        looks = mock.answered("GET")
    print(machine())
    ratios = [b / a for a, b in zip(alone, beside, strict=True)]
    print(f"{args.books} no-op books of {args.steps} steps, {args.waiting} deployments waiting (poll 5 s), "
          f"2 workers, root.eyrie:2; {looks} looks in all")
    print(f"no-op step alone (reference): {statistics.median(alone) * 1000:.1f} ms; beside the waiting ones: "
          f"{statistics.median(beside) * 1000:.1f} ms; ratio {statistics.median(ratios):.2f}x "
          f"(rounds {min(ratios):.2f}–{max(ratios):.2f}); target ≤ 1.2x")


if __name__ == "__main__":
    main()

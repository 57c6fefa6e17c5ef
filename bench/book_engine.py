"""The book engine: overhead per step against queue_job's own jobs, and throughput at scale
against PostgreSQL's own commit rate.

    python3 bench/book_engine.py [--steps 200] [--rounds 5] [--deployments 200] [--workers 2]
                                 [--throughput-rounds 3] [--db NAME] [--only overhead|throughput]

Overhead. A book of ``--steps`` no-op steps (a generic deployment's "ensure secrets" on a dry-run
cluster: nothing to apply) is performed step by step the way queue_job's controller performs a
job: load it, mark it started and commit, perform it, mark it done and commit. Each step's time is
the engine's overhead: queue_job's bookkeeping plus Eyrie's (step and run records, the next step's
job, bus notifications). References, performed the same way in the same run: a chain of as many
no-op jobs (``queue.job._test_job``), queue_job's own way of running jobs one after another (its
creation time shared out over its jobs, as a step's includes enqueuing the next), and single no-op
jobs. The runner's HTTP dispatch is common to all and left out. The book is run a second time
without the runs' bus notifications, to show what they cost, and with them sent as Odoo's bus
sends them (a new connection per commit), to compare. The kinds alternate over
``--rounds`` rounds (each round starting with the next kind), and the figures are medians over the
rounds. Each kind's SQL queries per step are counted too (a chain's creation included).

Throughput. ``--deployments`` generic deployments on a dry-run cluster are initialized at once,
then, in each of ``--throughput-rounds`` rounds, deployed at once, on a server with ``--workers``
workers and the job runner (odoo.conf's channels). The references, in the same rounds (each round
starting with another of the three): as many no-op queue jobs on the books' channel, performed by
the same runner, alone and in one queue_job chain per deployment, as long as its book. Prints
steps per second, the database commits each step takes, and Eyrie's rate as a share of the
references' (median of the rounds; target at least 80%); then ``pgbench``'s simple-update
transactions per second with as many clients (the machine's commit rate).

Prints figures; asserts nothing.
"""

import argparse
import re
import statistics
import subprocess
import time
import xmlrpc.client

from common import (
    PERFORMED,
    count_queries,
    ensure_database,
    environment,
    figures,
    machine,
    perform,
    registry,
    server,
    timed,
)

DB = "eyrie_bench_engine"
PGBENCH_DB = "eyrie_bench_pgbench"
ADMIN = ("admin", "admin")
ACTIONS = {"action_initialize": "init", "action_deploy": "deploy"}


# ----------------------------------------------------------------------------
# Overhead per step
# ----------------------------------------------------------------------------

def generic_setup(env, name, book=None):
    """A project and group of generic deployments on a dry-run cluster."""
    project = env["eyrie.project"].create({"name": name})
    group = env["eyrie.deployment.group"].create({
        "name": name, "project_id": project.id, "type": "none",
        **({"deployment_init_book_id": book.id} if book else {}),
    })
    cluster = env["eyrie.cluster"].create({"name": name, "dry_run": True})
    return group, cluster, env["eyrie.scope"].search([("allow_drop", "=", True)], limit=1)


def start_noop_book(reg, steps):
    """Starts a run of a book of ``steps`` no-op steps; returns the run's id."""
    with environment(reg) as env:
        name = f"noop {time.time_ns()}"
        book = env["eyrie.book"].create({
            "name": name, "type": "none", "action": "init",
            "step_ids": [(0, 0, {"sequence": i, "kind": "ensure_secrets"}) for i in range(steps)],
        })
        group, cluster, scope = generic_setup(env, name, book)
        deployment = env["eyrie.deployment"].create({
            "name": "noop", "group_id": group.id, "scope_id": scope.id,
            "cluster_ids": [(6, 0, cluster.ids)], "image": "nginx", "port": 80,
        })
        deployment.action_initialize()
        return deployment.job_ids.id


def next_step_job(reg, run_id):
    with environment(reg, commit=False) as env:
        return env["eyrie.job.step"].search(
            [("job_id", "=", run_id), ("queue_job_id.state", "=", "pending")], limit=1,
        ).queue_job_id.uuid


def noop_chain(reg, count):
    """A chain of ``count`` no-op jobs, each waiting for the previous one. Returns their uuids and
    the seconds that creating the chain took per job (an Eyrie step's time includes creating the
    next step's job)."""
    from odoo.addons.queue_job.delay import chain  # noqa: PLC0415

    with environment(reg) as env:
        PERFORMED["counting"] = True  # creating the chain counts in its jobs' queries
        start = time.perf_counter()
        delayables = [env["queue.job"].delayable()._test_job() for _ in range(count)]
        chain(*delayables).delay()
        env.cr.commit()
        PERFORMED["counting"] = False
        return [delayable._generated_job.uuid for delayable in delayables], (time.perf_counter() - start) / count


def noop_jobs(reg, count):
    with environment(reg) as env:
        return [env["queue.job"].with_delay()._test_job().uuid for _ in range(count)]


def eyrie_steps(reg, steps):
    """Each step's seconds: its queue job's, shared out over the steps that job ran (its batch)."""
    run_id = start_noop_book(reg, steps)
    seconds = []
    while uuid := next_step_job(reg, run_id):
        job_seconds = perform(reg, uuid)
        with environment(reg, commit=False) as env:
            ran = env["eyrie.job.step"].search_count([("job_id", "=", run_id), ("queue_job_id.uuid", "=", uuid)])
        seconds += [job_seconds / ran] * ran
    return seconds


def set_batch(reg, seconds):
    """How long a step's queue job goes on with the next steps (False: the default)."""
    from odoo.addons.eyrie_books.models.eyrie_job_step import BATCH_PARAMETER  # noqa: PLC0415

    with environment(reg) as env:
        env["ir.config_parameter"].set_param(BATCH_PARAMETER, seconds)


def batches_off(reg, measure):
    """``measure()`` with every step in a queue job of its own."""
    set_batch(reg, "0")
    try:
        return measure()
    finally:
        set_batch(reg, False)


def steps_notifying(reg, steps, notify):
    """The same book with the runs' notifications sent by ``notify(run)`` instead."""
    from odoo.addons.eyrie_books.models.eyrie_job import EyrieJob  # noqa: PLC0415

    kept, EyrieJob._notify = EyrieJob._notify, notify
    try:
        return eyrie_steps(reg, steps)
    finally:
        EyrieJob._notify = kept


def bus_sendone(run):
    """The runs' notifications as Odoo's bus sends them (``_sendone``: a new connection to the
    ``postgres`` database for each commit's NOTIFY), for comparison."""
    users = run.env["res.groups"].browse(run.env["ir.model.data"]._xmlid_to_res_id("eyrie.group_eyrie_user"))
    payload = {"deployment_ids": run.deployment_id.ids, "job_ids": run.ids}
    run.env["bus.bus"]._sendone(users, "eyrie.run", payload)
    for deployment in run.deployment_id:
        run.env["bus.bus"]._sendone(f"eyrie.deployment/{deployment.id}", "eyrie.run", payload)


def overhead(reg, steps, rounds):
    """``rounds`` rounds, each measuring every kind in turn (so that a busy machine weighs on all
    alike); figures are the medians over the rounds of each round's median and p95."""
    kinds = {
        "queue_job no-op job": lambda: [perform(reg, uuid) for uuid in noop_jobs(reg, steps)],
        "queue_job chain of no-op jobs (reference)": lambda: chained_steps(reg, steps),
        "Eyrie no-op book step": lambda: eyrie_steps(reg, steps),
        "  the same, one queue job per step": lambda: batches_off(reg, lambda: eyrie_steps(reg, steps)),
        "  the same, notified by the bus's _sendone": lambda: steps_notifying(reg, steps, bus_sendone),
        "  the same without live notifications": lambda: steps_notifying(reg, steps, lambda run: None),
    }
    set_batch(reg, False)  # the default, whatever a run before left
    per_round = {name: [] for name in kinds}
    queries = dict.fromkeys(kinds, 0)
    print(f"\nOverhead per step: {rounds} rounds of {steps} steps of each kind")
    count_queries()
    names = list(kinds)
    for number in range(1, rounds + 1):
        # Each round starts with another kind, so that none is always measured first.
        for name in names[number % len(names):] + names[:number % len(names)]:
            measure = kinds[name]
            before = PERFORMED["queries"]
            seconds = measure()
            queries[name] += (PERFORMED["queries"] - before) / len(seconds)
            per_round[name].append(figures(f"round {number}: {name}", seconds))
    print("\nmedians over the rounds")
    for name, values in per_round.items():
        print(f"{name:44} median {statistics.median(m for m, _ in values):8.2f} ms  "
              f"p95 {statistics.median(p for _, p in values):8.2f} ms  {queries[name] / rounds:5.1f} queries per step")
    eyrie, chain = per_round["Eyrie no-op book step"], per_round["queue_job chain of no-op jobs (reference)"]
    medians = [e[0] / c[0] for e, c in zip(eyrie, chain, strict=True)]
    p95s = [e[1] / c[1] for e, c in zip(eyrie, chain, strict=True)]
    print(f"ratio Eyrie / chain: median {statistics.median(medians):.2f}x "
          f"(rounds {min(medians):.2f}–{max(medians):.2f}), "
          f"p95 {statistics.median(p95s):.2f}x (rounds {min(p95s):.2f}–{max(p95s):.2f}); target ≤ 1.2x")


def notify_cost(rounds, count=100):
    """What waking the websocket dispatchers costs: one ``NOTIFY imbus`` over a new connection to
    ``postgres`` (the bus's way, once per commit) against one over the runs' kept connection."""
    from odoo import sql_db  # noqa: PLC0415

    from odoo.addons.bus.models.bus import get_notify_payloads  # noqa: PLC0415
    from odoo.addons.eyrie_books.notifier import NOTIFIER  # noqa: PLC0415

    channels = [("eyrie_bench", "eyrie.deployment/0")]

    def new_connection():
        with sql_db.db_connect("postgres").cursor() as cr:
            for payload in get_notify_payloads(channels):
                cr.execute("SELECT pg_notify('imbus', %s)", [payload])

    ways = {"NOTIFY over a new connection (the bus)": new_connection,
            "NOTIFY over the kept connection (runs)": lambda: NOTIFIER.notify(channels)}
    medians = {name: [] for name in ways}
    for _ in range(rounds):
        for name, way in ways.items():
            medians[name].append(statistics.median(timed(way)[0] * 1000 for _ in range(count)))
    print(f"\nWaking the dispatchers: {rounds} rounds of {count}")
    for name, values in medians.items():
        print(f"{name:44} median {statistics.median(values):8.2f} ms  (rounds {min(values):.2f}–{max(values):.2f})")


def chained_steps(reg, steps):
    uuids, creation = noop_chain(reg, steps)
    return [perform(reg, uuid) + creation for uuid in uuids]


# ----------------------------------------------------------------------------
# Throughput
# ----------------------------------------------------------------------------

def make_deployments(reg, count):
    with environment(reg) as env:
        group, cluster, scope = generic_setup(env, f"throughput {time.time_ns()}")
        return env["eyrie.deployment"].with_context(tracking_disable=True).create([{
            "name": f"app {n}", "group_id": group.id, "scope_id": scope.id,
            "cluster_ids": [(6, 0, cluster.ids)], "image": "nginx:1.27", "port": 80,
        } for n in range(count)]).ids


def commits(db):
    out = subprocess.run(["psql", "-d", db, "-Atc", f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{db}'"],
                         capture_output=True, text=True, check=True).stdout
    return int(out)


def run_all(base, db, method, ids, batch=None):
    """Press ``method`` on every deployment in one call; wait for their runs. Returns (seconds,
    steps performed, commits). With ``batch``, the runs' steps batch that many seconds instead of
    the default (0: one queue job per step)."""
    common = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common")
    uid = common.authenticate(db, *ADMIN, {})
    models = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object", allow_none=True)

    def call(model, name, *args, **kwargs):
        return models.execute_kw(db, uid, ADMIN[1], model, name, list(args), kwargs)

    from odoo.addons.eyrie_books.models.eyrie_job_step import BATCH_PARAMETER  # noqa: PLC0415

    call("ir.config_parameter", "set_param", BATCH_PARAMETER, batch or False)
    last_run = max(call("eyrie.job", "search", [], limit=1, order="id desc") or [0])
    runs = [("deployment_id", "in", ids), ("id", ">", last_run)]
    commits_before = commits(db)
    start = time.perf_counter()
    call("eyrie.deployment", method, ids)
    while call("eyrie.job", "search_count", [*runs, ("state", "in", ("queued", "running"))]):
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    steps = call("eyrie.job.step", "search_count", [("job_id", "in", call("eyrie.job", "search", runs)),
                                                     ("state", "=", "done")])
    failed = call("eyrie.job", "search_count", [*runs, ("state", "!=", "done")])
    if failed:
        raise SystemExit(f"{failed} runs did not finish")
    return seconds, steps, commits(db) - commits_before


def pgbench_tps(clients):
    if subprocess.run(["psql", "-d", PGBENCH_DB, "-Atc", "select 1"], capture_output=True).returncode:
        subprocess.run(["createdb", PGBENCH_DB], check=True)
        subprocess.run(["pgbench", "-i", "-q", PGBENCH_DB], check=True, capture_output=True)
    out = subprocess.run(["pgbench", "-n", "-b", "simple-update", f"-c{clients}", f"-j{clients}", "-T10", PGBENCH_DB],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def reference_jobs(reg, db, count, length=1):
    """``count`` no-op queue jobs on the books' channel, for the server's runner: (seconds until
    all are done, commits). The Odoo reference of the throughput: queue_job's own dispatch. With
    ``length`` > 1, in chains of that length, as queue_job would run a book of as many steps (each
    job enqueued once the previous one is done; the chains are created before the clock starts)."""
    from odoo.addons.queue_job.delay import chain  # noqa: PLC0415

    commits_before = commits(db)
    with environment(reg) as env:
        if length == 1:
            uuids = [env["queue.job"].with_delay(channel="root.eyrie")._test_job().uuid for _ in range(count)]
        else:
            links = [env["queue.job"].delayable(channel="root.eyrie")._test_job() for _ in range(count)]
            for first in range(0, count, length):
                chain(*links[first:first + length]).delay()
            uuids = [link._generated_job.uuid for link in links]
        start = time.perf_counter()
    while True:
        with environment(reg, commit=False) as env:
            if not env["queue.job"].search_count([("uuid", "in", uuids), ("state", "!=", "done")]):
                break
        time.sleep(0.5)
    return time.perf_counter() - start, commits(db) - commits_before


def throughput(reg, db, count, workers, rounds):
    """Initialize ``count`` deployments at once, then ``rounds`` rounds each deploying them all at
    once and performing as many no-op jobs, alone and in one chain per deployment (the references),
    the three in turn first; prints each round's rates and the medians of Eyrie's rate as a share
    of the references'."""
    ids = make_deployments(reg, count)
    print(f"\nThroughput: {count} deployments at once, server with {workers} workers and the job runner")
    shares, chain_shares, unbatched_shares, per_step = [], [], [], []
    with server(db, f"--workers={workers}", "--max-cron-threads=0") as base:
        seconds, steps, done_commits = run_all(base, db, "action_initialize", ids)
        print(f"initialize {steps} steps in {seconds:6.1f} s: {steps / seconds:6.1f} steps/s, "
              f"{done_commits / steps:4.1f} commits per step")
        with environment(reg, commit=False) as env:
            book = env["eyrie.deployment"].browse(ids[0]).group_id.deployment_deploy_book_id
            length = len(book.step_ids)
        kinds = {
            "deploy": lambda: run_all(base, db, "action_deploy", ids),
            "unbatched": lambda: run_all(base, db, "action_deploy", ids, batch="0"),
            "jobs": lambda: reference_jobs(reg, db, count * length),
            "chains": lambda: reference_jobs(reg, db, count * length, length=length),
        }
        names = list(kinds)
        for number in range(1, rounds + 1):
            # Each round starts with another kind.
            first = number % len(names)
            measured = {name: kinds[name]() for name in names[first:] + names[:first]}
            seconds, steps, done_commits = measured["deploy"]
            unbatched_seconds, unbatched_steps, _commits = measured["unbatched"]
            (jobs_seconds, jobs_commits), (chains_seconds, _chains_commits) = measured["jobs"], measured["chains"]
            jobs = count * length
            rate, jobs_rate, chains_rate = steps / seconds, jobs / jobs_seconds, jobs / chains_seconds
            unbatched_rate = unbatched_steps / unbatched_seconds
            shares.append(rate / jobs_rate)
            chain_shares.append(rate / chains_rate)
            unbatched_shares.append(unbatched_rate / jobs_rate)
            per_step.append(done_commits / steps)
            print(f"round {number}: deploy {steps} steps in {seconds:6.1f} s: {rate:6.1f} steps/s, "
                  f"{done_commits / steps:4.1f} commits per step; one queue job per step: {unbatched_rate:6.1f} "
                  f"steps/s; queue_job no-op jobs: {jobs_rate:6.1f} jobs/s, {jobs_commits / jobs:4.1f} commits per "
                  f"job; chains of {length}: {chains_rate:6.1f} jobs/s; Eyrie at {shares[-1]:.0%} of the jobs, "
                  f"{chain_shares[-1]:.0%} of the chains ({unbatched_shares[-1]:.0%} of the jobs one job per step)",
                  flush=True)
    print(f"deploy steps/s as a share of queue_job no-op jobs/s, same runner and channel: median "
          f"{statistics.median(shares):.0%} (rounds {min(shares):.0%}–{max(shares):.0%}); target ≥ 80%")
    print(f"deploy steps/s as a share of queue_job chains' jobs/s (one chain per deployment): median "
          f"{statistics.median(chain_shares):.0%} (rounds {min(chain_shares):.0%}–{max(chain_shares):.0%})")
    print(f"the same with one queue job per step (batches off), as a share of no-op jobs/s: median "
          f"{statistics.median(unbatched_shares):.0%} (rounds {min(unbatched_shares):.0%}–{max(unbatched_shares):.0%})")
    tps = pgbench_tps(workers)
    commits_per_step = statistics.median(per_step)
    print(f"pgbench simple-update, {workers} clients (physical reference): {tps:.0f} transactions/s; at "
          f"{commits_per_step:.1f} commits per step that bounds a book at {tps / commits_per_step:.0f} steps/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--deployments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--throughput-rounds", type=int, default=3)
    parser.add_argument("--db", default=DB, help="the database to create and use")
    parser.add_argument("--only", choices=("overhead", "throughput"), help="run one of the two parts")
    args = parser.parse_args()
    ensure_database(args.db, "eyrie_books")
    reg = registry(args.db)
    print(machine())
    if args.only != "throughput":
        notify_cost(args.rounds)
        overhead(reg, args.steps, args.rounds)
    if args.only != "overhead":
        throughput(reg, args.db, args.deployments, args.workers, args.throughput_rounds)


if __name__ == "__main__":
    main()

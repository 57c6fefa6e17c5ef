"""Deployment Books under stress, on a running Odoo with the queue_job runner and a kmock API server:
many clients pressing Deploy and Pause at once, fifty runs with the server killed (SIGKILL) at
random moments, and a step killed so often that queue_job gives up on it.

The random choices are seeded: each test prints its seed, and ``EYRIE_RELIABILITY_SEED=<seed>``
plays the same plan again (which buttons are pressed, when the server dies, how long it stays down;
the moment a kill lands within a step still depends on timing).
"""

import collections
import contextlib
import os
import random
import re
import threading
import time

import pytest

from .books import (
    CONNECTION_ERRORS,
    READY,
    kmock_deployment,
    looks,
    queue_job_of,
    steps_of,
    unique,
    wait_sweepable,
    workload_of,
    workload_path,
)
from .conftest import Rpc

SEED = int(os.environ.get("EYRIE_RELIABILITY_SEED") or random.SystemRandom().randrange(1_000_000))

ACTIVE = ("queued", "running")
BUTTON_ACTIONS = {"action_initialize": "init", "action_deploy": "deploy", "action_pause": "pause"}
# The deployment state each action's button moves to.
ACTION_STATES = {"init": "initialize", "deploy": "deploy", "pause": "pause"}
# What a refused button says: a run is already going, or the button makes no sense in this state.
REFUSALS = ("already has a run in progress", "Cannot move")


class Controllers(threading.Thread):
    """Marks each watched Deployment rolled out as soon as it exists, as a cluster's controllers would.

    It writes a status once, right after the object's creation, while no request changes the
    object (the step that created it has moved on): the emulator is not shared unsafely.
    """

    def __init__(self, mock):
        super().__init__(name="controllers", daemon=True)
        self.mock, self.waiting, self.stopping = mock, [], threading.Event()

    def watch(self, workload):
        self.waiting.append(workload)

    def run(self):
        while not self.stopping.wait(0.1):
            for workload in list(self.waiting):
                try:
                    self.mock.set_status(workload, READY)
                except KeyError:
                    continue  # not created yet
                self.waiting.remove(workload)


@pytest.fixture(scope="module")
def controllers(mock):
    thread = Controllers(mock)
    thread.start()
    yield thread
    thread.stopping.set()
    thread.join(timeout=5)


def seeded(test):
    rng = random.Random(f"{SEED}-{test}")
    print(f"\n{test}: seed {SEED} (EYRIE_RELIABILITY_SEED={SEED} plays it again)")
    return rng


def runs_of(rpc, deployments):
    """{deployment id: its runs, oldest first}."""
    by_deployment = {deployment: [] for deployment in deployments}
    for job in rpc("eyrie.job", "search_read", [("deployment_id", "in", deployments)],
                   ["deployment_id", "cluster_id", "action", "state"], order="id"):
        by_deployment[job["deployment_id"][0]].append(job)
    return by_deployment


def most_active(by_deployment):
    """The largest number of queued or running runs of one deployment on one cluster."""
    active = collections.Counter(
        (job["deployment_id"][0], job["cluster_id"][0])
        for jobs in by_deployment.values() for job in jobs if job["state"] in ACTIVE
    )
    return max(active.values(), default=0)


# ----------------------------------------------------------------------
# Many clients at once
# ----------------------------------------------------------------------

DEPLOYMENTS_CLICKED, CLIENTS, ROUNDS = 3, 20, 4
# Deployment statuses: settled for no action (rolling out), and settled after a pause.
PROGRESSING = {"replicas": 1, "readyReplicas": 0, "updatedReplicas": 0}
STOPPED = {"replicas": 0, "readyReplicas": 0, "updatedReplicas": 0}
SETTLED = {"deploy": READY, "pause": STOPPED}


def held_group(rpc, name, max_retries=5):
    """A group of generic deployments whose Deploy and Pause runs end by waiting for the workload to
    settle: a run lasts until the test writes the status it waits for, so every button pressed
    meanwhile meets it (Odoo retries a request after a serialization failure up to seconds later)."""
    [tools] = rpc("eyrie.deployment.group", "search_read", [("type", "=", "none")],
                  ["project_id", "deployment_init_book_id"], limit=1)

    def book(action, *kinds):
        return rpc("eyrie.book", "create", {
            "name": f"{name}: {action}", "type": "none", "action": action,
            "step_ids": [(0, 0, {"sequence": 10 * number, "kind": kind, "max_retries": max_retries,
                                 "parameters": '{"poll": 0.3}' if kind == "wait_ready" else "{}"})
                         for number, kind in enumerate(kinds, 1)],
        })

    return rpc("eyrie.deployment.group", "create", {
        "name": name, "project_id": tools["project_id"][0], "type": "none",
        "deployment_init_book_id": tools["deployment_init_book_id"][0],
        "deployment_deploy_book_id": book("deploy", "apply_workload", "wait_ready"),
        "deployment_pause_book_id": book("pause", "pause", "wait_ready"),
    })


class Watcher(threading.Thread):
    """Samples, while in its ``with`` block, the most runs one deployment has active on one cluster."""

    def __init__(self, rpc, deployments):
        super().__init__(name="watcher", daemon=True)
        self.rpc, self.deployments, self.stopping, self.most = rpc, deployments, threading.Event(), 0

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.join()

    def run(self):
        while not self.stopping.wait(0.05):
            self.most = max(self.most, most_active(runs_of(self.rpc, self.deployments)))


def press_together(rpc, clicks):
    """Press each (deployment, button) of ``clicks`` from a client of its own, all at once."""
    start, outcomes = threading.Barrier(len(clicks)), [None] * len(clicks)

    def press(index, deployment, button):
        start.wait()
        outcomes[index] = rpc.press(deployment, button)

    threads = [threading.Thread(target=press, args=(index, *click)) for index, click in enumerate(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def settle(rpc, mock, waiting):
    """Give each workload the status its run waits for, once the run's wait step runs (the channel
    runs two steps at a time: in whatever order they come). ``waiting``: [(workload, run)]."""

    def settled():
        for workload, job in list(waiting):
            if any(step["kind"] == "wait_ready" and step["state"] == "running" for step in steps_of(rpc, job["id"])):
                mock.set_status(workload, SETTLED[job["action"]])
                waiting.remove((workload, job))
        return not waiting

    rpc.wait(settled, what="the runs to wait for their workloads")


def test_mixed_clicks_start_one_run_per_deployment_and_round(server, db, mock):
    rng = seeded("mixed clicks")
    rpc = Rpc(server, db)
    group = held_group(rpc, unique("clicked"))
    deployments = [kmock_deployment(rpc, mock, unique("clicked"), group=group) for _ in range(DEPLOYMENTS_CLICKED)]
    workloads = {deployment: workload_of(rpc, deployment) for deployment in deployments}
    refused = collections.Counter()
    for round_ in range(ROUNDS):
        before = runs_of(rpc, deployments)
        for workload in workloads.values():  # no run is active: nothing else touches them now
            with contextlib.suppress(KeyError):  # not created before the first Deploy
                mock.set_status(workload, PROGRESSING)
        # Each deployment gets one Deploy at least (valid from every state here), the rest at random.
        clicks = [(deployment, "action_deploy") for deployment in deployments] + [
            (rng.choice(deployments), rng.choice(("action_deploy", "action_pause")))
            for _ in range(CLIENTS - len(deployments))
        ]
        rng.shuffle(clicks)
        with Watcher(rpc, deployments) as watcher:
            outcomes = press_together(rpc, clicks)
            context = f"round {round_}, seed {SEED}: {list(zip(clicks, outcomes, strict=True))}"
            started = {}
            for deployment in deployments:
                mine = [(button, outcome) for (target, button), outcome in zip(clicks, outcomes, strict=True)
                        if target == deployment]
                ran = [button for button, outcome in mine if outcome == "ran"]
                assert len(ran) == 1, context
                refusals = [outcome for _button, outcome in mine if outcome != "ran"]
                assert all(outcome and any(reason in outcome for reason in REFUSALS) for outcome in refusals), context
                refused.update(next(reason for reason in REFUSALS if reason in outcome) for outcome in refusals)
                new = runs_of(rpc, [deployment])[deployment][len(before[deployment]):]
                assert [job["action"] for job in new] == [BUTTON_ACTIONS[ran[0]]], context
                started[deployment] = new[0]
            # Every button has answered: now each workload settles as its run waits for.
            settle(rpc, mock, [(workloads[deployment], job) for deployment, job in started.items()])
            rpc.wait(lambda: not any(job["state"] in ACTIVE for jobs in runs_of(rpc, deployments).values()
                                     for job in jobs), timeout=90, what=f"the runs of round {round_}")
        assert watcher.most <= 1, context
        after = runs_of(rpc, deployments)
        states = {record["id"]: record for record in rpc(
            "eyrie.deployment", "read", deployments, ["state", "running_job_count"])}
        for deployment, job in started.items():
            assert after[deployment][-1] == {**job, "state": "done"}, context
            assert states[deployment]["state"] == ACTION_STATES[job["action"]], context
            assert states[deployment]["running_job_count"] == 0, context
    print(f"mixed clicks: {ROUNDS} rounds of {CLIENTS} clients on {DEPLOYMENTS_CLICKED} deployments, "
          f"refused: {dict(refused)}")


# ----------------------------------------------------------------------
# The server killed at random moments
# ----------------------------------------------------------------------

PLAN = ("action_initialize", "action_deploy", "action_pause", "action_deploy", "action_pause")
DEPLOYMENTS_KILLED, KILLS = 10, 6


class Killer(threading.Thread):
    """SIGKILLs the server when the runs done reach each threshold, a random moment later, and starts
    it again after a random downtime: some shorter than the 10 s after which queue_job's runner
    requeues a dead job, some longer."""

    def __init__(self, odoo, rng, thresholds):
        super().__init__(name="killer", daemon=True)
        self.odoo, self.rng, self.thresholds = odoo, rng, thresholds
        self.up, self.stopping = threading.Event(), threading.Event()
        self.up.set()
        self.progress = self.kills = 0  # runs done (written by the driver), kills so far
        self.error = None

    def run(self):
        try:
            for threshold in self.thresholds:
                while self.progress < threshold:
                    if self.stopping.wait(0.1):
                        return
                if self.stopping.wait(self.rng.uniform(0.0, 1.5)):
                    return
                self.up.clear()
                self.odoo.kill()
                self.kills += 1
                time.sleep(self.rng.uniform(1.0, 12.0))
                self.odoo.start()
                self.up.set()
        except Exception as error:  # reported by the test
            self.error = error


# The one request each run of a step of these kinds sends, as (methods, path pattern, namespace):
# the create of the namespace, the write of the Deployment (created, then scaled up from a pause),
# the read of the Service (it is written once: an unchanged one gets no write), the scale-down.
SIGNATURES = {
    "create_namespace": (("POST",), r"/api/v1/namespaces", None),
    "apply_workload": (("POST", "PATCH"), r"/apis/apps/v1/namespaces/([^/]+)/deployments(?:/[^/]+)?", 1),
    "apply_network": (("GET",), r"/api/v1/namespaces/([^/]+)/services/[^/]+", 1),
    "pause": (("PATCH",), r"/apis/apps/v1/namespaces/([^/]+)/deployments/[^/]+/scale", 1),
}


def signature(method, path, body):
    """(namespace, step kind) of a request that a run of a step of that kind sends, else None."""
    for kind, (verbs, pattern, group) in SIGNATURES.items():
        if method in verbs and (match := re.fullmatch(pattern, path)):
            return (match[group] if group else (body or {}).get("metadata", {}).get("name")), kind
    return None


def drive(rpc, deployments, killer):
    """Press each deployment's buttons of ``PLAN`` in turn, each once its previous run is done, and
    resume the runs that fail, while ``killer`` kills the server; until every run is done, or none
    has progressed for two minutes. What the server did with a request it was killed under shows
    in the next look at the runs. Returns what it saw: {(step, attempt): (kind, error)} of the steps
    that failed, surprises, the most runs active at once for one deployment and cluster."""
    failures, surprises, most = {}, [], 0
    last_change = time.monotonic()
    while time.monotonic() - last_change < 120:
        assert killer.error is None, f"seed {SEED}: restarting the server failed: {killer.error}"
        if not killer.up.wait(timeout=1):
            continue
        try:
            runs = runs_of(rpc, deployments)
            most = max(most, most_active(runs))
            done = sum(job["state"] == "done" for jobs in runs.values() for job in jobs)
            if done != killer.progress:
                killer.progress, last_change = done, time.monotonic()
            if done == len(deployments) * len(PLAN):
                break
            # The last action waits for the last kill: every kill finds runs to interrupt.
            pressing = len(PLAN) - 1 if killer.is_alive() else len(PLAN)
            for deployment, jobs in runs.items():
                last = jobs[-1] if jobs else {"state": "done"}
                if last["state"] == "failed":
                    # Clearly failed (the step says why), and resumable: resume it.
                    [step] = rpc("eyrie.job.step", "search_read",
                                 [("job_id", "=", last["id"]), ("state", "=", "failed")], ["kind", "attempt", "error"])
                    failures[step["id"], step["attempt"]] = (step["kind"], step["error"])
                    rpc("eyrie.job", "action_resume", [last["id"]])
                elif last["state"] == "done" and len(jobs) < pressing:
                    if (outcome := rpc.press(deployment, PLAN[len(jobs)])) != "ran":
                        surprises.append(outcome)
                elif last["state"] not in (*ACTIVE, "done"):
                    surprises.append(f"run {last['id']} is {last['state']}")
        except CONNECTION_ERRORS:
            continue
        time.sleep(0.2)
    return failures, surprises, most


def lost_and_duplicated(rpc, mock, deployments, steps):
    """Count the steps lost and duplicated.

    Lost: a step not done (never run, or its run stuck), or said done with no execution of it: no
    queue job that ran it to the end (its own, or the job of an earlier step that ran it in its
    batch), fewer requests of its kind than steps of its kind done.
    Duplicated: a step run to the end twice, or more requests of a step kind than attempts of steps
    of that kind (an attempt is counted before it runs, so a run no attempt accounts for is one too
    many). Each kind of step checked this way sends one request each time it runs (``signature``).
    """
    executions = collections.defaultdict(list)
    for qjob in rpc("queue.job", "search_read",
                    [("func_string", "in", [f"eyrie.job.step({step['id']},)._execute()" for step in steps])],
                    ["func_string", "state", "result"]):
        executions[int(re.search(r"\((\d+),\)", qjob["func_string"])[1])].append(qjob)
    batch_jobs = {step["queue_job_id"][0] for step in steps if step["queue_job_id"]}
    ended = {qjob["id"] for qjob in rpc("queue.job", "read", list(batch_jobs), ["state"]) if qjob["state"] == "done"}
    lost = duplicated = 0
    for step in steps:
        completed = [qjob for qjob in executions[step["id"]] if qjob["state"] == "done" and qjob["result"] == "Done"]
        in_batch = step["queue_job_id"] and step["queue_job_id"][0] in ended
        lost += step["state"] != "done" or not (completed or in_batch)
        duplicated += max(0, len(completed) - 1)

    namespaces = {record["id"]: record["namespace"]
                  for record in rpc("eyrie.deployment", "read", deployments, ["namespace"])}
    sent = collections.Counter(filter(None, (signature(*request) for request in mock.requests())))
    by_kind = collections.defaultdict(list)
    for step in steps:
        by_kind[namespaces[step["deployment_id"]], step["kind"]].append(step)
    for (namespace, kind), kind_steps in by_kind.items():
        if kind in SIGNATURES:
            lost += max(0, sum(step["state"] == "done" for step in kind_steps) - sent[namespace, kind])
            duplicated += max(0, sent[namespace, kind] - sum(step["attempt"] for step in kind_steps))
    unfinished = [qjob for qjobs in executions.values() for qjob in qjobs
                  if qjob["state"] not in ("done", "failed", "cancelled")]
    return lost, duplicated, unfinished


def test_fifty_runs_survive_random_kills(odoo_server, db, mock, controllers):
    rng = seeded("random kills")
    rpc = Rpc(odoo_server.url, db)
    deployments = [kmock_deployment(rpc, mock, unique("killed"), initialize=False) for _ in range(DEPLOYMENTS_KILLED)]
    for deployment in deployments:
        controllers.watch(workload_of(rpc, deployment))
    total = len(deployments) * len(PLAN)
    killer = Killer(odoo_server, rng, sorted(rng.sample(range(1, total * 7 // 10), KILLS)))
    started = time.monotonic()
    killer.start()
    try:
        failures, surprises, most = drive(rpc, deployments, killer)
    finally:
        killer.stopping.set()
        killer.join(timeout=60)
        if not killer.up.is_set():
            odoo_server.start()  # the tests after this one need it
    elapsed = time.monotonic() - started

    runs = runs_of(rpc, deployments)
    jobs = {job["id"]: job for jobs in runs.values() for job in jobs}
    steps = [{**step, "deployment_id": jobs[step["job_id"][0]]["deployment_id"][0]}
             for step in rpc("eyrie.job.step", "search_read", [("job_id", "in", list(jobs))],
                             ["job_id", "kind", "state", "attempt", "log", "queue_job_id"])]
    lost, duplicated, unfinished = lost_and_duplicated(rpc, mock, deployments, steps)
    interrupted = sum(step["log"].count("after an interruption") for step in steps)
    print(f"random kills: {len(jobs)} runs, {killer.kills} kills, {len(failures)} failed and resumed, "
          f"{interrupted} steps interrupted and run again, lost steps {lost}, duplicated steps {duplicated}, "
          f"{elapsed:.0f} s")

    context = f"seed {SEED}, server log {odoo_server.log}"
    assert (lost, duplicated) == (0, 0), context
    assert killer.kills == KILLS, context
    assert len(jobs) == total and all(job["state"] == "done" for job in jobs.values()), context
    assert all([job["action"] for job in runs[deployment]] == [BUTTON_ACTIONS[button] for button in PLAN]
               for deployment in deployments), context
    assert not surprises, (surprises, context)
    assert all(error for _kind, error in failures.values()), (failures, context)
    assert not unfinished, (unfinished, context)
    assert most <= 1, context
    assert rpc("eyrie.deployment", "read", deployments, ["state", "running_job_count"]) == [
        {"id": deployment, "state": "pause", "running_job_count": 0} for deployment in deployments
    ], context


def test_a_step_found_dead_too_often_fails_clearly_and_resumes(odoo_server, db, mock):
    """queue_job gives up on a job found dead more often than its retries allow: the step fails and
    says why, and the run resumes from it without applying anything twice."""
    rpc = Rpc(odoo_server.url, db)
    deployment = kmock_deployment(rpc, mock, unique("found dead"), group=held_group(rpc, unique("found dead"), 0))
    workload = workload_of(rpc, deployment)
    # Each look of the wait step hangs in its request: the server dies while a worker runs the step.
    mock.answer_late("GET", workload_path(workload), 60, skip=1)  # the apply step reads it first
    rpc("eyrie.deployment", "action_deploy", [deployment])
    job = runs_of(rpc, [deployment])[deployment][-1]

    def wait_step():
        return next(step for step in steps_of(rpc, job["id"]) if step["kind"] == "wait_ready")

    def running(attempt):
        step = wait_step()
        return step["state"] == "running" and step["attempt"] == attempt

    # Steps without retries get a queue job allowed one: found dead twice it is run again, the third
    # time it fails. Each time the server stays down long enough for the runner to requeue it.
    for attempt in (1, 2, 3):
        rpc.wait(lambda attempt=attempt: running(attempt) and looks(mock, workload) == attempt, timeout=180,
                 what=f"attempt {attempt} of the wait step to look")
        qjob = queue_job_of(rpc, wait_step()["id"])
        odoo_server.kill()
        if attempt < 3:
            mock.answer_late("GET", workload_path(workload), 60)
        wait_sweepable(db, qjob)
        odoo_server.start()
    # The runner fails the queue job in SQL, behind the ORM; the engine's reconcile cron then fails
    # the step and the run. The scheduler would run it within a minute or two: run it now.
    rpc.wait(lambda: rpc("queue.job", "read", [qjob], ["state"])[0]["state"] == "failed",
             what="queue_job to give up")
    [cron] = rpc("ir.model.data", "search_read",
                 [("module", "=", "eyrie_books"), ("name", "=", "ir_cron_reconcile_steps")], ["res_id"])
    rpc.wait(lambda: rpc.press(cron["res_id"], "method_direct_trigger", model="ir.cron") == "ran",
             what="the reconcile cron (busy in the scheduler)")
    assert runs_of(rpc, [deployment])[deployment][-1]["state"] == "failed"
    step = wait_step()
    assert step["state"] == "failed"
    [error] = rpc("eyrie.job.step", "read", [step["id"]], ["error"])
    assert "server stopped" in error["error"], error
    rpc("eyrie.job", "action_resume", [job["id"]])
    settle(rpc, mock, [(workload, job)])
    rpc.wait(lambda: runs_of(rpc, [deployment])[deployment][-1]["state"] == "done", what="the resumed run")
    steps = steps_of(rpc, job["id"])
    assert [(step["kind"], step["state"], step["attempt"]) for step in steps] == [
        ("apply_workload", "done", 1), ("wait_ready", "done", 4),
    ]
    namespace = workload["metadata"]["namespace"]
    assert collections.Counter(signature(*request) for request in mock.requests())[namespace, "apply_workload"] == 1

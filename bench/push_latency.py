"""Push latency: from a step's new state being committed to a web client's bus receiving it.

    python3 bench/push_latency.py [--steps 100] [--db NAME]

Serves the demo database with Odoo's server (threaded: the websocket is served in process; the
job runner paused, as the steps are performed here) and connects two real websocket clients, as a
browser's bus worker connects: the demo portal user, subscribed to the deployment's channel (its
portal page), and the admin (the backend: the Eyrie users' group channel). A book of ``--steps``
no-op steps runs on the demo's production Odoo deployment (on its dry-run cluster), performed the
way queue_job's controller performs a job, each in a queue job of its own (batches off): each step
commits twice, *running* then *done*, and each commit sends the run's notification. The time is
taken when the commit starts, and when each client receives the notification; the next transition
waits for both. Prints p50 and p95 of the delay per client, against the target p95 ≤ 500 ms.
"""

import argparse
import json
import queue
import re
import sys
import threading
import time
import urllib.request
from unittest.mock import patch

import websocket
from common import ensure_database, environment, figures, machine, registry, server

DB = "eyrie_bench_portal"
USERS = {"portal (deployment page)": ("portal", "portal"), "backend (admin)": ("admin", "admin")}
TARGET_P95_MS = 500


def session_cookie(base, db, login, password):
    body = json.dumps({"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}})
    request = urllib.request.Request(f"{base}/web/session/authenticate", body.encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        if json.load(response).get("error"):
            sys.exit(f"{login} could not log in")
        return re.search(r"session_id=[^;]+", response.headers["Set-Cookie"]).group(0)


class BusClient(threading.Thread):
    """A websocket bus client: puts the time each ``eyrie.run`` notification arrives in ``received``."""

    def __init__(self, base, cookie, channels):
        super().__init__(daemon=True)
        from odoo.addons.bus.websocket import WebsocketConnectionHandler  # noqa: PLC0415

        url = base.replace("http://", "ws://") + f"/websocket?version={WebsocketConnectionHandler._VERSION}"
        self.socket = websocket.create_connection(url, cookie=cookie, origin=base, timeout=30)
        self.socket.send(json.dumps({"event_name": "subscribe", "data": {"channels": channels, "last": 0}}))
        self.received = queue.Queue()

    def run(self):
        while True:
            try:
                frame = self.socket.recv()
            except (websocket.WebSocketException, OSError):
                return
            arrived = time.perf_counter()
            for notification in json.loads(frame or "[]"):
                if notification["message"]["type"] == "eyrie.run":
                    self.received.put(arrived)

    def drain(self):
        while not self.received.empty():
            self.received.get_nowait()


def start_run(reg, steps):
    """A run of a book of ``steps`` no-op steps on the demo's production Odoo deployment."""
    from odoo.addons.eyrie_books.models.eyrie_job_step import BATCH_PARAMETER  # noqa: PLC0415

    with environment(reg) as env:
        deployment = env.ref("eyrie.demo_deployment_odoo_prod")
        env["eyrie.job"].search([("deployment_id", "=", deployment.id), ("state", "in", ("queued", "running"))]) \
            .action_cancel()
        book = env["eyrie.book"].create({
            "name": f"push latency {time.time_ns()}", "type": deployment.type, "action": "deploy",
            "step_ids": [(0, 0, {"sequence": i, "kind": "ensure_secrets"}) for i in range(steps)],
        })
        # Every step in a queue job of its own (no batches): each step then commits twice.
        env["ir.config_parameter"].set_param(BATCH_PARAMETER, "0")
        run = env["eyrie.job"].create({"deployment_id": deployment.id, "book_id": book.id,
                                       "cluster_id": deployment.cluster_ids[:1].id})
        run._start()
        return deployment.id, run.id


def transitions(reg, run_id):
    """Performs the run's steps; yields, at each commit that notifies, the time the commit starts."""
    from odoo import SUPERUSER_ID, api, sql_db  # noqa: PLC0415

    from odoo.addons.queue_job.controllers.main import RunJobController  # noqa: PLC0415
    from odoo.addons.queue_job.job import Job  # noqa: PLC0415

    started = []
    commit = sql_db.Cursor.commit

    def timed_commit(cr):
        started.append(time.perf_counter())
        commit(cr)

    with patch.object(sql_db.Cursor, "commit", timed_commit):
        while True:
            with reg.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                uuid = env["eyrie.job.step"].search(
                    [("job_id", "=", run_id), ("queue_job_id.state", "=", "pending")], limit=1).queue_job_id.uuid
                if not uuid:
                    return
                job = Job.load(env, uuid)
                job.set_enqueued()
                job.set_started()
                job.store()
                cr.commit()  # running
                yield started[-1]
                first = len(started)
                # Done and the next step queued (the first commit: a job with batches commits its
                # steps from a cursor of its own, before queue_job commits the job done).
                RunJobController._runjob(env, job)
                yield started[first]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--db", default=DB)
    args = parser.parse_args()
    ensure_database(args.db, "eyrie_books,eyrie_website", demo=True)
    reg = registry(args.db)
    deployment, run = start_run(reg, args.steps)
    with server(args.db, "--max-cron-threads=0", env={"ODOO_QUEUE_JOB_CHANNELS": "root:0"}) as base:
        clients = {}
        for name, (login, password) in USERS.items():
            channels = [f"eyrie.deployment/{deployment}"] if login == "portal" else []
            clients[name] = BusClient(base, session_cookie(base, args.db, login, password), channels)
            clients[name].start()
        time.sleep(1)  # let both subscriptions reach the server before the first transition
        delays = {name: [] for name in clients}
        for client in clients.values():
            client.drain()
        for committed in transitions(reg, run):
            for name, client in clients.items():
                try:
                    delays[name].append(client.received.get(timeout=10) - committed)
                except queue.Empty:
                    sys.exit(f"{name}: no notification within 10 s of a commit")
        for client in clients.values():
            client.socket.close()
    print(machine())
    print(f"\nPush latency over {len(next(iter(delays.values())))} transitions ({args.steps} steps: running, done)")
    for name, seconds in delays.items():
        _median, p95 = figures(name, seconds)
        print(f"  p95 {p95:.0f} ms: {'within' if p95 <= TARGET_P95_MS else 'over'} the {TARGET_P95_MS} ms target")


if __name__ == "__main__":
    main()

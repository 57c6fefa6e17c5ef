import contextlib
import threading
import time
from unittest.mock import patch

import kmock

from odoo import SUPERUSER_ID, api

from odoo.addons.eyrie.tests.common import EyrieCase
from odoo.addons.eyrie_books.k8s import builders, database
from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster
from odoo.addons.eyrie_books.models.eyrie_job_step import BATCH_PARAMETER
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

# The status of each waited-for kind once ready, as its controllers write it.
READY = {
    "Deployment": {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1},
    "Job": {"succeeded": 1},
    "PostgresCluster": {"instances": [{"name": "instance1", "readyReplicas": 1}]},
    "PerconaXtraDBCluster": {"state": "ready"},
}


def wired_database(spec):
    """What the runs of an app's database deployment (and PGO) leave on the cluster: its
    PostgresCluster, without users yet, and the Secret of the app's user (see test_wiring for
    the database's own runs)."""
    cluster = {**database.database_cluster(spec.database), "spec": {"postgresVersion": 16, "users": []}}
    secret = {**database.user_secret(spec.database), "data": {"user": "d2Vi", "password": "cHc=", "port": "NTQzMg=="}}
    return [cluster, secret]


class BooksCase(EyrieCase):
    """Deployments of each type on the dry-run cluster, and a queue runner that performs their
    queued steps the way queue_job's runner and controller do, in the test transaction. Each step
    gets a queue job of its own, so that tests can act between two steps (test_batches runs
    several steps in one job)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(BATCH_PARAMETER, "0")
        cls.env["eyrie.deployment.group"]._set_missing_books()
        # Runs queued by the demo data are not these tests' business.
        cls.env["eyrie.job"].search([("state", "in", ("queued", "running"))]).action_cancel()

    @classmethod
    def make_deployment(cls, name="web", kind="odoo", **vals):
        if kind == "odoo" and "database_id" not in vals and "db_host" not in vals:
            vals["database_id"] = cls.shared_database().id
        if kind == "none":
            vals.setdefault("port", 8080)
        return super().make_deployment(name=name, kind=kind, **vals)

    @classmethod
    def kmock_cluster(cls, name, slug, **vals):
        """A kmock API server for the test class (``cls.mock``) and a cluster record reaching it."""
        cls.mock = cls.enterClassContext(RunningCluster()).cluster
        return cls.env["eyrie.cluster"].create({
            "name": name, "slug": slug, "dry_run": False, "auth_method": "token",
            "api_server": cls.mock.url, "token": TOKEN, **vals,
        })

    def make_ready(self, step):
        """Before a waiting step runs on a kmock cluster: report its object ready, as the cluster's
        controllers would."""
        job = step.job_id
        if job.cluster_id.dry_run:
            return
        spec = job.deployment_id._k8s_spec(job.cluster_id, job.version_id)
        self.make_database_ready(step, spec)
        if step.kind == "wait_ready":
            self.mock.set_status(builders.workload(spec), READY[builders.workload(spec)["kind"]])
        elif step.kind == "run_init_job" and step.wait_since:  # the first look creates the Job
            self.mock.set_status(builders.odoo.init_job(spec), READY["Job"])
        elif step.kind == "update_modules" and step.wait_since:
            job = builders.odoo.update_job(spec, [])
            self.mock.set_status(job, READY["Job"])
            # Its pod and what it printed, as the kubelet would keep them.
            pod = f"{job['metadata']['name']}-x7k2p"
            self.mock.emulator.objects[kmock.resource("v1", "pods"), spec.namespace, pod] = {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod, "namespace": spec.namespace, "labels": {"job-name": job["metadata"]["name"]}},
            }
            self.mock.emulator[f"get /api/v1/namespaces/{spec.namespace}/pods/{pod}/log"] << b"odoo: modules updated\n"

    def make_database_ready(self, step, spec):
        """Before a step of a wired app on a kmock cluster: what its database's runs and PGO leave
        there (see wired_database), where they have not left it yet."""
        if spec.database is not None and not step.job_id.cluster_id.dry_run:
            step.job_id.cluster_id._k8s_operations().ensure_all(
                obj for obj in wired_database(spec) if self.mock.stored(obj) is None)

    @classmethod
    def shared_database(cls):
        """The PostgreSQL deployment that Odoo deployments of these tests use, made once."""
        database = cls.env["eyrie.deployment"].search([("slug", "=", "shared-db"), ("project_id", "=", cls.project.id)])
        return database or super().make_deployment(name="Shared DB", kind="pgo", slug="shared-db")

    def run_queue(self, before=None, count=None, limit=100, due=None):
        """Perform pending step jobs, oldest first, until none is left or ``count`` were performed
        (``before(step)`` is called before each). With ``due``, only the jobs due by then (as
        queue_job's runner does with their ETA); otherwise any pending job, at once.
        Returns the steps performed, in order."""
        performed = self.env["eyrie.job.step"]
        domain = [("queue_job_id.state", "=", "pending")]
        if due:
            domain += ["|", ("queue_job_id.eta", "=", False), ("queue_job_id.eta", "<=", due)]
        for _ in range(limit):
            if count is not None and len(performed) == count:
                return performed
            step = self.env["eyrie.job.step"].search(domain, order="queue_job_id", limit=1)
            if not step:
                return performed
            qjob = step.queue_job_id
            if before:
                before(step)
            job = Job.load(self.env, qjob.uuid)
            job.set_enqueued()
            job.set_started()
            job.store()
            # queue_job runs a step's job, and records retries and failures, from a cursor of its
            # own: let it reuse ours, and read what it wrote afresh.
            self.env.flush_all()
            with self.enter_registry_test_mode(), contextlib.suppress(Exception):
                RunJobController._runjob(self.env, job)
            self.env.invalidate_all()
            performed |= step
        raise AssertionError("the queue did not drain")

    def assertRunDone(self, deployment, action):
        jobs = deployment.job_ids.filtered(lambda job: job.action == action)
        self.assertTrue(jobs, f"no {action} run")
        for job in jobs:
            self.assertEqual(job.state, "done", f"{job.display_name}: {job.error}")
            self.assertEqual(set(job.step_ids.mapped("state")), {"done"})
        return jobs


class LiveRunner:
    """For browser tests (HttpCase): performs ``count`` queued steps from a thread while a tour
    watches the page, the way queue_job does (each job's 'started' committed first, then the
    step). The runner goes on when the page is ready for it, never on the clock: it starts the
    first step once ``watched`` is set (the page listens) and the tour has passed ``start_after``
    steps, and performs it once the tour has passed ``perform_after`` (it saw the step running).
    Each phase takes a cursor of its own: in test mode, cursors share one transaction and wait
    for each other. An error in the thread fails the test."""

    TIMEOUT = 60  # seconds the runner waits for the page, then fails saying what it saw
    browser = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(BATCH_PARAMETER, "0")  # a job per step, for the tour to see

    @contextlib.contextmanager
    def allow_requests(self, browser=None, all_requests=False):
        # The tour's browser, whose progress the runner reads.
        self.browser = browser
        with super().allow_requests(browser=browser, all_requests=all_requests):
            yield

    @contextlib.contextmanager
    def page_listening(self, deployment):
        """Runs the block with an Event that is set once a page subscribes to the deployment's bus
        channel (then it sees every run notification)."""
        channel, watched = f"eyrie.deployment/{deployment.id}", threading.Event()
        websocket = type(self.env["ir.websocket"])
        build = websocket._build_bus_channel_list

        def build_and_signal(records, channels):
            result = build(records, channels)
            if channel in result:
                watched.set()
            return result

        with patch.object(websocket, "_build_bus_channel_list", build_and_signal):
            yield watched

    @contextlib.contextmanager
    def live_runner(self, watched, count, start_after, perform_after):
        """Runs the block (the tour) with the runner thread; then the thread must have finished."""
        errors, stopping = [], threading.Event()

        def target():
            try:
                self.perform_steps(watched, count, start_after, perform_after, stopping)
            except Exception as error:  # raised in the test's thread below
                errors.append(error)

        thread = threading.Thread(target=target, name="live runner", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stopping.set()  # the tour ended: a runner still waiting for it gives up
            thread.join(self.TIMEOUT)
        if errors:
            raise errors[0]
        self.assertFalse(thread.is_alive(), "the runner thread is still running")

    def perform_steps(self, watched, count, start_after, perform_after, stopping):
        if not watched.wait(self.TIMEOUT):
            raise AssertionError(f"the page did not start listening within {self.TIMEOUT} s")
        for number in range(1, count + 1):
            uuid = self.in_cursor(self.next_job)
            if not uuid:
                raise AssertionError(f"no step job pending for step {number} of {count}")
            if number == 1:
                self.wait_for_tour(start_after, stopping)
            self.in_cursor(lambda env, uuid=uuid: self.start_job(env, uuid))
            if number == 1:
                self.wait_for_tour(perform_after, stopping)
            self.in_cursor(lambda env, uuid=uuid: RunJobController._try_perform_job(env, Job.load(env, uuid)))

    def wait_for_tour(self, steps, stopping):
        """Until the tour has passed ``steps`` of its steps."""
        deadline = time.monotonic() + self.TIMEOUT
        while (passed := self.tour_steps_passed()) < steps:
            if stopping.is_set() or time.monotonic() > deadline:
                raise AssertionError(f"the tour passed {passed} of its steps, the runner waited for {steps}")
            stopping.wait(0.05)

    def tour_steps_passed(self):
        """How many steps the tour has passed, as it records it in the page (-1: no page yet)."""
        if self.browser is None:
            return -1
        answer = self.browser._websocket_request("Runtime.evaluate", params={
            "expression": "localStorage.getItem('current_tour.index')", "returnByValue": True,
        })
        value = (answer or {}).get("result", {}).get("value")
        return int(value) if value is not None else -1

    def next_job(self, env):
        step = env["eyrie.job.step"].search([("queue_job_id.state", "=", "pending")], limit=1)
        return step.queue_job_id.uuid

    def start_job(self, env, uuid):
        job = Job.load(env, uuid)
        job.set_enqueued()
        job.set_started()
        job.store()

    def in_cursor(self, work):
        with self.registry.cursor() as cr:
            result = work(api.Environment(cr, SUPERUSER_ID, {}))
            # Test cursors drop post-commit hooks, which is where bus notifications are sent;
            # leaving the block commits.
            cr.flush()
            cr.postcommit.run()
        return result

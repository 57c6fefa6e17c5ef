import contextlib
import time

from odoo import SUPERUSER_ID, api

from odoo.addons.eyrie.tests.common import EyrieCase
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job


class BooksCase(EyrieCase):
    """Deployments of each type on the dry-run cluster, and a queue runner that performs their
    queued steps the way queue_job's runner and controller do, in the test transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
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
    def shared_database(cls):
        """The PostgreSQL deployment that Odoo deployments of these tests use, made once."""
        database = cls.env["eyrie.deployment"].search([("slug", "=", "shared-db"), ("project_id", "=", cls.project.id)])
        return database or super().make_deployment(name="Shared DB", kind="pgo", slug="shared-db")

    def run_queue(self, before=None, count=None, limit=100):
        """Perform pending step jobs, oldest first, until none is left or ``count`` were performed
        (``before(step)`` is called before each). Returns the steps performed, in order."""
        performed = self.env["eyrie.job.step"]
        for _ in range(limit):
            if count is not None and len(performed) == count:
                return performed
            step = self.env["eyrie.job.step"].search(
                [("queue_job_id.state", "=", "pending")], order="queue_job_id", limit=1,
            )
            if not step:
                return performed
            qjob = step.queue_job_id
            if before:
                before(step)
            job = Job.load(self.env, qjob.uuid)
            job.set_enqueued()
            job.set_started()
            job.store()
            # queue_job records retries and failures from a cursor of its own: let it reuse ours
            # (the test reads a failure from there).
            with self.enter_registry_test_mode(), contextlib.suppress(Exception):
                RunJobController._runjob(self.env, job)
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
    """For browser tests (HttpCase): performs ``count`` queued steps from a thread, the way
    queue_job does (each job's 'started' committed first, then the step), once ``watched`` is set
    (the page listens). Each phase takes a cursor of its own: in test mode, cursors share one
    transaction and wait for each other, so the thread stops as soon as its steps are done."""

    def perform_steps(self, watched, count):
        watched.wait(60)
        time.sleep(1)
        for _ in range(count):
            uuid = self.in_cursor(self.next_job)
            self.in_cursor(lambda env, uuid=uuid: self.start_job(env, uuid))
            time.sleep(1)
            self.in_cursor(lambda env, uuid=uuid: RunJobController._try_perform_job(env, Job.load(env, uuid)))
            time.sleep(0.5)

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

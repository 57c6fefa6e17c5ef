"""Waiting steps hold no worker: a step waiting for a rollout looks once per execution, gives its
worker back until the next look, and is bounded by its timeout, not by its retries. Time is
simulated: ``fields.Datetime.now`` is a clock the test moves, the pending queue jobs' ETAs come
closer as it moves, and the queue runs the jobs due, as queue_job's runner does."""

import datetime
from unittest.mock import patch

from odoo import fields

from odoo.addons.eyrie_books.k8s import api_path, builders, ref
from odoo.addons.eyrie_books.steps import KINDS

from .common import READY, BooksCase

MINUTE = datetime.timedelta(minutes=1)


class TestWaits(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kmock = cls.kmock_cluster("kmock waits", "kmockw")
        cls.wait_step = cls.env.ref("eyrie_books.book_none_deploy").step_ids.filtered(lambda s: s.kind == "wait_ready")

    def setUp(self):
        super().setUp()
        self.now = fields.Datetime.now()
        self.enterContext(patch.object(fields.Datetime, "now", lambda *args: self.now))

    def waiting_deployment(self, name, timeout, poll=60):
        """A deployment on kmock, initialized, whose Deploy run is waiting for its rollout."""
        self.wait_step.parameters = f'{{"timeout": {timeout}, "poll": {poll}}}'
        deployment = self.make_deployment(name=name, kind="none", cluster_ids=[fields.Command.set(self.kmock.ids)])
        deployment.action_initialize()
        self.run_queue()
        deployment.action_deploy()
        self.run_queue(due=self.now)
        steps = deployment.job_ids[0].step_ids
        step = steps.filtered(lambda s: s.kind == "wait_ready")
        self.assertEqual((step.state, step.waiting), ("running", True), step.log)
        # Its looks yield to the steps of runs that have work to do (steps of kinds that never wait).
        working = steps.filtered(lambda other: not KINDS[other.kind].waits)
        self.assertGreater(step.queue_job_id.priority, max(working.queue_job_id.mapped("priority")))
        return deployment, step

    def minutes_pass(self, minutes=1):
        """The clock moves on; what the queue would run that much later is due now."""
        self.now += minutes * MINUTE
        self.env.flush_all()
        self.env.cr.execute("UPDATE queue_job SET eta = eta - %s WHERE state = 'pending' AND eta IS NOT NULL",
                            [minutes * MINUTE])
        self.env.invalidate_all()
        return self.run_queue(due=datetime.datetime.now())

    def looks(self, deployment):
        """The reads of the deployment's workload once created: one per look of its wait step."""
        target = ref(builders.workload(deployment._k8s_spec(self.kmock)))
        requests = self.mock.requests()
        created = requests.index(next(request for request in requests
                                      if request[:2] == ("POST", api_path(target, collection=True))))
        return sum((method, path) == ("GET", api_path(target)) for method, path, _body in requests[created:])

    def assertFree(self, step):
        """Between two looks: no worker holds the step, its queue job is pending until the next."""
        self.assertEqual(step.queue_job_id.state, "pending")
        self.assertGreaterEqual(step.queue_job_id.eta, datetime.datetime.now() + datetime.timedelta(seconds=50))
        self.assertFalse(self.env["queue.job"].search_count([("state", "in", ("enqueued", "started"))]))

    def test_a_ten_minute_wait_holds_no_worker(self):
        waiting, step = self.waiting_deployment("long-wait", timeout=3600)
        self.assertFree(step)
        # Another run, on another deployment, goes from start to end while the first one waits.
        other = self.make_deployment(name="meanwhile", kind="none")
        other.action_initialize()
        self.run_queue(due=self.now)
        self.assertRunDone(other, "init")
        self.assertEqual((step.state, step.waiting), ("running", True))
        # Ten minutes of looks, a minute apart: each gives the worker back.
        for _minute in range(10):
            self.assertEqual(len(self.minutes_pass()), 1)
            self.assertFree(step)
        self.assertIn("waiting for Deployment long-wait", step.log)
        self.assertIn("600 s so far", step.log)
        # A wait started now looks first: its first look has a higher priority than the later looks
        # of the wait under way (queue_job would otherwise run the older queue job first).
        newer = self.make_deployment(name="newer-wait", kind="none", cluster_ids=[fields.Command.set(self.kmock.ids)])
        newer.action_initialize()
        self.run_queue(due=datetime.datetime.now())
        newer.action_deploy()
        newer_wait = newer.job_ids.filtered(lambda job: job.action == "deploy").step_ids.filtered(
            lambda s: s.kind == "wait_ready")
        self.run_queue(count=len(newer_wait.job_id.step_ids.filtered(lambda s: s.sequence < newer_wait.sequence)),
                       due=datetime.datetime.now())
        self.assertEqual(newer_wait.state, "queued")
        self.assertLess(newer_wait.queue_job_id.priority, step.queue_job_id.priority)
        self.assertLess(step.queue_job_id.id, newer_wait.queue_job_id.id)
        self.mock.set_status(builders.workload(waiting._k8s_spec(self.kmock)), READY["Deployment"])
        self.minutes_pass()
        self.assertRunDone(waiting, "deploy")
        self.assertEqual(self.looks(waiting), 12)
        # Looks are not attempts: of the queue job's retries, only the execution that ended counts.
        self.assertEqual((step.attempt, step.queue_job_id.retry), (1, 1))
        self.assertEqual(step.log.count("waiting for"), 1, step.log)
        self.assertIn("ready after 660 s", step.log)
        self.assertFalse(step.waiting)

    def test_a_wait_ends_at_its_deadline(self):
        waiting, step = self.waiting_deployment("never-ready", timeout=180)
        for _minute in range(3):
            self.minutes_pass()
        job = waiting.job_ids[0]
        self.assertEqual((job.state, job.failed_step_id), ("failed", step))
        self.assertIn("not ready after 180 s", step.error)
        self.assertEqual(step.queue_job_id.state, "done", "the step failed; its queue job did not run out of retries")
        self.assertEqual(step.attempt, 1)
        self.assertEqual(self.looks(waiting), 4)
        # Resumed, the step waits afresh, with a deadline of its own.
        job.action_resume()
        self.run_queue(due=datetime.datetime.now())
        self.assertEqual((step.state, step.waiting, step.wait_deadline), ("running", True, self.now + 3 * MINUTE))

    def test_cancel_during_a_wait(self):
        waiting, step = self.waiting_deployment("cancelled-wait", timeout=3600)
        looks = self.looks(waiting)
        waiting.job_ids[0].action_cancel()
        self.assertEqual((step.state, step.queue_job_id.state), ("cancelled", "cancelled"))
        self.assertFalse(self.minutes_pass(10))
        self.assertEqual(self.looks(waiting), looks, "a cancelled wait looks no more")
        self.assertEqual(waiting.job_ids[0].state, "cancelled")

"""Quick steps share a queue job: after a step ends, the job that ran it runs the next one while
its batch lasts, and a step that cannot end there (not ready yet, an error to retry, any other
error) is rolled back to where it began and gets a queue job of its own."""

import types
from itertools import count, pairwise
from unittest.mock import patch

from odoo import fields

from odoo.addons.eyrie_books.k8s import api_path, builders, ref
from odoo.addons.eyrie_books.models import eyrie_job_step
from odoo.addons.eyrie_books.models.eyrie_job_step import BATCH_PARAMETER, LATER_LOOK_PRIORITY
from odoo.addons.eyrie_books.steps import run_step
from odoo.addons.queue_job.job import Job

from .common import READY, BooksCase


class Killed(BaseException):
    """The server dies: nothing of the job's cursor after its last commit is kept."""


class TestBatches(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(BATCH_PARAMETER, "60")
        cls.kmock = cls.kmock_cluster("kmock batches", "kmockb")
        wait_steps = cls.env.ref("eyrie_books.book_none_deploy").step_ids.filtered(lambda s: s.kind == "wait_ready")
        wait_steps.parameters = '{"timeout": 600, "poll": 0.5}'  # a poll in fractions of a second too

    def initialized(self, name):
        """A generic deployment on kmock, initialized (its Init book in one queue job)."""
        deployment = self.make_deployment(name=name, kind="none", cluster_ids=[fields.Command.set(self.kmock.ids)])
        deployment.action_initialize()
        self.assertEqual(len(self.run_queue()), 1, "the Init book took more than one queue job")
        self.assertRunDone(deployment, "init")
        return deployment

    def deploy(self, deployment):
        """Start its Deploy run; returns the run's steps in order and the path of its Service."""
        deployment.action_deploy()
        steps = deployment.job_ids.filtered(lambda run: run.action == "deploy").step_ids.sorted("sequence")
        service = builders.generic.service(deployment._k8s_spec(self.kmock))
        return steps, api_path(ref(service), collection=True)

    def ready_workload(self, deployment):
        """Its workload in place and ready before the run: the batch's wait finds it ready."""
        workload = builders.workload(deployment._k8s_spec(self.kmock))
        if self.mock.stored(workload) is None:
            self.kmock._k8s_operations().ensure_all([workload])
        self.mock.set_status(workload, READY["Deployment"])

    def assertDoneInOneJob(self, steps):
        self.assertEqual(set(steps.mapped("state")), {"done"}, steps.mapped("log"))
        self.assertEqual(len(steps.queue_job_id), 1, "the steps did not share a queue job")
        for before, after in pairwise(steps):
            self.assertLessEqual(before.date_end, after.date_start, "the steps overlap")
        for step in steps:
            # Each has its own attempt, timing and log, as in a queue job of its own.
            self.assertEqual(step.attempt, 1, step.log)
            self.assertLessEqual(step.date_start, step.date_end)
            self.assertIn("attempt 1", step.log)

    def test_quick_steps_share_a_queue_job(self):
        deployment = self.initialized("batched")
        queue_jobs = self.env["queue.job"].search_count([])
        steps, _service = self.deploy(deployment)
        self.ready_workload(deployment)
        self.assertEqual(len(self.run_queue()), 1)
        self.assertRunDone(deployment, "deploy")
        self.assertDoneInOneJob(steps)
        self.assertEqual(steps.queue_job_id.state, "done")
        self.assertEqual(self.env["queue.job"].search_count([]), queue_jobs + 1)
        self.assertIsNotNone(self.mock.stored(builders.generic.service(deployment._k8s_spec(self.kmock))))

    def test_a_step_not_ready_waits_in_a_job_of_its_own(self):
        deployment = self.initialized("waits")
        steps, _service = self.deploy(deployment)
        start = fields.Datetime.now()
        self.assertEqual(self.run_queue(count=1), steps[0])
        wait = steps.filtered(lambda step: step.kind == "wait_ready")
        # The batch ran the steps before the wait and its first look; the wait then got a job of its
        # own for its next look, and holds no worker until then.
        self.assertDoneInOneJob(steps - wait)
        self.assertEqual((wait.state, wait.waiting, wait.attempt), ("running", True, 1), wait.log)
        self.assertEqual(wait.log.count("waiting for"), 1, wait.log)
        self.assertNotEqual(wait.queue_job_id, steps[0].queue_job_id)
        self.assertEqual((wait.queue_job_id.state, wait.queue_job_id.priority), ("pending", LATER_LOOK_PRIORITY))
        self.assertGreaterEqual(wait.queue_job_id.eta, start, "its next look is not postponed")  # in whole seconds
        self.assertFalse(self.env["queue.job"].search_count([("state", "in", ("enqueued", "started"))]))
        self.ready_workload(deployment)
        self.run_queue()
        self.assertRunDone(deployment, "deploy")
        self.assertEqual(wait.attempt, 1, "a look is not an attempt")

    def test_a_step_to_retry_leaves_the_batch_and_keeps_its_retries(self):
        deployment = self.initialized("retried")
        steps, service = self.deploy(deployment)
        self.mock.refuse("POST", service, 503, {"kind": "Status", "code": 503, "message": "injected 503"})
        self.run_queue(count=1)
        self.assertEqual(self.mock.pending_faults(), [], "the batch did not reach the Service")
        network = steps.filtered(lambda step: step.kind == "apply_network")
        # What ran before it stays done; its attempt counts, and its log says where it goes on.
        self.assertDoneInOneJob(steps.filtered(lambda step: step.sequence < network.sequence))
        self.assertEqual((network.state, network.attempt), ("queued", 1), network.log)
        self.assertIn("injected 503", network.log)
        self.assertEqual(network.queue_job_id.state, "pending")
        self.assertNotEqual(network.queue_job_id, steps[0].queue_job_id)
        self.assertEqual(network.queue_job_id.max_retries, network.max_retries + 1)
        self.ready_workload(deployment)
        self.run_queue()
        self.assertRunDone(deployment, "deploy")
        self.assertEqual(network.attempt, 2)

    def test_a_step_that_fails_in_a_batch_fails_the_run(self):
        deployment = self.initialized("failing")
        steps, service = self.deploy(deployment)
        self.mock.refuse("POST", service, 422, {"kind": "Status", "code": 422, "message": "injected 422"})
        self.run_queue()
        run = steps.job_id
        network = steps.filtered(lambda step: step.kind == "apply_network")
        self.assertEqual((run.state, run.failed_step_id), ("failed", network))
        self.assertIn("injected 422", network.error)
        self.assertEqual(network.queue_job_id, steps[0].queue_job_id, "a failure ends in the batch")
        self.assertTrue(all(step.state == "pending" for step in steps if step.sequence > network.sequence))
        run.action_resume()
        self.ready_workload(deployment)
        self.run_queue()
        self.assertRunDone(deployment, "deploy")

    def test_a_batch_ends_when_its_time_is_up(self):
        deployment = self.initialized("timed")
        self.env["ir.config_parameter"].set_param(BATCH_PARAMETER, "1")
        steps, _service = self.deploy(deployment)
        self.ready_workload(deployment)
        # A clock that moves 0.4 s each time it is read: a 1 s batch has time for two more steps.
        clock = types.SimpleNamespace(monotonic=count(step=0.4).__next__)
        with patch.object(eyrie_job_step, "time", clock):
            performed = self.run_queue()
        self.assertRunDone(deployment, "deploy")
        self.assertEqual(performed, steps[0] | steps[3])
        self.assertDoneInOneJob(steps[:3])
        self.assertDoneInOneJob(steps[3:])

    def test_a_job_found_dead_in_a_batch_goes_on_from_the_step_it_reached(self):
        deployment = self.initialized("killed")
        steps, _service = self.deploy(deployment)
        self.ready_workload(deployment)
        network = steps.filtered(lambda step: step.kind == "apply_network")

        def dies_at_the_network(kind, *args):
            if kind == "apply_network":
                raise Killed
            return run_step(kind, *args)

        # Performed without the controller (and outside assertRaises), whose savepoints on the test's
        # cursor would also undo what the job's own cursor committed: in a test, both share one
        # transaction.
        job = Job.load(self.env, steps[0].queue_job_id.uuid)
        job.set_started()
        job.store()
        with patch.object(eyrie_job_step, "run_step", dies_at_the_network), self.enter_registry_test_mode():
            killed = False
            try:
                job.perform()
            except Killed:
                killed = True
        self.assertTrue(killed, "the job did not reach the network step")
        self.env.invalidate_all()
        # What was committed: the steps before done, the network step begun, all in the first job.
        qjob = steps[0].queue_job_id
        self.assertDoneInOneJob(steps.filtered(lambda step: step.sequence < network.sequence))
        self.assertEqual((network.state, network.attempt, network.queue_job_id), ("running", 1, qjob))
        # queue_job's runner finds the job dead (its lock is gone) and requeues it, in SQL.
        self.env.cr.execute("UPDATE queue_job SET state = 'pending' WHERE id = %s", [qjob.id])
        self.env.invalidate_all()
        self.assertEqual(self.run_queue(), steps[0])
        self.assertRunDone(deployment, "deploy")
        self.assertEqual(network.attempt, 2)
        self.assertIn("after an interruption", network.log)
        self.assertEqual(steps.mapped("attempt"), [1, 1, 1, 1, 2, 1])

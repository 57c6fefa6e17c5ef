import threading
import time
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from .common import BooksCase


@tagged("post_install", "-at_install")
class TestLiveRun(BooksCase, HttpCase):
    """In Chromium: the card's badge, then the run's steps changing state on an open page."""

    def perform_steps(self, watched):
        """Run the queued steps as queue_job's runner does (committing 'started' first, then the
        step), once the browser shows the run. Each phase takes a cursor of its own and lets it go:
        in test mode, cursors share one transaction and wait for each other."""
        watched.wait(60)
        time.sleep(1)
        while uuid := self.in_cursor(self.next_job):
            self.in_cursor(lambda env: self.start(env, uuid))
            time.sleep(1)
            self.in_cursor(lambda env: RunJobController._try_perform_job(env, Job.load(env, uuid)))
            time.sleep(0.5)

    def next_job(self, env):
        step = env["eyrie.job.step"].search([("queue_job_id.state", "=", "pending")], limit=1)
        return step.queue_job_id.uuid

    def start(self, env, uuid):
        job = Job.load(env, uuid)
        job.set_enqueued()
        job.set_started()
        job.store()

    def in_cursor(self, work):
        with self.registry.cursor() as cr:
            result = work(api.Environment(cr, SUPERUSER_ID, {}))
            # Test cursors drop post-commit hooks, which is where bus notifications are sent.
            cr.flush()
            cr.postcommit.run()
            cr.commit()
        return result

    def test_badge_and_steps_follow_the_run(self):
        deployment = self.make_deployment(name="live-card", kind="none")
        deployment.action_initialize()
        watched = threading.Event()
        deployments = type(self.env["eyrie.deployment"])
        opened = deployments.action_open_running_job

        def open_and_signal(records):
            watched.set()
            return opened(records)

        runner = threading.Thread(target=self.perform_steps, args=(watched,))
        with patch.object(deployments, "action_open_running_job", open_and_signal):
            runner.start()
            self.start_tour("/odoo/action-eyrie.eyrie_deployment_action", "eyrie_books_live_run", login="admin")
        runner.join(60)
        self.assertEqual(deployment.job_ids.state, "done")

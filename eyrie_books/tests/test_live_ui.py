import threading
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from .common import BooksCase, LiveRunner


@tagged("post_install", "-at_install")
class TestLiveRun(LiveRunner, BooksCase, HttpCase):
    """In Chromium: the card's badge, then the run's steps changing state on an open page."""

    def test_badge_and_steps_follow_the_run(self):
        deployment = self.make_deployment(name="live-card", kind="none")
        deployment.action_initialize()
        watched = threading.Event()
        deployments = type(self.env["eyrie.deployment"])
        opened = deployments.action_open_running_job

        def open_and_signal(records):
            watched.set()
            return opened(records)

        runner = threading.Thread(target=self.perform_steps, args=(watched, len(deployment.job_ids.step_ids)))
        with patch.object(deployments, "action_open_running_job", open_and_signal):
            runner.start()
            self.start_tour("/odoo/action-eyrie.eyrie_deployment_action", "eyrie_books_live_run", login="admin")
        runner.join(60)
        self.assertEqual(deployment.job_ids.state, "done")

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

        # The tour opens the run (the page listens), then its step 2 sees the first step running.
        with patch.object(deployments, "action_open_running_job", open_and_signal), \
                self.live_runner(watched, len(deployment.job_ids.step_ids), start_after=0, perform_after=2):
            self.start_tour("/odoo/action-eyrie.eyrie_deployment_action", "eyrie_books_live_run", login="admin")
        self.env.invalidate_all()  # the runner thread wrote through cursors of its own
        self.assertEqual(deployment.job_ids.state, "done")

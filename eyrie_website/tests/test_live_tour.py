import threading
import time
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import tagged

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from .common import EyriePortalCase


@tagged("post_install", "-at_install")
class TestPortalLiveRun(EyriePortalCase):
    """In Chromium, as a portal operator: the deployment page shows its run's states change while
    the steps are performed, through the deployment's bus channel."""

    def perform_steps(self, watched):
        """Perform the queued steps the way queue_job does ('started' committed first), once the
        page listens. Each phase takes its own cursor: in test mode cursors share one transaction."""
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

    def test_page_follows_the_run(self):
        cluster = self.env["eyrie.cluster"].create({"name": "Dry live", "slug": "drylive", "dry_run": True})
        group = self.env["eyrie.deployment.group"].create({
            "name": "Live books", "slug": "livebooks", "project_id": self.project.id, "type": "none",
        })
        deployment = self.make_deployment(group, "Watched", slug="watched", port=80,
                                          cluster_ids=[Command.set(cluster.ids)])
        deployment.action_initialize()
        channel = f"eyrie.deployment/{deployment.id}"
        watched = threading.Event()
        websocket = type(self.env["ir.websocket"])
        build = websocket._build_bus_channel_list

        def build_and_signal(records, channels):
            result = build(records, channels)
            if channel in result:
                watched.set()
            return result

        runner = threading.Thread(target=self.perform_steps, args=(watched,))
        with patch.object(websocket, "_build_bus_channel_list", build_and_signal):
            runner.start()
            self.start_tour("/_eyrie/p/pa/dg/livebooks/d/watched", "eyrie_portal_live_run", login="ey_operator")
        runner.join(60)
        self.env.invalidate_all()  # the runner thread wrote through cursors of its own
        self.assertEqual(deployment.job_ids.state, "done")

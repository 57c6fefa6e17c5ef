
from odoo import Command
from odoo.tests import tagged

from odoo.addons.eyrie_books.tests.common import LiveRunner

from .common import EyriePortalCase


@tagged("post_install", "-at_install")
class TestPortalLiveRun(LiveRunner, EyriePortalCase):
    """In Chromium, as a portal operator: the deployment page shows its run's states change while
    the steps are performed, through the deployment's bus channel."""

    def test_page_follows_the_run(self):
        cluster = self.env["eyrie.cluster"].create({"name": "Dry live", "slug": "drylive", "dry_run": True})
        group = self.env["eyrie.deployment.group"].create({
            "name": "Live books", "slug": "livebooks", "project_id": self.project.id, "type": "none",
        })
        deployment = self.make_deployment(group, "Watched", slug="watched", port=80,
                                          cluster_ids=[Command.set(cluster.ids)])
        deployment.action_initialize()
        # The tour's step 1 sees the run queued, its step 2 the run running.
        with self.page_listening(deployment) as watched, \
                self.live_runner(watched, len(deployment.job_ids.step_ids), start_after=1, perform_after=2):
            self.start_tour("/_eyrie/p/pa/dg/livebooks/d/watched", "eyrie_portal_live_run", login="ey_operator")
        self.env.invalidate_all()  # the runner thread wrote through cursors of its own
        self.assertEqual(deployment.job_ids.state, "done")

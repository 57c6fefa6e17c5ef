from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster

from .common import EyriePortalCase


@tagged("post_install", "-at_install")
class TestPortalHealth(EyriePortalCase):
    """Health and sync on the deployment page and its card, served alone for live reloads, and the
    Refresh button; members of the project only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mock = cls.enterClassContext(RunningCluster()).cluster
        cls.kmock = cls.env["eyrie.cluster"].create({
            "name": "Cluster K", "slug": "ck", "dry_run": False, "auth_method": "token",
            "api_server": cls.mock.url, "token": TOKEN,
        })
        cls.watched = cls.make_deployment(cls.tools, "Watched", slug="watched", repository_id=False, branch=False,
                                          image="nginx:1.27", port=80,
                                          cluster_ids=[Command.set((cls.cluster | cls.kmock).ids)])
        cls.watched.action_initialize()
        cls.watched.action_deploy()
        cls.env["eyrie.deployment.status"].sudo().create({
            "deployment_id": cls.watched.id, "cluster_id": cls.cluster.id, "health": "degraded",
            "health_reason": "0/1 pods ready", "health_since": fields.Datetime.now(),
            "sync": "out_of_sync", "sync_reason": "Deployment live: spec.replicas",
        })

    WATCHED = "/_eyrie/p/pa/dg/tools/d/watched"

    def test_members_see_health_and_sync(self):
        for login in ("ey_viewer", "ey_operator", "ey_user"):
            with self.subTest(login=login):
                self.login(login)
                self.assertPage(self.get(self.WATCHED), 'id="eyrie_health"', f'data-url="{self.WATCHED}/health"',
                                "o_eyrie_health_degraded", "0/1 pods ready", "since", "o_eyrie_sync_out_of_sync",
                                "Deployment live: spec.replicas", "Refresh")
                self.assertPage(self.get(f"{self.WATCHED}/health"), "o_eyrie_health_degraded", "Cluster A")
                self.assertPage(self.get(f"{self.WATCHED}/health/badge"), "o_eyrie_health_badge",
                                "o_eyrie_health_degraded")
                self.assertPage(self.get("/_eyrie/p/pa/dg/tools"), f'data-url="{self.WATCHED}/health/badge"')
        self.login("ey_other")
        for url in (f"{self.WATCHED}/health", f"{self.WATCHED}/health/badge"):
            self.assertEqual(self.get(url).status_code, 404)
        self.assertEqual(self.post(f"{self.WATCHED}/health/refresh").status_code, 404)

    def test_refresh_looks_at_the_cluster(self):
        self.login("ey_viewer")
        self.assertRedirect(self.post(f"{self.WATCHED}/health/refresh"), f"{self.WATCHED}?done=health_refreshed")
        on_kmock = self.watched.status_ids.filtered(lambda status: status.cluster_id == self.kmock)
        # Nothing was ever applied there: its objects are missing, and their absence is drift.
        self.assertRecordValues(on_kmock, [{"health": "missing", "sync": "out_of_sync"}])

        self.assertFalse(self.watched.status_ids.filtered(lambda status: status.cluster_id == self.cluster),
                         "a dry-run cluster has no health")
        self.assertEqual({method for method, _path, _body in self.mock.requests()}, {"GET"}, "it only reads")
        self.assertPage(self.get(f"{self.WATCHED}?done=health_refreshed"), "Health and sync refreshed.",
                        "o_eyrie_health_missing")

    def test_refresh_of_dry_run_only_says_why(self):
        self.login("ey_operator")
        response = self.post(f"{self.LIVE}/health/refresh")
        self.assertEqual(response.status_code, 422)
        self.assertIn("dry-run clusters only", response.text)

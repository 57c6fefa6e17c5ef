from odoo.tests import tagged

from .common import EyriePortalCase


@tagged("post_install", "-at_install")
class TestPortalPreview(EyriePortalCase):
    """Operators preview an action on the deployment page; viewers and outsiders do not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A group with the shipped books (the common fixtures have none), on the dry-run cluster.
        cls.apps = cls.env["eyrie.deployment.group"].create({
            "name": "Apps A", "slug": "apps", "project_id": cls.project.id, "type": "none",
        })
        cls.app = cls.make_deployment(cls.apps, "Shop", slug="shop", port=8080, image="nginx:1.27")

    APP = "/_eyrie/p/pa/dg/apps/d/shop"

    def test_operators_see_what_each_action_would_do(self):
        for login in ("ey_operator", "ey_user"):
            with self.subTest(login=login):
                self.login(login)
                self.assertPage(self.get(self.APP), "o_eyrie_preview_link")
                page = self.get(f"{self.APP}/preview")
                self.assertPage(page, "Preview of Shop", "Cluster A", "dry run", 'data-action="create"',
                                "Nothing is sent to the clusters")
                self.assertNotIn('data-action="delete"', page.text)
                drop = self.get(f"{self.APP}/preview?action=drop")
                self.assertPage(drop, "This book changes no object.")  # nothing ran: nothing to delete
                self.assertPage(self.get(f"{self.APP}/preview?action=nonsense"), 'data-action="create"')

    def test_viewers_and_outsiders_get_no_preview(self):
        self.login("ey_viewer")
        self.assertNotIn("o_eyrie_preview_link", self.get(self.APP).text)
        self.assertEqual(self.get(f"{self.APP}/preview").status_code, 403)
        self.login("ey_other")
        self.assertEqual(self.get(f"{self.APP}/preview").status_code, 404)
        self.login(None)
        self.assertToLogin(self.get(f"{self.APP}/preview"))

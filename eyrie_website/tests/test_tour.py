from odoo.tests import tagged

from .common import EyriePortalCase


@tagged("post_install", "-at_install")
class TestPortalTour(EyriePortalCase):
    def test_operator_tour(self):
        """In Chromium: create a deployment from the group page, initialize and deploy it, change
        its image, and see the version history grow."""
        self.start_tour(self.GROUP, "eyrie_portal_operator", login="ey_operator")
        deployment = self.env["eyrie.deployment"].search([("name", "=", "Tour shop")])
        self.assertRecordValues(deployment, [{
            "state": "deploy", "image": "ghcr.io/acme/tour:2", "cluster_ids": self.cluster.ids,
        }])
        self.assertEqual(deployment.version_ids.author_id, self.operator)
        self.assertEqual(sorted(deployment.version_ids.mapped("number")), [1, 2])

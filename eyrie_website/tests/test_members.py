from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, users
from odoo.tools import mute_logger


class TestMembers(TransactionCase):
    """Membership decides what portal users read by RPC as well: the portal pages are not the
    only door."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.viewer = new_test_user(cls.env, "ey_m_viewer", groups="base.group_portal")
        cls.operator = new_test_user(cls.env, "ey_m_operator", groups="base.group_portal")
        cls.user = new_test_user(cls.env, "ey_m_user", groups="eyrie.group_eyrie_user")
        cls.internal = new_test_user(cls.env, "ey_m_internal", groups="base.group_user")
        scope = cls.env["eyrie.scope"].create({"name": "Scope (members test)"})
        cls.projects = cls.env["eyrie.project"].create([
            {"name": "Mine", "slug": "mine", "member_ids": [
                Command.create({"user_id": cls.viewer.id}),
                Command.create({"user_id": cls.operator.id, "role": "operator"}),
            ]},
            {"name": "Theirs", "slug": "theirs"},
        ])
        groups = cls.env["eyrie.deployment.group"].create([
            {"name": "g", "project_id": project.id, "type": "none"} for project in cls.projects
        ])
        cls.deployments = cls.env["eyrie.deployment"].create([
            {"name": "d", "group_id": group.id, "scope_id": scope.id, "image": "nginx"} for group in groups
        ])

    def test_roles(self):
        mine, theirs = self.projects
        self.assertEqual(mine._portal_role(self.viewer), "viewer")
        self.assertEqual(mine._portal_role(self.operator), "operator")
        self.assertFalse(theirs._portal_role(self.operator))
        self.assertEqual(theirs._portal_role(self.user), "operator")
        self.assertFalse(theirs._portal_role(self.internal))

    def test_members_are_portal_users_once_per_project(self):
        mine = self.projects[0]
        with self.assertRaisesRegex(ValidationError, "is not a portal user"):
            mine.member_ids = [Command.create({"user_id": self.user.id})]
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["eyrie.project.member"].create({"project_id": mine.id, "user_id": self.viewer.id})
            self.env.flush_all()

    @users("ey_m_viewer", "ey_m_operator")
    def test_portal_users_read_their_projects_only(self):
        mine = self.projects[0]
        self.assertEqual(self.env["eyrie.project"].search([("id", "in", self.projects.ids)]), mine)
        self.assertEqual(
            self.env["eyrie.deployment"].search([("id", "in", self.deployments.ids)]), self.deployments[0],
        )
        self.assertEqual(
            self.env["eyrie.deployment.version"].search([("deployment_id", "in", self.deployments.ids)]),
            self.deployments[0].current_version_id,
        )
        with self.assertRaises(AccessError):
            self.deployments[1].with_env(self.env).read(["name"])

    @users("ey_m_operator")
    def test_portal_access_is_read_only(self):
        deployment = self.deployments[0].with_env(self.env)
        with self.assertRaises(AccessError):
            deployment.image = "nginx:2"
        with self.assertRaises(AccessError):
            deployment.action_initialize()
        with self.assertRaises(AccessError):
            self.env["eyrie.deployment"].create({"name": "x", "group_id": deployment.group_id.id})
        with self.assertRaises(AccessError):
            self.env["eyrie.project.member"].search([])

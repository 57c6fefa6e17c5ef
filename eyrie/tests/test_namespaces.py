from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from .common import BOOK_FIELDS, EyrieCase


class TestNamespaces(EyrieCase):
    """A namespace is a deployment's identity on its clusters: never shared, never moved once
    something may run in it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        no_books = dict.fromkeys(BOOK_FIELDS, False)
        # Project q-b with group c, and project q with group b-c: both make q-b-c-<deployment>.
        cls.project_qb = cls.env["eyrie.project"].create({"name": "QB", "slug": "q-b"})
        cls.project_q = cls.env["eyrie.project"].create({"name": "Q", "slug": "q"})
        cls.group_c = cls.env["eyrie.deployment.group"].create(
            {"name": "C", "slug": "c", "project_id": cls.project_qb.id, "type": "none", **no_books})
        cls.group_bc = cls.env["eyrie.deployment.group"].create(
            {"name": "B C", "slug": "b-c", "project_id": cls.project_q.id, "type": "pgo", **no_books})

    def web(self, group, name="web", **vals):
        return group.env["eyrie.deployment"].create({
            "name": name, "group_id": group.id, "scope_id": self.dev.id, "image": "nginx:1.27", **vals,
        })

    def test_a_colliding_namespace_is_refused_naming_the_other_deployment(self):
        first = self.web(self.group_c)
        self.assertEqual(first.namespace, "q-b-c-web")
        refused = "web would get the namespace q-b-c-web, which the deployment web of QB / C already has"
        with self.assertRaisesRegex(UserError, refused):
            self.web(self.group_bc)
        # By renaming the short name, in Draft, too.
        other = self.web(self.group_bc, name="api")
        with self.assertRaisesRegex(UserError, "namespace q-b-c-web"):
            other.slug = "web"
        # And by a group's or a project's short name, which moves its deployments' namespaces.
        self.web(self.group_c, name="x-api")
        with self.assertRaisesRegex(UserError, "api would get the namespace q-b-c-x-api, which the deployment x-api"):
            self.group_bc.slug = "b-c-x"
        self.web(self.group_c, name="b-c-api")
        with self.assertRaisesRegex(UserError, "namespace q-b-c-b-c-api"):
            self.project_q.slug = "q-b-c"
        self.project_q.slug = "qq"  # free: the draft deployments move with it
        self.assertEqual(other.namespace, "qq-b-c-api")

    def test_the_database_refuses_what_python_would_miss(self):
        first = self.web(self.group_c)
        other = self.web(self.group_bc, name="api")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env.cr.execute("UPDATE eyrie_deployment SET namespace = %s WHERE id = %s",
                                (first.namespace, other.id))

    def test_the_other_project_stays_untold(self):
        """Who may not read the other deployment (a portal operator, acting in sudo) is not told its name."""
        self.web(self.group_c)
        outsider = new_test_user(self.env, "ns_outsider", groups="base.group_portal")
        with self.assertRaisesRegex(UserError, "which a deployment of another project already has"):
            self.web(self.group_bc.with_user(outsider).sudo())

    def test_what_makes_the_namespace_freezes_after_draft(self):
        deployment = self.web(self.group_c)
        other_group = self.env["eyrie.deployment.group"].create(
            {"name": "Other", "slug": "other", "project_id": self.project_qb.id, "type": "pgo"})
        deployment.action_initialize()
        for write, regex in (
            (lambda: deployment.write({"group_id": other_group.id}), "Deployment Group of .*can change only in Draft"),
            (lambda: deployment.write({"slug": "web2"}), "Slug of web can change only in Draft"),
            (lambda: self.group_c.write({"slug": "cc"}), "group C can no longer change"),
            (lambda: self.group_c.write({"project_id": self.project_q.id}), "group C can no longer change"),
            (lambda: self.project_qb.write({"slug": "qb"}), "project QB can no longer change"),
        ):
            with self.subTest(regex=regex), self.assertRaisesRegex(UserError, regex):
                write()
        self.assertEqual((deployment.namespace, deployment.type), ("q-b-c-web", "none"))
        # Names and labels stay editable, and writing the same value is no move.
        deployment.write({"name": "Web server", "slug": "web", "group_id": self.group_c.id})
        self.group_c.write({"name": "Group C", "slug": "c"})
        self.project_qb.write({"name": "Project QB", "slug": "q-b"})
        self.assertTrue(self.group_c.namespace_locked)
        self.assertTrue(self.project_qb.namespace_locked)
        self.assertFalse(self.project_q.namespace_locked)
        self.assertEqual(deployment.namespace, "q-b-c-web")

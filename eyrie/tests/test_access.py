from odoo.exceptions import AccessError
from odoo.tests import new_test_user, users

from .common import EyrieCase


class TestAccess(EyrieCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deployment = cls.make_deployment()
        cls.other_company = cls.env["res.company"].create({"name": "Other Co"})
        cls.other_project = cls.env["eyrie.project"].with_company(cls.other_company).create({
            "name": "Other", "slug": "other", "company_id": cls.other_company.id,
        })
        cls.other_group = cls.env["eyrie.deployment.group"].create({
            "name": "other", "project_id": cls.other_project.id, "type": "none",
        })
        cls.other_deployment = cls.env["eyrie.deployment"].create({
            "name": "hidden", "group_id": cls.other_group.id, "scope_id": cls.dev.id, "image": "nginx",
        })

    @users("eyrie_user")
    def test_user_operates_deployments(self):
        deployment = self.deployment.with_env(self.env)
        deployment.image = "nginx:2"
        deployment.action_initialize()
        deployment.action_deploy()
        self.assertEqual(deployment.state, "deploy")
        created = self.env["eyrie.deployment"].create({
            "name": "mine", "group_id": self.groups["none"].id, "scope_id": self.dev.id,
        })
        self.assertEqual(created.current_version_id.author_id, self.env.user)
        self.assertEqual(sorted(deployment.version_ids.mapped("number")), [1, 2])

    @users("eyrie_user")
    def test_user_cannot_configure(self):
        for model, values in (
            ("eyrie.project", {"name": "p"}),
            ("eyrie.cluster", {"name": "c"}),
            ("eyrie.scope", {"name": "s"}),
            ("eyrie.repository", {"name": "r", "url": "https://x.org/r.git"}),
            ("eyrie.book", {"name": "b", "type": "odoo", "action": "init"}),
            ("eyrie.deployment.group", {"name": "g", "project_id": self.project.id}),
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].create(values)
        with self.assertRaises(AccessError):
            self.deployment.with_env(self.env).unlink()
        with self.assertRaises(AccessError):
            self.cluster.with_env(self.env).dry_run = False

    @users("eyrie_user")
    def test_credentials_are_for_managers_only(self):
        cluster = self.cluster.with_env(self.env)
        self.assertEqual(cluster.name, "Test cluster")
        with self.assertRaises(AccessError):
            cluster.kubeconfig  # noqa: B018
        self.assertNotIn("kubeconfig", cluster.fields_get())
        self.assertNotIn("token", cluster.fields_get())

    @users("eyrie_manager")
    def test_manager_configures_and_reads_credentials(self):
        cluster = self.cluster.with_env(self.env)
        self.assertIn("secret-kubeconfig-text", cluster.kubeconfig)
        cluster.write({"token": "t0k3n", "auth_method": "token"})
        project = self.env["eyrie.project"].create({"name": "Managed"})
        self.assertEqual(project.slug, "managed")
        self.deployment.with_env(self.env).unlink()

    @users("eyrie_internal")
    def test_internal_users_without_eyrie_see_nothing(self):
        with self.assertRaises(AccessError):
            self.env["eyrie.deployment"].search([])
        with self.assertRaises(AccessError):
            self.deployment.with_env(self.env).action_deploy()

    def test_companies_are_kept_apart(self):
        user = new_test_user(self.env, "eyrie_other_co", groups="eyrie.group_eyrie_user")
        deployments = self.env["eyrie.deployment"].with_user(user)
        self.assertIn(self.deployment, deployments.search([]))
        self.assertNotIn(self.other_deployment, deployments.search([]))
        with self.assertRaises(AccessError):
            self.other_deployment.with_user(user).image = "nginx:9"
        with self.assertRaises(AccessError):
            self.other_deployment.with_user(user).action_initialize()
        with self.assertRaises(AccessError):
            self.other_deployment.current_version_id.with_user(user).read(["image"])
        self.assertEqual(self.other_deployment.state, "draft")

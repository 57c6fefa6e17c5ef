"""The New Deployment and edit forms of each type: a deployment that could not run is refused in
place with the input kept, and a generic app's secret variables are written, never shown back."""

from odoo import Command
from odoo.tests import tagged

from .common import NO_BOOKS, EyriePortalCase

SECRET = "portal-app-secret-8e21c4"


@tagged("post_install", "-at_install")
class TestPortalTypes(EyriePortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = cls.env["eyrie.deployment.group"]
        # Groups with the default books of their type: what they would build is checked.
        cls.mysql = groups.create({"name": "MySQL", "slug": "mysql", "project_id": cls.project.id, "type": "pxc"})
        cls.shop = groups.create({"name": "Shop", "slug": "shop", "project_id": cls.project.id, "type": "odoo"})
        cls.apps = groups.create({"name": "Apps", "slug": "apps", "project_id": cls.project.id, "type": "none"})
        cls.databases = groups.create({"name": "Databases", "slug": "dbs", "project_id": cls.project.id,
                                       "type": "pgo", **NO_BOOKS})
        cls.database = cls.make_deployment(cls.databases, "Shop DB", slug="shop-db")
        # A second cluster of the project (operators choose among those it uses), without the database.
        cls.second = cls.env["eyrie.cluster"].create({"name": "Cluster A2", "slug": "ca2"})
        cls.make_deployment(cls.apps, "Elsewhere", slug="elsewhere", cluster_ids=[Command.set(cls.second.ids)])

    def new_deployment(self, group, **values):
        data = {"name": "Fresh", "scope_id": str(self.dev.id), "cluster_ids": [str(self.cluster.id)],
                "image": "", **values}
        return self.post(f"{self.PROJECT}/dg/{group.slug}/new", data)

    def named(self, name):
        return self.env["eyrie.deployment"].search([("name", "=", name)])

    def assertRefused(self, response, reason, *kept):
        self.assertEqual(response.status_code, 422)
        self.assertIn(reason, response.text)
        for text in kept:
            self.assertIn(text, response.text)
        self.assertFalse(self.named("Fresh"))

    def test_a_deployment_that_could_not_run_is_refused_in_place(self):
        self.login("ey_operator")
        # An even PXC size needs the unsafe (dev only) choice.
        response = self.new_deployment(self.mysql, pxc_size="2", haproxy_size="3")
        self.assertRefused(response, "fix its field “PXC Size”", 'value="2"', "must be odd, 3 to 5")
        self.assertRedirect(self.new_deployment(self.mysql, pxc_size="2", pxc_unsafe="on"),
                            f"{self.PROJECT}/dg/mysql/d/fresh?done=created")
        self.assertRecordValues(self.named("Fresh"), [{"pxc_size": 2, "pxc_unsafe": True}])
        self.named("Fresh").unlink()
        # Odoo without a database, or with one of another project.
        response = self.new_deployment(self.shop, image="odoo:19.0", workers="3")
        self.assertRefused(response, "fix its field “Database”", 'id="eyrie_new_workers" value="3"')
        response = self.new_deployment(self.shop, image="odoo:19.0", database_id=str(self.other_deployment.id))
        self.assertRefused(response, "Choose a database from the list.")
        # A wired app on a cluster its database is not on.
        response = self.new_deployment(self.shop, image="odoo:19.0", database_id=str(self.database.id),
                               cluster_ids=[str(self.cluster.id), str(self.second.id)])
        self.assertRefused(response, "where its database Shop DB does not")
        self.assertRedirect(self.new_deployment(self.shop, image="odoo:19.0", database_id=str(self.database.id)),
                            f"{self.PROJECT}/dg/shop/d/fresh?done=created")
        # A group without books builds nothing: there a draft may wait for its database.
        self.assertRedirect(self.new_deployment(self.group, name="Later", image="odoo:19.0"),
                            f"{self.GROUP}/d/later?done=created")

    def test_a_generic_app_may_use_a_database_of_its_project(self):
        self.login("ey_operator")
        self.assertPage(self.get(f"{self.PROJECT}/dg/apps"), 'id="eyrie_new_database_id"', ">Shop DB</option>")
        mysql = self.make_deployment(self.mysql, "MySQL", slug="my", image=False)
        response = self.new_deployment(self.apps, image="busybox:1.36", database_id=str(mysql.id))
        self.assertRefused(response, "Choose a database from the list.")
        self.assertRedirect(self.new_deployment(self.apps, image="busybox:1.36", database_id=str(self.database.id),
                                                db_name="jobs"), f"{self.PROJECT}/dg/apps/d/fresh?done=created")
        self.assertRecordValues(self.named("Fresh"), [{"database_id": self.database.id, "db_name": "jobs"}])

    def test_an_edit_that_would_break_a_deployment_is_refused(self):
        app = self.make_deployment(self.mysql, "Cluster", slug="cluster", image=False)
        self.login("ey_operator")
        url = f"{self.PROJECT}/dg/mysql/d/cluster/edit"
        data = {"image": "", "branch": "", "commit_ref": "", "pxc_size": "4", "haproxy_image": "haproxy:9"}
        response = self.post(url, data)
        self.assertEqual(response.status_code, 422)
        self.assertIn("fix its field “PXC Size”", response.text)
        self.assertIn('value="haproxy:9"', response.text)
        self.assertEqual((app.pxc_size, app.haproxy_image, app.current_version_id.number), (3, False, 1))
        # An edit of something else is taken while the deployment cannot run anyway.
        self.make_deployment(self.shop, "No database", slug="nodb")
        self.assertRedirect(self.post(f"{self.PROJECT}/dg/shop/d/nodb/edit", {
            "image": "odoo:19.1", "branch": "main", "commit_ref": ""}), f"{self.PROJECT}/dg/shop/d/nodb?done=saved")
        self.assertEqual(self.named("No database").image, "odoo:19.1")

    def test_generic_app_container_fields_and_secret_variables(self):
        self.login("ey_operator")
        page = self.get(f"{self.PROJECT}/dg/apps")
        for name in ("new_env_secrets", "container_command", "container_args", "volume_path", "storage_size"):
            self.assertIn(f'name="{name}"', page.text)
        response = self.new_deployment(self.apps, image="busybox:1.36", port="", env_vars="LOG_LEVEL=info",
                               new_env_secrets=f"API_KEY={SECRET}", container_command="worker",
                               container_args="--queue\njobs", volume_path="/data", storage_size="3Gi")
        self.assertRedirect(response, f"{self.PROJECT}/dg/apps/d/fresh?done=created")
        app = self.named("Fresh")
        self.assertRecordValues(app, [{"port": 0, "container_command": "worker", "container_args": "--queue\njobs",
                                       "volume_path": "/data", "storage_size": "3Gi"}])
        self.assertEqual(app.sudo().env_secrets, f"API_KEY={SECRET}\n")
        form = self.get(f"{self.PROJECT}/dg/apps/d/fresh/edit")
        self.assertIn("Set: API_KEY", form.text)
        self.assertNotIn(SECRET, form.text)
        # A refused edit keeps the input, never the typed secret, and writes nothing.
        url = f"{self.PROJECT}/dg/apps/d/fresh/edit"
        data = {"image": "busybox:1.36", "branch": "", "commit_ref": "", "new_env_secrets": "TOKEN=new-secret",
                "volume_path": "data", "container_args": "--queue\nmail"}
        response = self.post(url, data)
        self.assertEqual(response.status_code, 422)
        self.assertIn("fix its field “Volume Path”", response.text)
        self.assertIn("--queue\nmail", response.text)
        self.assertNotIn("new-secret", response.text)
        self.assertEqual((app.volume_path, app.env_secret_names), ("/data", "API_KEY"))
        self.assertRedirect(self.post(url, {**data, "volume_path": ""}), f"{self.PROJECT}/dg/apps/d/fresh?done=saved")
        self.assertEqual(app.env_secret_names, "API_KEY, TOKEN")
        self.assertIn("Secret Environment Variables: changed", app.current_version_id.changes)

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NO_BOOKS, EyriePortalCase

PASSWORD = "portal-typed-password-51c0"


@tagged("post_install", "-at_install")
class TestPortalActions(EyriePortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.databases = cls.env["eyrie.deployment.group"].create({
            "name": "Databases A", "slug": "dbs", "project_id": cls.project.id, "type": "pgo", **NO_BOOKS,
        })
        other_databases = cls.env["eyrie.deployment.group"].create({
            "name": "Databases B", "slug": "dbs", "project_id": cls.other_project.id, "type": "pgo", **NO_BOOKS,
        })
        cls.other_database = cls.make_deployment(other_databases, "Secret DB of B", slug="bdb")

    def new_deployment(self, **values):
        return {
            "name": "Fresh", "scope_id": str(self.dev.id), "cluster_ids": [str(self.cluster.id)],
            "repository_id": str(self.repository.id), "branch": "main", "image": "ghcr.io/acme/fresh:1",
            **values,
        }

    def deployments_named(self, name):
        return self.env["eyrie.deployment"].search([("name", "=", name)])

    # ------------------------------------------------------------------
    # Create
    # ------------------------------------------------------------------

    def test_operators_create_deployments_as_themselves(self):
        for login in ("ey_operator", "ey_user", "ey_manager"):
            with self.subTest(login=login):
                self.login(login)
                name = f"Fresh {login}"
                response = self.post(f"{self.GROUP}/new", self.new_deployment(name=name))
                deployment = self.deployments_named(name)
                slug = name.lower().replace(" ", "-").replace("_", "-")
                self.assertRedirect(response, f"{self.GROUP}/d/{slug}?done=created")
                user = self.env["res.users"].search([("login", "=", login)])
                self.assertRecordValues(deployment, [{
                    "group_id": self.group.id, "scope_id": self.dev.id, "cluster_ids": self.cluster.ids,
                    "repository_id": self.repository.id, "image": "ghcr.io/acme/fresh:1", "state": "draft",
                    "create_uid": user.id,
                }])
                self.assertEqual(deployment.current_version_id.author_id, user)
                self.assertEqual(deployment.message_ids[-1].author_id, user.partner_id)
                self.assertPage(self.get(f"{self.GROUP}/d/{slug}?done=created"), "Deployment created.")

    def test_only_operators_create(self):
        data = self.new_deployment(name="Intruder")
        for login, status in (("ey_viewer", 403), ("ey_other", 404), ("ey_internal", 404)):
            with self.subTest(login=login):
                self.login(login)
                self.assertEqual(self.post(f"{self.GROUP}/new", data).status_code, status)
        self.login(None)
        self.assertToLogin(self.post(f"{self.GROUP}/new", data))
        self.assertFalse(self.deployments_named("Intruder"))

    def test_refused_creations_keep_the_form_and_write_nothing(self):
        self.login("ey_operator")
        cases = (
            ({"image": "Not An/Image"}, "is not a container image reference"),
            ({"branch": "bad..branch"}, "is not a valid Branch"),
            ({"name": " "}, "Give the deployment a name."),
            ({"scope_id": ""}, "Choose a scope."),
            # What the form did not offer: another project's cluster and repository, unknown ids.
            ({"cluster_ids": [str(self.foreign_cluster.id)]}, "Choose clusters from the list."),
            ({"cluster_ids": ["99999999"]}, "Choose clusters from the list."),
            ({"repository_id": str(self.foreign_repository.id)}, "Choose a repository from the list."),
        )
        for values, reason in cases:
            with self.subTest(values=values):
                data = self.new_deployment(**{"name": "Typed by hand", **values})
                response = self.post(f"{self.GROUP}/new", data)
                self.assertEqual(response.status_code, 422)
                self.assertIn(reason, response.text)
                self.assertIn('class="collapse mb-4 show"', response.text)
                if values.get("name") != " ":
                    self.assertIn('value="Typed by hand"', response.text)
                self.assertFalse(self.deployments_named("Typed by hand"))

    @mute_logger("odoo.sql_db")
    def test_duplicate_name_is_refused_on_the_page(self):
        self.login("ey_operator")
        response = self.post(f"{self.GROUP}/new", self.new_deployment(name="Web", image="ghcr.io/acme/typed:2"))
        self.assertEqual(response.status_code, 422)
        self.assertIn("A deployment with this name exists in the group.", response.text)
        self.assertIn('value="ghcr.io/acme/typed:2"', response.text)
        self.assertEqual(len(self.deployments_named("Web")), 1)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def test_operator_walks_the_lifecycle(self):
        self.login("ey_operator")
        for action, state in (("initialize", "initialize"), ("deploy", "deploy"), ("deploy", "deploy"),
                              ("pause", "pause"), ("deploy", "deploy"), ("drop", "drop")):
            with self.subTest(action=action):
                response = self.post(f"{self.DEPLOYMENT}/{action}")
                self.assertRedirect(response, f"{self.DEPLOYMENT}?done={action}")
                self.assertEqual(self.deployment.state, state)
        tracked = self.deployment.message_ids.filtered("tracking_value_ids")
        self.assertEqual(set(tracked.author_id.ids), {self.operator.partner_id.id})
        self.assertPage(self.get(f"{self.DEPLOYMENT}?done=drop"), "Drop started")

    def test_refused_moves_are_shown_on_the_page(self):
        self.login("ey_manager")
        response = self.post(f"{self.DEPLOYMENT}/pause")
        self.assertEqual(response.status_code, 422)
        self.assertIn("Cannot move Web from Draft to Pause.", response.text)
        response = self.post(f"{self.LIVE}/drop")
        self.assertEqual(response.status_code, 422)
        self.assertIn("does not allow dropping", response.text)
        self.assertEqual((self.deployment.state, self.live.state), ("draft", "deploy"))

    def test_only_operators_act(self):
        for login, status in (("ey_viewer", 403), ("ey_other", 404), ("ey_internal", 404)):
            with self.subTest(login=login):
                self.login(login)
                for action in ("initialize", "deploy", "pause", "drop"):
                    self.assertEqual(self.post(f"{self.DEPLOYMENT}/{action}").status_code, status)
        self.login(None)
        self.assertToLogin(self.post(f"{self.DEPLOYMENT}/initialize"))
        self.assertEqual(self.deployment.state, "draft")

    def test_actions_on_records_of_elsewhere_are_not_found(self):
        self.login("ey_operator")
        for url in (
            f"/_eyrie/p/pa/dg/ga/d/{self.other_deployment.id}/initialize",  # project B's, by id
            "/_eyrie/p/pb/dg/ga/d/web/initialize",  # project B's, by its own URL
            "/_eyrie/p/pa/dg/tools/d/web/initialize",  # project A's, under the wrong group
            f"{self.DEPLOYMENT}/explode",  # no such action
        ):
            with self.subTest(url=url):
                self.assertEqual(self.post(url).status_code, 404)
        self.login("ey_other")
        self.assertEqual(self.post(f"/_eyrie/p/pb/dg/ga/d/{self.deployment.id}/initialize").status_code, 404)
        self.assertEqual((self.deployment.state, self.other_deployment.state), ("draft", "draft"))

    # ------------------------------------------------------------------
    # Edit
    # ------------------------------------------------------------------

    def test_operator_changes_what_it_runs(self):
        self.login("ey_operator")
        data = {"image": "ghcr.io/acme/web:2.0", "branch": "release/2", "commit_ref": "abc1234"}
        self.assertRedirect(self.post(f"{self.DEPLOYMENT}/edit", data), f"{self.DEPLOYMENT}?done=saved")
        version = self.deployment.current_version_id
        self.assertRecordValues(version, [{
            "number": 2, "image": "ghcr.io/acme/web:2.0", "branch": "release/2", "commit_ref": "abc1234",
            "author_id": self.operator.id,
        }])
        self.assertRedirect(self.post(f"{self.DEPLOYMENT}/edit", data), f"{self.DEPLOYMENT}?done=unchanged")
        self.assertEqual(self.deployment.current_version_id, version)
        self.assertPage(self.get(f"{self.DEPLOYMENT}?done=saved"), "Saved: a new version is now current.")

    def test_refused_edit_keeps_the_form_and_writes_nothing(self):
        self.login("ey_user")
        data = {"image": "ghcr.io/acme/web:3.0", "branch": "ok", "commit_ref": "no spaces allowed"}
        response = self.post(f"{self.DEPLOYMENT}/edit", data)
        self.assertEqual(response.status_code, 422)
        self.assertIn("is not a valid Commit Ref", response.text)
        self.assertIn('value="ghcr.io/acme/web:3.0"', response.text)
        self.assertRecordValues(self.deployment, [{"image": "ghcr.io/acme/web:1.0", "branch": "main"}])
        self.assertEqual(len(self.deployment.version_ids), 1)

    def test_only_operators_edit(self):
        data = {"image": "ghcr.io/acme/evil:1"}
        for login, status in (("ey_viewer", 403), ("ey_other", 404), ("ey_internal", 404)):
            with self.subTest(login=login):
                self.login(login)
                self.assertEqual(self.post(f"{self.DEPLOYMENT}/edit", data).status_code, status)
        self.login("ey_other")
        self.assertEqual(self.post(f"/_eyrie/p/pb/dg/ga/d/{self.deployment.id}/edit", data).status_code, 404)
        self.login(None)
        self.assertToLogin(self.post(f"{self.DEPLOYMENT}/edit", data))
        self.assertEqual(self.deployment.image, "ghcr.io/acme/web:1.0")

    # ------------------------------------------------------------------
    # Type configuration
    # ------------------------------------------------------------------

    def test_new_deployment_form_takes_the_type_configuration(self):
        database = self.make_deployment(self.databases, "Shop DB", slug="shop-db")
        self.login("ey_operator")
        page = self.get(self.GROUP)
        self.assertIn('id="eyrie_new_workers" value="2"', page.text)
        self.assertIn(f'<option value="{database.id}">Shop DB</option>', page.text)
        self.assertNotIn(self.other_database.name, page.text)
        data = self.new_deployment(name="Typed", database_id=str(database.id), workers="4",
                                   odoo_options="limit_time_cpu = 600")
        self.assertRedirect(self.post(f"{self.GROUP}/new", data), f"{self.GROUP}/d/typed?done=created")
        self.assertRecordValues(self.deployments_named("Typed"), [{
            "database_id": database.id, "workers": 4, "odoo_options": "limit_time_cpu = 600",
        }])

    def test_refused_type_configuration_keeps_the_form_and_writes_nothing(self):
        self.login("ey_operator")
        cases = (
            ({"workers": "many"}, "Workers must be a whole number."),
            ({"workers": "0"}, "Workers must be from 1 to 1024."),
            ({"database_id": str(self.other_database.id)}, "Choose a database from the list."),
            ({"odoo_options": "workers = 9"}, "set by Eyrie itself"),
        )
        for values, reason in cases:
            with self.subTest(values=values):
                data = self.new_deployment(name="Typed by hand", db_host="pg.example.com",
                                           new_db_password=PASSWORD, **values)
                response = self.post(f"{self.GROUP}/new", data)
                self.assertEqual(response.status_code, 422)
                self.assertIn(reason, response.text)
                self.assertIn('value="pg.example.com"', response.text)
                self.assertNotIn(PASSWORD, response.text)
                self.assertFalse(self.deployments_named("Typed by hand"))

    def test_operator_changes_the_type_configuration(self):
        self.login("ey_operator")
        data = {"image": "ghcr.io/acme/web:1.0", "branch": "main", "commit_ref": "", "db_host": "pg.example.com",
                "db_user": "shop", "new_db_password": PASSWORD, "workers": "3"}
        self.assertRedirect(self.post(f"{self.DEPLOYMENT}/edit", data), f"{self.DEPLOYMENT}?done=saved")
        self.assertRecordValues(self.deployment, [{"db_host": "pg.example.com", "db_user": "shop", "workers": 3}])
        self.assertEqual(self.deployment.sudo().db_password, PASSWORD)
        changes = self.deployment.current_version_id.changes
        self.assertIn("Stored Database Password: changed", changes)
        self.assertNotIn(PASSWORD, changes)
        form = self.get(f"{self.DEPLOYMENT}/edit")
        self.assertIn('value="pg.example.com"', form.text)
        self.assertNotIn(PASSWORD, form.text)
        # Left empty, the password stays; a refused edit keeps the input and writes nothing.
        response = self.post(f"{self.DEPLOYMENT}/edit", {**data, "new_db_password": "", "workers": "-1"})
        self.assertEqual(response.status_code, 422)
        self.assertIn('value="-1"', response.text)
        self.assertEqual((self.deployment.workers, self.deployment.sudo().db_password), (3, PASSWORD))

    def test_a_move_that_cannot_build_is_refused_on_the_page(self):
        group = self.env["eyrie.deployment.group"].create({
            "name": "With books", "slug": "books", "project_id": self.project.id, "type": "odoo",
        })
        self.make_deployment(group, "No database", slug="nodb")
        self.login("ey_operator")
        response = self.post("/_eyrie/p/pa/dg/books/d/nodb/initialize")
        self.assertEqual(response.status_code, 422)
        self.assertIn("fix its field “Database”", response.text)
        deployment = self.deployments_named("No database")
        self.assertEqual((deployment.state, deployment.job_ids), ("draft", self.env["eyrie.job"]))

    # ------------------------------------------------------------------
    # Method and CSRF
    # ------------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_posts_need_a_valid_csrf_token(self):
        self.login("ey_operator")
        for url, data in ((f"{self.GROUP}/new", self.new_deployment(name="Forged")),
                          (f"{self.DEPLOYMENT}/edit", {"image": "ghcr.io/acme/forged:1"}),
                          (f"{self.DEPLOYMENT}/initialize", {})):
            for csrf in (False, "0123456789abcdef0123456789abcdef01234567o9999999999"):
                with self.subTest(url=url, csrf=csrf):
                    self.assertEqual(self.post(url, data, csrf=csrf).status_code, 400)
        self.assertFalse(self.deployments_named("Forged"))
        self.assertRecordValues(self.deployment, [{"state": "draft", "image": "ghcr.io/acme/web:1.0"}])

    def test_mutations_refuse_get(self):
        self.login("ey_operator")
        for url in (f"{self.GROUP}/new", f"{self.DEPLOYMENT}/initialize"):
            with self.subTest(url=url):
                self.assertEqual(self.get(url).status_code, 405)
        # A GET of …/edit serves the form, and changes nothing.
        self.assertPage(self.get(f"{self.DEPLOYMENT}/edit?image=ghcr.io/acme/forged:1"), "o_eyrie_edit_form")
        self.assertRecordValues(self.deployment, [{"state": "draft", "image": "ghcr.io/acme/web:1.0"}])

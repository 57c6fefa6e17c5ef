from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import users
from odoo.tools import SQL

from .common import BooksCase

ACTIONS = ("action_initialize", "action_deploy", "action_pause", "action_deploy", "action_drop")
PASSWORD = "s3cret-db-password-7f1c"


class TestTypeConfiguration(BooksCase):
    """Each type's typed fields: defaults that run, bad input refused before anything moves,
    credentials never read back."""

    @classmethod
    def chapter_deployment(cls, name, kind, **vals):
        """Only the fields of the user's chapter (the rest are the fields' defaults)."""
        return cls.env["eyrie.deployment"].create({
            "name": name, "group_id": cls.groups[kind].id, "scope_id": cls.dev.id,
            "cluster_ids": [Command.set(cls.cluster.ids)], **vals,
        })

    def run_all(self, deployment):
        for method in ACTIONS:
            getattr(deployment, method)()
            self.run_queue()
        for action in ("init", "deploy", "pause", "drop"):
            self.assertRunDone(deployment, action)
        self.assertEqual(deployment.state, "drop")

    def test_every_type_runs_with_the_chapters_fields_and_defaults(self):
        database = self.chapter_deployment("Shop DB", "pgo")
        app = self.chapter_deployment(
            "Shop", "odoo", image="odoo:19.0", repository_id=self.repository.id, branch="main",
            database_id=database.id,
        )
        mysql = self.chapter_deployment("Shop MySQL", "pxc")
        worker = self.chapter_deployment("Shop worker", "none", image="busybox:1.36")
        # The database lists its user (the app's short name) with the app's database.
        spec = database._k8s_spec(self.cluster)
        self.assertEqual(spec.setting("users"), [{"name": app.slug, "databases": [app.slug]}])
        self.assertEqual(spec.setting("postgres_version"), 16)
        link = app._k8s_spec(self.cluster).database
        self.assertEqual((link.cluster, link.user, link.database), (database.slug, app.slug, app.slug))
        self.assertEqual(link.namespace, self.cluster._namespace_for(database))
        self.assertEqual(mysql._k8s_spec(self.cluster).setting("size"), 3)
        for deployment in (database, mysql, worker, app):
            with self.subTest(type=deployment.type):
                self.run_all(deployment)

    def test_typed_fields_reach_the_objects(self):
        app = self.make_deployment(
            name="typed app", kind="odoo", database_id=False, db_host="pg.example.com", db_user="shop",
            new_db_password=PASSWORD, db_name="shop", workers=4,
            odoo_options="limit_time_cpu = 600\n\nlog_level = warn",
        )
        settings = app._k8s_spec(self.cluster).settings
        self.assertEqual(settings["options"], {"limit_time_cpu": "600", "log_level": "warn"})
        self.assertEqual((settings["db_host"], settings["db_user"], settings["workers"]), ("pg.example.com", "shop", 4))
        self.assertNotIn(PASSWORD, repr(settings))
        worker = self.make_deployment(name="envs", kind="none", env_vars="LOG_LEVEL=info\nGREETING=a=b")
        self.assertEqual(dict(worker._k8s_spec(self.cluster).env), {"LOG_LEVEL": "info", "GREETING": "a=b"})
        self.run_all(app)

    def test_bad_input_is_refused_changing_nothing(self):
        for vals, message in (
            ({"env_vars": "1BAD=x"}, "Environment Variables"),
            ({"odoo_options": "no equals sign"}, "Extra odoo.conf Options"),
            ({"odoo_options": "workers = 9"}, "set by Eyrie itself"),
            ({"workers": 0}, "Workers must be from 1"),
            ({"pxc_size": 0}, "PXC Size must be from 1"),
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(ValidationError, message):
                self.make_deployment(name="refused", kind="none", **vals)
        other = self.env["eyrie.project"].create({"name": "Other Project", "slug": "op"})
        other_group = self.groups["pgo"].copy({"project_id": other.id, "slug": "opg"})
        foreign = self.env["eyrie.deployment"].create({
            "name": "Foreign DB", "group_id": other_group.id, "scope_id": self.dev.id,
        })
        with self.assertRaisesRegex(ValidationError, "PostgreSQL deployment of its project"):
            self.make_deployment(name="foreign", kind="odoo", database_id=foreign.id)

    def test_a_move_whose_objects_cannot_be_built_is_refused_before_the_state_changes(self):
        cases = (
            (self.make_deployment(name="even", kind="pxc", pxc_size=4), "PXC Size", "must be odd"),
            (self.make_deployment(name="nodatabase", kind="odoo", database_id=False), "Database", "odoo needs"),
            (self.make_deployment(name="oneproxy", kind="pxc", haproxy_size=1), "HAProxy Size", "at least 2"),
        )
        for deployment, field, problem in cases:
            with self.subTest(field=field):
                versions = deployment.version_ids
                # The button is disabled, saying why (backend, portal, get_available_actions).
                actions = {action["action"]: action for action in deployment.get_available_actions()[0]["actions"]}
                self.assertFalse(actions["initialize"]["available"])
                self.assertIn(f"fix its field “{field}”", actions["initialize"]["reason"])
                self.assertFalse(deployment.can_initialize)
                with self.assertRaisesRegex(UserError, f"fix its field “{field}”.*{problem}"):
                    deployment.action_initialize()
                self.assertEqual((deployment.state, deployment.job_ids, deployment.version_ids),
                                 ("draft", self.env["eyrie.job"], versions))
                self.assertFalse(self.env["queue.job"].search([("model_name", "=", "eyrie.job.step"),
                                                                ("state", "=", "pending")]))
        # The explicit unsafe (dev only) choice lets a single node run.
        single = self.make_deployment(name="single", kind="pxc", pxc_size=1, haproxy_size=1, pxc_unsafe=True)
        self.run_all(single)

    def test_the_buttons_follow_what_the_objects_are_built_from(self):
        """The build check is kept on the deployment (``buildable``): a page of buttons builds
        nothing, and the check follows a change of the cluster, not only of the deployment."""
        app = self.make_deployment(name="follows", kind="odoo")
        self.assertTrue(app.buildable)
        self.cluster.ingress_domain = "Apps.Example.COM"
        self.assertFalse(app.buildable)
        actions = {action["action"]: action for action in app.get_available_actions()[0]["actions"]}
        self.assertIn("Apps.Example.COM' is not a lowercase DNS name", actions["initialize"]["reason"])
        self.cluster.ingress_domain = "apps.example.com"
        self.assertTrue(app.buildable)
        self.assertTrue(app.can_initialize)
        # A flag that missed a change would cost a refusal, not a wrong run: the move builds anew.
        self.cluster.ingress_domain = "Apps.Example.COM"
        self.env.cr.execute(SQL("UPDATE eyrie_deployment SET buildable = true WHERE id = %s", app.id))
        app.invalidate_recordset(["buildable"])
        self.assertTrue(app.can_initialize)
        with self.assertRaisesRegex(UserError, "fix its field “host”.*lowercase DNS name"):
            app.action_initialize()
        self.assertEqual((app.state, app.job_ids), ("draft", self.env["eyrie.job"]))

    def test_apps_run_only_where_their_database_runs(self):
        database = self.make_deployment(name="placed db", kind="pgo")
        with self.assertRaisesRegex(ValidationError, "where its database placed db does not"):
            self.make_deployment(name="elsewhere", kind="odoo", database_id=database.id,
                                 cluster_ids=[Command.set((self.cluster | self.cluster2).ids)])
        app = self.make_deployment(name="placed app", kind="odoo", database_id=database.id)
        with self.assertRaisesRegex(ValidationError, "placed app runs on Test cluster"):
            database.cluster_ids = [Command.set(self.cluster2.ids)]
        self.assertEqual(database.cluster_ids, self.cluster)
        self.assertEqual(app.database_id, database)

    def test_a_used_database_is_dropped_only_after_its_users(self):
        database = self.make_deployment(name="used db", kind="pgo")
        app = self.make_deployment(name="user app", kind="odoo", database_id=database.id)
        for deployment in (database, app):
            deployment.action_initialize()
            self.run_queue()
        with self.assertRaisesRegex(UserError, "used db is the database of user app: drop them"):
            database.action_drop()
        self.assertEqual((database.state, len(database.job_ids)), ("initialize", 1))
        self.assertEqual(database._k8s_spec(self.cluster).setting("users"),
                         [{"name": app.slug, "databases": [app.slug]}])
        app.action_drop()
        self.run_queue()
        self.assertEqual(database._k8s_spec(self.cluster).setting("users"), [])
        database.action_drop()
        self.run_queue()
        self.assertRunDone(database, "drop")

    @users("eyrie_user")
    def test_the_database_password_is_written_never_read_back(self):
        deployment = self.make_deployment(name="external", kind="odoo", database_id=False, db_host="pg",
                                          db_user="shop").with_user(self.env.user)
        deployment.new_db_password = PASSWORD
        deployment.invalidate_recordset()
        self.assertFalse(deployment.new_db_password)
        self.assertEqual(deployment.sudo().db_password, PASSWORD)
        with self.assertRaises(AccessError):
            deployment.read(["db_password"])
        self.assertNotIn("db_password", deployment.fields_get())
        version = deployment.current_version_id
        self.assertEqual(version.sudo().db_password, PASSWORD)
        self.assertIn("Stored Database Password: changed", version.changes)
        for record in (version, deployment):
            self.assertNotIn(PASSWORD, str(record.read()))
        self.assertNotIn(PASSWORD, str(deployment.message_ids.mapped("body")))
        self.assertNotIn(PASSWORD, version.sudo().changes)
        with self.assertRaises(AccessError):
            version.read(["db_password"])

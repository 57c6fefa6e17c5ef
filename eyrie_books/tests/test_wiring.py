"""An Odoo deployment wired to a PGO deployment, on a Kubernetes API server (kmock): its books add
its user to the live PostgresCluster, wait for the operator's Secret (the test plays the operator),
copy it into the app's namespace and point the app at the primary; dropping the app takes them
back. A generic app is wired the same way, to a PGO or a PXC deployment. An external database's
password reaches a Secret and nothing else."""

import base64

from odoo.exceptions import ValidationError

from odoo.addons.eyrie_books.k8s import builders, database
from odoo.addons.eyrie_books.k8s.spec import DatabaseLink

from .common import READY, BooksCase

PGO_PASSWORD = "pgo-made-Xq7d2-password"
EXTERNAL_PASSWORD = "external-db-Hw93k-password"


def _b64(text):
    return base64.b64encode(text.encode()).decode()


class TestWiringOnKmock(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = cls.kmock_cluster("kmock wiring", "kmockw", namespace_prefix="w-")
        cls.env["eyrie.book.step"].search([]).timeout = 5
        cls.env["eyrie.book.step"].search([("kind", "=", "run_init_job")]).parameters = '{"timeout": 60, "poll": 1}'

    def play_cluster(self, step):
        """Before each step: what the cluster's controllers (and PGO) would have done by then."""
        job = step.job_id
        spec = job.deployment_id._k8s_spec(job.cluster_id, job.version_id)
        if step.kind == "wait_ready":
            workload = builders.workload(spec)
            self.mock.set_status(workload, READY[workload["kind"]])
        elif step.kind == "run_init_job" and step.wait_since:
            self.mock.set_status(builders.odoo.init_job(spec), READY["Job"])
        elif step.kind == "copy_database_credentials" and step.wait_since:
            # PGO saw the user in spec.users: it made the role and wrote the user's Secret.
            secret = database.user_secret(spec.database)
            secret["data"] = {"host": _b64(f"{spec.database.cluster}-replicas.{spec.database.namespace}.svc"),
                              "port": _b64("5432"), "user": _b64(spec.database.user),
                              "password": _b64(PGO_PASSWORD), "dbname": _b64(spec.database.database)}
            self.cluster._k8s_operations().ensure(secret)

    def move(self, deployment, method, action):
        getattr(deployment, method)()
        self.run_queue(before=self.play_cluster)
        return self.assertRunDone(deployment, action)

    def test_an_app_wired_to_a_database_reads_its_copied_credentials_and_the_primary(self):
        pg = self.make_deployment(name="wired db", kind="pgo")
        other = self.make_deployment(name="report", kind="odoo", database_id=pg.id)
        self.move(pg, "action_initialize", "init")
        self.move(pg, "action_deploy", "deploy")
        pg_spec = pg._k8s_spec(self.cluster)
        cluster = database.database_cluster(DatabaseLink(
            pg_spec.namespace, builders.pgo.cluster_name(pg_spec), "x", "x"))
        # The PostgresCluster lists the users of its deployment when it was built; the app comes later.
        self.assertEqual(self.mock.stored(cluster)["spec"]["users"], [{"name": other.slug, "databases": [other.slug]}])
        app = self.make_deployment(name="wired app", kind="odoo", database_id=pg.id)

        init = self.move(app, "action_initialize", "init")
        copy_step = init.step_ids.filtered(lambda step: step.kind == "copy_database_credentials")
        self.assertTrue(copy_step.wait_since, "the copy waited for the operator's Secret")
        self.move(app, "action_deploy", "deploy")
        self.move(app, "action_pause", "pause")
        self.move(app, "action_deploy", "deploy")

        users = self.mock.stored(cluster)["spec"]["users"]
        self.assertEqual(users, [{"name": other.slug, "databases": [other.slug]},
                                 {"name": app.slug, "databases": [app.slug]}])
        spec = app._k8s_spec(self.cluster)
        copy = self.mock.stored(database.credentials_secret(spec, {}))
        self.assertEqual(copy["metadata"]["namespace"], spec.namespace)
        self.assertNotEqual(spec.namespace, pg_spec.namespace)
        values = {key: base64.b64decode(value).decode() for key, value in copy["data"].items()}
        primary = f"{builders.pgo.cluster_name(pg_spec)}-primary.{pg_spec.namespace}.svc"
        self.assertEqual(values, {"host": primary, "port": "5432", "user": app.slug, "password": PGO_PASSWORD,
                                  "dbname": app.slug})
        container = self.mock.stored(builders.workload(spec))["spec"]["template"]["spec"]["containers"][0]
        env = {item["name"]: item.get("value") or item["valueFrom"]["secretKeyRef"] for item in container["env"]}
        self.assertEqual(env["PGHOST"], primary)
        self.assertEqual(env["PGPASSWORD"], {"name": copy["metadata"]["name"], "key": "password"})
        self.assertEqual(env["PGUSER"], {"name": copy["metadata"]["name"], "key": "user"})

        # Another tool lists a user too: deploying the database again keeps every user.
        kube = self.cluster._k8s_operations()
        kube.patch(cluster, {"spec": {"users": [*users, {"name": "metabase", "databases": ["acme"]}]}})
        self.move(pg, "action_deploy", "deploy")
        self.assertEqual([user["name"] for user in self.mock.stored(cluster)["spec"]["users"]],
                         [other.slug, app.slug, "metabase"])

        self.move(app, "action_drop", "drop")
        self.assertEqual(self.mock.stored(cluster)["spec"]["users"], [
            {"name": other.slug, "databases": [other.slug]}, {"name": "metabase", "databases": ["acme"]}])
        self.assertIsNone(self.mock.stored(database.credentials_secret(spec, {})))
        self.assertNoSecret(app, PGO_PASSWORD)

    def test_a_generic_app_wired_to_a_database_reads_the_libpq_variables(self):
        pg = self.make_deployment(name="worker db", kind="pgo")
        self.move(pg, "action_initialize", "init")
        self.move(pg, "action_deploy", "deploy")
        app = self.make_deployment(name="db worker", kind="none", port=0, database_id=pg.id, db_name="jobs",
                                   env_vars="QUEUE=jobs")
        for method, action in (("action_initialize", "init"), ("action_deploy", "deploy"),
                               ("action_pause", "pause"), ("action_deploy", "deploy")):
            self.move(app, method, action)
        pg_spec = pg._k8s_spec(self.cluster)
        cluster = database.database_cluster(DatabaseLink(
            pg_spec.namespace, builders.pgo.cluster_name(pg_spec), "x", "x"))
        self.assertIn({"name": app.slug, "databases": ["jobs"]}, self.mock.stored(cluster)["spec"]["users"])
        spec = app._k8s_spec(self.cluster)
        copy = self.mock.stored(database.credentials_secret(spec, {}))
        self.assertEqual(base64.b64decode(copy["data"]["password"]).decode(), PGO_PASSWORD)
        container = self.mock.stored(builders.workload(spec))["spec"]["template"]["spec"]["containers"][0]
        env = {item["name"]: item.get("value") or item["valueFrom"]["secretKeyRef"] for item in container["env"]}
        name = copy["metadata"]["name"]
        self.assertEqual(env, {
            "PGHOST": f"{builders.pgo.cluster_name(pg_spec)}-primary.{pg_spec.namespace}.svc",
            "PGPORT": {"name": name, "key": "port"}, "PGUSER": {"name": name, "key": "user"},
            "PGPASSWORD": {"name": name, "key": "password"}, "PGDATABASE": "jobs",
        })
        self.assertEqual(container["envFrom"], [{"configMapRef": {"name": f"{app.slug}-config"}}])

        self.move(app, "action_drop", "drop")
        self.assertNotIn(app.slug, [user["name"] for user in self.mock.stored(cluster)["spec"]["users"]])
        self.assertIsNone(self.mock.stored(database.credentials_secret(spec, {})))
        self.assertNoSecret(app, PGO_PASSWORD)

    def test_a_generic_app_wired_to_a_mysql_database_reads_the_mysql_variables(self):
        mysql = self.make_deployment(name="shop mysql", kind="pxc")
        with self.assertRaisesRegex(ValidationError, "only a PostgreSQL deployment"):
            self.make_deployment(name="mysql odoo", kind="odoo", database_id=mysql.id)
        self.move(mysql, "action_initialize", "init")
        self.move(mysql, "action_deploy", "deploy")
        app = self.make_deployment(name="shop worker", kind="none", port=0, database_id=mysql.id, db_name="shop")
        for method, action in (("action_initialize", "init"), ("action_deploy", "deploy")):
            self.move(app, method, action)
        spec = app._k8s_spec(self.cluster)
        mysql_spec = mysql._k8s_spec(self.cluster)
        cluster = builders.pxc.pxc_cluster(mysql_spec)
        entry = builders.pxc.user_entry(builders.pxc.cluster_name(mysql_spec), app.slug, "shop")
        self.assertEqual(self.mock.stored(cluster)["spec"]["users"], [entry])
        password_secret = self.mock.stored(database.user_secret(spec.database))
        self.assertEqual(password_secret["metadata"]["namespace"], mysql_spec.namespace)
        password = base64.b64decode(password_secret["data"]["password"]).decode()
        copy = self.mock.stored(database.credentials_secret(spec, {}))
        host = f"{builders.pxc.cluster_name(mysql_spec)}-haproxy.{mysql_spec.namespace}.svc"
        self.assertEqual({key: base64.b64decode(value).decode() for key, value in copy["data"].items()},
                         {"host": host, "port": "3306", "user": app.slug, "password": password, "dbname": "shop"})
        container = self.mock.stored(builders.workload(spec))["spec"]["template"]["spec"]["containers"][0]
        env = {item["name"]: item.get("value") or item["valueFrom"]["secretKeyRef"] for item in container["env"]}
        name = copy["metadata"]["name"]
        self.assertEqual(env, {
            "MYSQL_HOST": host, "MYSQL_PORT": {"name": name, "key": "port"},
            "MYSQL_USER": {"name": name, "key": "user"}, "MYSQL_PASSWORD": {"name": name, "key": "password"},
            "MYSQL_DATABASE": "shop",
        })
        # The database's own runs keep (and list) its app's user; the password is generated once.
        self.move(mysql, "action_deploy", "deploy")
        self.move(app, "action_deploy", "deploy")
        self.assertEqual(self.mock.stored(cluster)["spec"]["users"], [entry])
        self.assertEqual(self.mock.stored(database.user_secret(spec.database))["data"], password_secret["data"])
        self.assertNoSecret(app, password)
        self.assertNoSecret(mysql, password)

        self.move(app, "action_drop", "drop")
        self.assertFalse(self.mock.stored(cluster)["spec"].get("users"))
        self.assertIsNone(self.mock.stored(database.user_secret(spec.database)))
        self.assertIsNone(self.mock.stored(database.credentials_secret(spec, {})))

    def test_an_external_database_password_reaches_only_its_secret(self):
        app = self.make_deployment(name="external app", kind="odoo", database_id=False, db_host="pg.example.com",
                                   db_user="shop", new_db_password=EXTERNAL_PASSWORD)
        self.move(app, "action_initialize", "init")
        spec = app._k8s_spec(self.cluster)
        secret = self.mock.stored(builders.odoo.password_secret(spec))
        self.assertEqual(secret["metadata"]["name"], f"{app.slug}-database")
        self.assertEqual(base64.b64decode(secret["data"]["password"]).decode(), EXTERNAL_PASSWORD)
        self.assertNotIn(EXTERNAL_PASSWORD, repr(spec))
        # A new password is a new version ("changed"), and the Secret follows on the next run.
        app.new_db_password = EXTERNAL_PASSWORD + "2"
        self.assertIn("Database Password: changed", app.current_version_id.changes or "")
        self.move(app, "action_deploy", "deploy")
        secret = self.mock.stored(builders.odoo.password_secret(app._k8s_spec(self.cluster)))
        self.assertEqual(base64.b64decode(secret["data"]["password"]).decode(), EXTERNAL_PASSWORD + "2")
        self.assertNoSecret(app, EXTERNAL_PASSWORD)

    def assertNoSecret(self, deployment, secret):
        """Nowhere a user reads: step logs and errors, run errors, the chatter, version summaries."""
        texts = [
            *deployment.job_ids.step_ids.mapped("log"), *deployment.job_ids.step_ids.mapped("error"),
            *deployment.message_ids.mapped("body"), *deployment.version_ids.mapped("changes"),
            *self.env["queue.job"].search([("model_name", "=", "eyrie.job.step")]).mapped("result"),
        ]
        self.assertFalse([text for text in texts if text and secret in str(text)])

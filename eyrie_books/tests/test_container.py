"""A generic app's container: plain and secret variables, command, arguments and a volume, as
fields that version, reach the cluster (kmock) and keep the secret values out of sight."""

import base64
import dataclasses

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import users

from odoo.addons.eyrie_books.k8s.builders import generic

from .common import BooksCase

SECRET = "s3cret-api-key-0d9b7e"


class TestContainer(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kmock = cls.kmock_cluster("kmock", "kmock", namespace_prefix="k-")
        cls.env["eyrie.book.step"].search([]).timeout = 5

    def app(self, **vals):
        return self.make_deployment(name="app", kind="none", image="busybox:1.36", **vals)


    def test_the_container_fields_reach_the_cluster(self):
        app = self.app(
            port=0, env_vars="LOG_LEVEL=info", new_env_secrets=f"API_KEY={SECRET}\nTOKEN=t-1",
            container_command="/bin/sh\n-c", container_args="exec worker --queue jobs\n",
            volume_path="/data", storage_size="2Gi", cluster_ids=[Command.set((self.cluster | self.kmock).ids)],
        )
        spec = app._k8s_spec(self.kmock)
        self.assertEqual((spec.command, spec.args, spec.volume_path), (
            ("/bin/sh", "-c"), ("exec worker --queue jobs",), "/data"))
        self.assertEqual(dict(spec.secret_env), {"API_KEY": SECRET, "TOKEN": "t-1"})
        for method, action in (("action_initialize", "init"), ("action_deploy", "deploy")):
            getattr(app, method)()
            self.run_queue(before=self.make_ready)
            self.assertRunDone(app, action)
        secret = self.mock.stored(generic.secret(spec))
        self.assertEqual(base64.b64decode(secret["data"]["API_KEY"]).decode(), SECRET)
        self.assertEqual(self.mock.stored(generic.config_map(spec))["data"], {"LOG_LEVEL": "info"})
        self.assertEqual(self.mock.stored(generic.volume(spec))["spec"]["resources"]["requests"]["storage"], "2Gi")
        container = self.mock.stored(generic.deployment(spec))["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["command"], ["/bin/sh", "-c"])
        self.assertEqual(container["volumeMounts"], [{"name": "data", "mountPath": "/data"}])
        self.assertNotIn("ports", container)  # a worker: no port, no Service
        self.assertIsNone(self.mock.stored(generic.service(dataclasses.replace(spec, port=8080))))
        logs = "\n".join(app.job_ids.step_ids.mapped("log"))
        self.assertIn("Secret app-secrets: created", logs)
        self.assertNotIn(SECRET, logs)

    def test_each_field_versions_with_a_readable_line(self):
        app = self.app()
        changes = {
            "container_command": ("/bin/sh", "Command: — → /bin/sh"),
            "container_args": ("serve\n--verbose", "Arguments: — → serve\n--verbose"),
            "volume_path": ("/data", "Volume Path: — → /data"),
            "new_env_secrets": (f"API_KEY={SECRET}", "Secret Environment Variables: changed"),
        }
        for name, (value, line) in changes.items():
            with self.subTest(field=name):
                before = app.current_version_id
                app.write({name: value})
                self.assertNotEqual(app.current_version_id, before)
                self.assertEqual(app.current_version_id.changes, line)
        self.assertEqual(app.current_version_id.volume_path, "/data")
        self.assertEqual(app.current_version_id.sudo().env_secrets, f"API_KEY={SECRET}\n")

    @users("eyrie_user")
    def test_secret_variables_are_written_never_read_back(self):
        app = self.app().with_user(self.env.user)
        app.new_env_secrets = f"API_KEY={SECRET}\nTOKEN=one\n\n"
        app.new_env_secrets = "TOKEN=two\n-API_KEY\nOTHER=x y"  # merged: set, removed, added
        app.invalidate_recordset()
        self.assertFalse(app.new_env_secrets)
        self.assertEqual(app.env_secret_names, "TOKEN, OTHER")
        self.assertEqual(dict(app._k8s_spec(self.cluster).secret_env), {"TOKEN": "two", "OTHER": "x y"})
        self.assertNotIn("env_secrets", app.fields_get())
        with self.assertRaises(AccessError):
            app.read(["env_secrets"])
        versions = app.version_ids
        with self.assertRaises(AccessError):
            versions.read(["env_secrets"])
        self.assertIn(SECRET, versions.sudo().mapped("env_secrets")[-2])  # the first version kept it
        shown = [str(record.read()) for record in (app, *versions)]
        shown += versions.sudo().mapped("changes") + app.message_ids.mapped("body")
        self.assertFalse([text for text in shown if SECRET in text or "two" in text])

    def test_bad_input_is_refused_changing_nothing(self):
        app = self.app(env_vars="TOKEN=plain")
        version = app.current_version_id
        with self.assertRaises(ValidationError) as caught:
            app.new_env_secrets = f"OK=1\n{SECRET} without a name"
        self.assertIn("line 2 is not NAME=value", str(caught.exception))
        self.assertNotIn(SECRET, str(caught.exception))
        with self.assertRaisesRegex(ValidationError, "TOKEN also has a secret value"):
            app.new_env_secrets = "TOKEN=secret"
        app.volume_path = "data"  # relative: the objects cannot be built
        with self.assertRaisesRegex(UserError, "fix its field “Volume Path”"):
            app.action_initialize()
        self.assertEqual((app.state, app.job_ids), ("draft", self.env["eyrie.job"]))
        self.assertFalse(app.sudo().env_secrets)
        self.assertEqual(app.current_version_id.changes, "Volume Path: — → data")
        self.assertEqual(app.current_version_id.number, version.number + 1)

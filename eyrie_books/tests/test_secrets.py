"""Secrets stay where they are kept: books run on clusters holding credentials, runs fail, and no
secret shows in Odoo's log, the chatter, the steps' logs and errors, or the queue jobs.

The secrets (see ``leaks.py``): the kubeconfig of the clusters (a token, a second user's password),
a cluster's API token, a registry login (the pull secret), and the passwords the builders generate
for PXC. Runs go to a dry-run cluster and to kmock (by token and by kubeconfig); one is refused by
the API server, one cannot reach its cluster until queue_job gives up (which logs a traceback).
"""

import base64
import json

from odoo import Command

from odoo.addons.eyrie_books.k8s import builders
from odoo.addons.eyrie_books.k8s.builders import common, generic, pxc
from odoo.addons.eyrie_books.k8s.tests.kmock_server import RunningCluster, free_port

from . import leaks
from .common import READY, BooksCase

SECRETS = leaks.SECRETS


class TestSecretsStayHidden(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mock = cls.enterClassContext(RunningCluster()).cluster
        # One attempt per step: a cluster out of reach fails its run at once, through queue_job's
        # "max retries reached", which logs the traceback and keeps it on the queue job.
        cls.env["eyrie.book.step"].search([]).write({"timeout": 5, "max_retries": 0})

    def setUp(self):
        super().setUp()
        self.secrets = self.enterContext(leaks.Secrets().recorded(self.env.registry["eyrie.deployment"]))
        self.since = {  # 0 for a model without records yet (a database without demo data)
            model: self.env[model].sudo().search([], order="id desc", limit=1).id or 0
            for model in ("mail.message", "eyrie.deployment.version", "eyrie.job", "eyrie.job.step", "queue.job",
                          "bus.bus")
        }

    def make_ready(self, step):
        """Before a step: what exists of the workload is ready, as the cluster's controllers say."""
        workload = builders.workload(step.job_id.deployment_id._k8s_spec(step.job_id.cluster_id))
        if step.job_id.cluster_id.dry_run is False and self.mock.stored(workload) is not None:
            self.mock.set_status(workload, READY[workload["kind"]])

    def test_no_secret_in_logs_chatter_steps_or_jobs(self):
        # The code of odoo and generic apps comes from a repository with a token (the pods get it
        # from a Secret of their namespace).
        self.repository.auth_method = "token"
        self.repository.sudo().token = SECRETS["repository token"]
        code = {"repository_id": self.repository.id, "commit_ref": "a1b2c3d4", "source_path": "/srv/app"}
        # Generic apps have a secret variable too (a Secret of their namespace), changed once.
        app = {**code, "new_env_secrets": f"API_KEY={SECRETS['app secret variable']}\nTOKEN=1"}
        with leaks.captured_logs() as logs:
            clusters = self.make_clusters()
            for kind in ("odoo", "pgo", "pxc", "none"):
                vals = {"odoo": code, "none": app}.get(kind, {})
                self.run_actions(self.make_deployment(name=f"dry-{kind}", kind=kind, **vals), clusters["dry"])
            self.run_actions(self.make_deployment(name="tok-pxc", kind="pxc"), clusters["token"])
            kc_none = self.make_deployment(name="kc-none", kind="none", **app)
            kc_none.new_env_secrets = "TOKEN=2"
            self.run_actions(kc_none, clusters["kubeconfig"])
            refused = self.refused_run(clusters["token"])
            lost = self.make_deployment(name="lost", kind="none")
            self.run_actions(lost, clusters["unreachable"], actions=("action_initialize",))
            connection_errors = [self.connection_error(cluster) for cluster in clusters.values()]

        self.assertSecretsWereUsed(clusters)
        self.assertEqual(refused.state, "failed")
        self.assertIn("HTTP 422", refused.failed_step_id.error)
        [lost_job] = lost.job_ids
        self.assertEqual(lost_job.state, "failed")
        self.assertIn("Max. retries", lost_job.error)
        self.assertTrue(lost_job.failed_step_id.queue_job_id.exc_info, "queue_job kept no traceback")
        self.assertTrue(any("Traceback" in line for line in logs), "queue_job logged no traceback")

        texts = self.gather(logs)
        texts.update({f"test connection {i}": message for i, message in enumerate(connection_errors)})
        self.assertEqual(self.secrets.leaks(texts), [])

    # ------------------------------------------------------------------

    def make_clusters(self):
        Cluster = self.env["eyrie.cluster"]
        self.cluster.sudo().write({"kubeconfig": leaks.kubeconfig(), "token": SECRETS["cluster token"]})
        return {
            "dry": self.cluster,
            "token": Cluster.create({
                "name": "kmock by token", "slug": "kt", "dry_run": False, "auth_method": "token",
                "api_server": self.mock.url, "token": SECRETS["cluster token"], "namespace_prefix": "t-",
            }),
            "kubeconfig": Cluster.create({
                "name": "kmock by kubeconfig", "slug": "kc", "dry_run": False, "auth_method": "kubeconfig",
                "kubeconfig": leaks.kubeconfig(self.mock.url), "namespace_prefix": "c-",
            }),
            "unreachable": Cluster.create({
                "name": "out of reach", "slug": "gone", "dry_run": False, "auth_method": "kubeconfig",
                "kubeconfig": leaks.kubeconfig(f"http://127.0.0.1:{free_port()}"),
            }),
        }

    def run_actions(self, deployment, cluster, actions=("action_initialize", "action_deploy")):
        deployment.cluster_ids = [Command.set(cluster.ids)]
        for action in actions:
            getattr(deployment, action)()
            self.run_queue(before=self.make_ready)
        return deployment

    def refused_run(self, cluster):
        """A run whose pull secret the API server refuses (a 422, redacted as a real server does)."""
        deployment = self.make_deployment(name="tok-refused", kind="none", cluster_ids=[Command.set(cluster.ids)])
        namespace = cluster._namespace_for(deployment)
        self.mock.refuse("POST", f"/api/v1/namespaces/{namespace}/secrets", 422, {
            "kind": "Status", "reason": "Invalid",
            "message": 'Secret "tok-refused-registry" is invalid: data[.dockerconfigjson]: '
                       'Invalid value: "<secret contents redacted>": invalid character',
        })
        deployment.action_initialize()
        self.run_queue()
        return deployment.job_ids

    def connection_error(self, cluster):
        """What "Test connection" tells a manager about ``cluster``."""
        try:
            return json.dumps(cluster.action_test_connection())
        except Exception as error:  # the message is what is checked
            return str(error)

    def assertSecretsWereUsed(self, clusters):
        """The secrets reached the cluster where they belong: the checks below looked for real ones."""
        self.assertTrue(self.secrets.generated, "no password was generated")
        bearers = {request.headers.get("Authorization") for request in self.mock.emulator}
        self.assertLessEqual({f"Bearer {SECRETS['cluster token']}", f"Bearer {SECRETS['kubeconfig token']}"}, bearers)
        spec = self.env["eyrie.deployment"].search([("name", "=", "tok-pxc")])._k8s_spec(clusters["token"])
        users = self.mock.stored(pxc.users_secret(spec))
        stored = {base64.b64decode(value).decode() for value in users["data"].values()}
        self.assertLessEqual(stored, set(self.secrets.generated))
        pull = self.mock.stored(common.pull_secret(spec))
        self.assertIn(SECRETS["registry password"], base64.b64decode(pull["data"][".dockerconfigjson"]).decode())
        app = self.env["eyrie.deployment"].search([("name", "=", "kc-none")])
        variables = self.mock.stored(generic.secret(app._k8s_spec(clusters["kubeconfig"])))
        self.assertEqual(base64.b64decode(variables["data"]["API_KEY"]).decode(), SECRETS["app secret variable"])

    def gather(self, logs):
        """Everything people may read about what happened: ``{where: text}``."""
        env = self.env(su=True)
        texts = {f"log {i}": line for i, line in enumerate(logs)}
        for message in env["mail.message"].search([("id", ">", self.since["mail.message"])]):
            texts[f"message {message.id}"] = f"{message.subject} {message.body}"
            for tracking in message.tracking_value_ids:
                texts[f"tracking {tracking.id}"] = " ".join(str(tracking[name] or "") for name in (
                    "old_value_char", "new_value_char", "old_value_text", "new_value_text",
                ))
        for version in env["eyrie.deployment.version"].search([("id", ">", self.since["eyrie.deployment.version"])]):
            texts[f"version {version.id}"] = version.changes
        for job in env["eyrie.job"].search([("id", ">", self.since["eyrie.job"])]):
            texts[f"run {job.id}"] = f"{job.display_name} {job.error}"
            texts[f"deployment {job.deployment_id.id}"] = job.deployment_id.run_error
        for step in env["eyrie.job.step"].search([("id", ">", self.since["eyrie.job.step"])]):
            texts[f"step {step.id}"] = f"{step.name} {step.parameters} {step.log} {step.error}"
        for qjob in env["queue.job"].search([("id", ">", self.since["queue.job"])]):
            texts[f"queue job {qjob.id}"] = str(qjob.read([
                "name", "func_string", "result", "exc_name", "exc_message", "exc_info", "args", "kwargs", "records",
            ]))
        for notification in env["bus.bus"].search([("id", ">", self.since["bus.bus"])]):
            texts[f"bus {notification.id}"] = notification.message
        return texts

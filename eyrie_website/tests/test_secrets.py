"""No secret on the portal: an operator reads the pages of deployments whose runs used the cluster's
kubeconfig and token, a registry login and generated passwords, and whose runs failed. See
``eyrie_books/tests/leaks.py`` for the secrets and where the product keeps them."""

import contextlib
import socket

from odoo import Command
from odoo.tests import tagged

from odoo.addons.eyrie_books.tests import leaks
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from .common import EyriePortalCase

SECRETS = leaks.SECRETS
DB_PASSWORD = "portal-db-password-3b9e51"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestPortalSecrets(EyriePortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.dry = env["eyrie.cluster"].create({"name": "Dry cluster", "slug": "dry", "dry_run": True})
        cls.dry.sudo().write({"kubeconfig": leaks.kubeconfig(), "token": SECRETS["cluster token"]})
        cls.lost = env["eyrie.cluster"].create({
            "name": "Lost cluster", "slug": "lost", "dry_run": False,
            "kubeconfig": leaks.kubeconfig(f"http://127.0.0.1:{closed_port()}"),
        })
        # With eyrie_books installed, these groups get the default books of their type.
        cls.mysql = env["eyrie.deployment.group"].create({
            "name": "MySQL", "slug": "mysql", "project_id": cls.project.id, "type": "pxc",
        })
        cls.shop = env["eyrie.deployment.group"].create({
            "name": "Shop", "slug": "shop", "project_id": cls.project.id, "type": "odoo",
        })
        env["eyrie.book.step"].search([]).write({"max_retries": 0})  # a lost cluster fails at once
        cls.pages = {
            # Runs on the dry-run cluster: passwords generated for PXC, the registry login applied.
            "/_eyrie/p/pa/dg/mysql/d/db": cls.make_deployment(
                cls.mysql, "DB", slug="db", cluster_ids=[Command.set(cls.dry.ids)]),
            # Out of reach: queue_job gives up, the step shows its error.
            "/_eyrie/p/pa/dg/mysql/d/far": cls.make_deployment(
                cls.mysql, "Far", slug="far", cluster_ids=[Command.set(cls.lost.ids)]),
            # An external database with its password; its run fails (see below) with the spec's complaint.
            "/_eyrie/p/pa/dg/shop/d/shop": cls.make_deployment(
                cls.shop, "Shop", slug="shop", cluster_ids=[Command.set(cls.dry.ids)], db_host="pg.example.com",
                db_user="shop", new_db_password=DB_PASSWORD),
        }

    def run_queue(self):
        """Perform the pending step jobs the way queue_job does (HttpCase already shares its cursor)."""
        for _ in range(50):
            step = self.env["eyrie.job.step"].search([("queue_job_id.state", "=", "pending")], limit=1)
            if not step:
                return
            job = Job.load(self.env, step.queue_job_id.uuid)
            job.set_enqueued()
            job.set_started()
            job.store()
            self.env.flush_all()  # the job runs in a cursor of its own: it reads what we wrote ...
            with contextlib.suppress(Exception):  # queue_job stored the failure; the page shows it
                RunJobController._runjob(self.env, job)
            self.env.invalidate_all()  # ... and we read what it wrote
        raise AssertionError("the queue did not drain")

    def test_deployment_pages_show_no_secret(self):
        secrets = self.enterContext(leaks.Secrets().recorded(self.env.registry["eyrie.deployment"]))
        with leaks.captured_logs() as logs:
            for deployment in self.pages.values():
                deployment.action_initialize()
                if deployment.type == "odoo":  # its pinned version loses its database after the check
                    deployment.job_ids.version_id.sudo().db_host = False
                self.run_queue()
                if deployment.run_state == "done":
                    deployment.action_deploy()
                    self.run_queue()
            self.env.invalidate_all()
            self.assertTrue(secrets.generated, "no password was generated")
            self.assertEqual([d.run_state for d in self.pages.values()], ["done", "failed", "failed"])

            self.login("ey_operator")
            texts = {}
            for url, deployment in self.pages.items():
                page = self.get(url)
                self.assertEqual(page.status_code, 200, url)
                # The page with the steps of its finished runs, which it loads when they are opened.
                texts[url] = "\n".join([page.text, *(self.get(f"{url}/runs/{run.id}").text
                                                      for run in deployment.job_ids)])
                texts[f"{url}/runs"] = self.get(f"{url}/runs").text
            for url in ("/_eyrie/p/pa", "/_eyrie/p/pa/dg/mysql", "/_eyrie/p/pa/dg/shop", "/my"):
                texts[url] = self.get(url).text
        # The pages show the runs, their logs and errors: what the secrets would have leaked into.
        for shown in ("Secret db-registry: created", "Secret db-secrets: created",
                      "dry run, would send: POST /api/v1/namespaces/pa-mysql-db/secrets"):
            self.assertIn(shown, texts["/_eyrie/p/pa/dg/mysql/d/db"])
        self.assertIn("cannot reach the API server", texts["/_eyrie/p/pa/dg/mysql/d/far"])
        self.assertIn("odoo needs db_secret", texts["/_eyrie/p/pa/dg/shop/d/shop"])
        texts.update({f"log {i}": line for i, line in enumerate(logs)})
        self.assertEqual(secrets.leaks(texts), [])
        self.assertEqual([name for name, text in texts.items() if DB_PASSWORD in text], [])

import threading

from odoo import Command
from odoo.tests import tagged

from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster
from odoo.addons.eyrie_books.tests.common import LiveRunner
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from .common import EyriePortalCase

# The status of a rolled-out Deployment of one replica, as its controllers would write it.
READY = {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}


@tagged("post_install", "-at_install")
class TestOperateTour(LiveRunner, EyriePortalCase):
    """The issue's tour, in Chromium as a portal operator, on a kmock API server: preview a deploy,
    deploy, see the health turn healthy, change the image, roll back to the first version with a
    reason. A thread performs the queued steps as queue_job's runner would, making the workload
    ready on kmock as its controllers would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mock = cls.enterClassContext(RunningCluster()).cluster
        cls.kmock = cls.env["eyrie.cluster"].create({
            "name": "Kmock", "slug": "kmock", "dry_run": False, "auth_method": "token", "api_server": cls.mock.url,
            "token": TOKEN,
        })
        # A group with the shipped books (the common fixtures have none).
        cls.apps = cls.env["eyrie.deployment.group"].create({
            "name": "Apps", "slug": "apps", "project_id": cls.project.id, "type": "none",
        })
        cls.shop = cls.make_deployment(cls.apps, "Shop", slug="shop", port=8080, image="nginx:1.27",
                                       repository_id=False, branch=False, cluster_ids=[Command.set(cls.kmock.ids)])

    def perform_queue(self, watched, stopping):
        """Once the page listens (``watched``), until ``stopping``: perform each pending step job,
        the workload ready first."""
        if not watched.wait(self.TIMEOUT):
            raise AssertionError(f"the page did not start listening within {self.TIMEOUT} s")
        while not stopping.is_set():
            uuid = self.in_cursor(self.next_job)
            if not uuid:
                stopping.wait(0.05)
                continue
            for stored in list(self.mock.emulator.objects.values()):
                if stored.raw.get("kind") == "Deployment" and not stored.deleted:
                    self.mock.set_status(stored.raw, READY)
            self.in_cursor(lambda env, uuid=uuid: self.start_job(env, uuid))
            self.in_cursor(lambda env, uuid=uuid: RunJobController._try_perform_job(env, Job.load(env, uuid)))

    def test_preview_deploy_healthy_rollback(self):
        stopping, errors = threading.Event(), []

        def runner(watched):
            try:
                self.perform_queue(watched, stopping)
            except Exception as error:  # raised in the test's thread below
                errors.append(error)

        self.shop.action_initialize()
        with self.page_listening(self.shop) as watched:
            thread = threading.Thread(target=runner, args=(watched,), name="queue runner", daemon=True)
            thread.start()
            try:
                self.start_tour("/_eyrie/p/pa/dg/apps/d/shop", "eyrie_portal_operate", login="ey_operator")
            finally:
                stopping.set()
                thread.join(60)
        if errors:
            raise errors[0]
        self.env.invalidate_all()  # the runner thread wrote through cursors of its own
        first, _second, rollback = self.shop.version_ids.sorted("number")
        self.assertEqual(self.shop.current_version_id, rollback)
        self.assertEqual(rollback.changes.splitlines()[0], f"Rollback to v{first.number}: 1.28 answers 502")
        self.assertEqual(rollback.author_id, self.operator)
        self.assertEqual((self.shop.state, self.shop.image), ("deploy", "nginx:1.27"))
        self.assertEqual(self.shop.job_ids.filtered(lambda job: job.version_id == rollback).action, "deploy")

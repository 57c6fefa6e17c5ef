import contextlib
import threading
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.eyrie_books.tests.common import LiveRunner
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from .common import EyriePortalCase

TYPES = ("pgo", "odoo", "pxc", "none")


@tagged("post_install", "-at_install")
class TestPortalTypeTour(LiveRunner, EyriePortalCase):
    """In Chromium, as a portal operator: a deployment of each type created through the New
    Deployment form with only the required fields (an Odoo one wired to the PostgreSQL one),
    initialized and deployed; every run ends done on the dry-run cluster.

    A thread performs the queued steps as queue_job would, each run's once the page showing it
    listens to the deployment's bus channel (it then sees every change of the run)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for kind in TYPES:  # with the default books of their type
            cls.env["eyrie.deployment.group"].create({
                "name": f"Tour {kind}", "slug": f"tour-{kind}", "project_id": cls.project.id, "type": kind,
            })

    @contextlib.contextmanager
    def queue_runner(self, runs):
        """Performs the pending steps of each run once its page listens, until ``runs`` runs are
        done. It touches the database only while the browser runs (the test's own cursor is then
        idle): from the first subscription to the end of the last run."""
        listened, errors, stopping, browsing = {}, [], threading.Event(), threading.Event()
        websocket = type(self.env["ir.websocket"])
        build = websocket._build_bus_channel_list

        def build_and_record(records, channels):
            result = build(records, channels)
            for channel in result:
                if isinstance(channel, str) and channel.startswith("eyrie.deployment/"):
                    deployment_id = int(channel.split("/")[1])
                    latest = records.env["eyrie.job"].sudo().search([("deployment_id", "=", deployment_id)], limit=1)
                    listened[deployment_id] = max(listened.get(deployment_id, 0), latest.id)
                    browsing.set()
            return result

        def step_to_run(env):
            step = env["eyrie.job.step"].search([("queue_job_id.state", "=", "pending")], limit=1)
            if step and listened.get(step.job_id.deployment_id.id, 0) >= step.job_id.id:
                return step.queue_job_id.uuid
            return None

        def perform(env, uuid):
            """Perform the step job; True if its run is done with it."""
            self.start_job(env, uuid)
            RunJobController._try_perform_job(env, Job.load(env, uuid))
            return env["eyrie.job.step"].search([("queue_job_id.uuid", "=", uuid)]).job_id.state == "done"

        def target():
            try:
                if not browsing.wait(self.TIMEOUT):
                    raise AssertionError(f"no page listened to a deployment within {self.TIMEOUT} s")
                done = 0
                while done < runs and not stopping.is_set():
                    uuid = self.in_cursor(step_to_run)
                    if uuid:
                        done += self.in_cursor(lambda env, uuid=uuid: perform(env, uuid))
                    else:
                        stopping.wait(0.05)  # until a run is queued and its page listens
            except Exception as error:  # raised in the test's thread below
                errors.append(error)

        thread = threading.Thread(target=target, name="queue runner", daemon=True)
        with patch.object(websocket, "_build_bus_channel_list", build_and_record):
            thread.start()
            try:
                yield
            finally:
                stopping.set()
                thread.join(self.TIMEOUT)
        if errors:
            raise errors[0]
        self.assertFalse(thread.is_alive(), "the runner thread is still running")

    def test_operator_creates_and_runs_each_type(self):
        with self.queue_runner(runs=2 * len(TYPES)):  # Initialize and Deploy of each
            self.start_tour("/_eyrie/p/pa/dg/tour-pgo", "eyrie_portal_each_type", login="ey_operator")
        self.env.invalidate_all()  # the runner thread wrote through cursors of its own
        deployments = self.env["eyrie.deployment"].search([("group_id.slug", "like", "tour-")])
        self.assertEqual(sorted(deployments.mapped("type")), sorted(TYPES))
        for deployment in deployments:
            with self.subTest(type=deployment.type):
                self.assertEqual(deployment.state, "deploy")
                self.assertEqual(deployment.current_version_id.author_id, self.operator)
                self.assertEqual(sorted(deployment.job_ids.mapped("action")), ["deploy", "init"])
                self.assertEqual(set(deployment.job_ids.mapped("state")), {"done"})
                self.assertEqual(set(deployment.job_ids.step_ids.mapped("state")), {"done"})
        database = deployments.filtered(lambda deployment: deployment.type == "pgo")
        app = deployments.filtered(lambda deployment: deployment.type == "odoo")
        self.assertEqual(app.database_id, database)
        self.assertEqual(database._k8s_spec(self.cluster).setting("users"),
                         [{"name": app.slug, "databases": [app.slug]}])

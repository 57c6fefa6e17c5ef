"""Live health and sync on a Kubernetes API server (kmock, whose status the tests write as the
controllers would): transitions of each type, drift cleared by Re-deploy, and clusters that cannot
be reached or refuse, each with a readable state that never holds the others back."""

from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.base.models.ir_cron import IrCron
from odoo.addons.eyrie_books.k8s import builders
from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, free_port

from .common import BooksCase

# Statuses as each controller writes them once the workload runs (one pod or instance; PXC's size).
RUNNING = {
    "Deployment": {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1},
    "PostgresCluster": {"instances": [{"name": "instance1", "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1}]},
    "PerconaXtraDBCluster": {"state": "ready", "pxc": {"size": 3, "ready": 3}},
}
# After a pod (or node) is lost.
LOST = {
    "Deployment": {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 0},
    "PostgresCluster": {"instances": [{"name": "instance1", "replicas": 1, "updatedReplicas": 1, "readyReplicas": 0}]},
    "PerconaXtraDBCluster": {"state": "error", "message": ["pxc: node lost quorum"], "pxc": {"size": 3, "ready": 1}},
}
PAUSED = {
    "Deployment": {"replicas": 0},
    "PostgresCluster": {"instances": [{"name": "instance1"}]},
    "PerconaXtraDBCluster": {"state": "paused"},
}


class HealthCase(BooksCase):
    """Deployments on a kmock API server, deployed by their books, and refreshed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = cls.kmock_cluster("kmock health", "kmock-health")
        cls.env["eyrie.book.step"].search([]).timeout = 5
        cls.env["eyrie.book.step"].search([("kind", "=", "run_init_job")]).parameters = '{"timeout": 60, "poll": 1}'

    def workload(self, deployment):
        return builders.workload(deployment._k8s_spec(self.cluster))

    def make_ready(self, step):
        """Before a waiting step looks: its object runs, as the cluster's controllers would report."""
        spec = step.job_id.deployment_id._k8s_spec(step.job_id.cluster_id, step.job_id.version_id)
        self.make_database_ready(step, spec)
        if step.kind == "wait_ready":
            workload = builders.workload(spec)
            self.mock.set_status(workload, RUNNING[workload["kind"]])
        elif step.kind == "run_init_job" and step.wait_since:
            self.mock.set_status(builders.odoo.init_job(spec), {"succeeded": 1})

    def deployed(self, name, kind):
        deployment = self.make_deployment(name=name, kind=kind, image="nginx:1.27" if kind == "none" else "odoo:19.0")
        for method, action in (("action_initialize", "init"), ("action_deploy", "deploy")):
            getattr(deployment, method)()
            self.run_queue(before=self.make_ready)
            self.assertRunDone(deployment, action)
        return deployment

    def refresh(self, deployment):
        deployment.action_refresh_health()
        status = deployment.status_ids
        self.assertEqual(status.cluster_id, self.cluster)
        return status



class TestHealth(HealthCase):
    def health_notifications(self, deployment):
        """How many changes were announced on the deployment's channel (its pages follow it)."""
        return self.env["bus.bus"].search_count([
            ("channel", "like", f'"eyrie.deployment/{deployment.id}"'), ("message", "like", '"eyrie.health"')])

    def test_health_of_each_type_follows_its_operator(self):
        for kind in ("odoo", "pgo", "pxc", "none"):
            with self.subTest(kind=kind):
                deployment = self.deployed(f"h-{kind}", kind)
                workload = self.workload(deployment)
                status = self.refresh(deployment)
                # A fresh deployment holds exactly what its version applies: no false drift.
                self.assertEqual((status.health, status.sync), ("healthy", "in_sync"), status.sync_reason)
                self.assertEqual((deployment.health, deployment.sync_status), ("healthy", "in_sync"))
                healthy_since = status.health_since
                notified = self.health_notifications(deployment)
                messages = len(deployment.message_ids)

                self.mock.set_status(workload, LOST[workload["kind"]])
                self.refresh(deployment)
                self.assertEqual(deployment.health, "degraded", status.health_reason)
                self.assertGreaterEqual(status.health_since, healthy_since)
                self.assertIn("degraded", deployment.message_ids[0].body)
                self.assertEqual(len(deployment.message_ids), messages + 1)
                self.assertEqual(self.health_notifications(deployment), notified + 1)
                self.refresh(deployment)  # nothing new: no message, no notification
                self.assertEqual(len(deployment.message_ids), messages + 1)
                self.assertEqual(self.health_notifications(deployment), notified + 1)

                deployment.action_pause()
                self.run_queue()
                self.assertRunDone(deployment, "pause")
                self.mock.set_status(workload, PAUSED[workload["kind"]])
                self.assertEqual((self.refresh(deployment).health, deployment.sync_status), ("paused", "in_sync"))

                self.mock.emulator.objects[self.mock._key(workload)].delete()
                status = self.refresh(deployment)
                self.assertEqual((status.health, status.sync), ("missing", "out_of_sync"))
                self.assertIn(f"{workload['kind']} {workload['metadata']['name']}: missing", status.sync_reason)

    def test_drift_behind_eyries_back_is_reported_and_cleared_by_redeploy(self):
        deployment = self.deployed("h-drift", "none")
        self.assertEqual(self.refresh(deployment).sync, "in_sync")
        workload = self.workload(deployment)
        live = self.mock.stored(workload)
        container = {**live["spec"]["template"]["spec"]["containers"][0], "image": "nginx:hacked"}
        self.mock.emulator.objects[self.mock._key(workload)].patch({
            "spec": {"replicas": 3, "template": {"spec": {"containers": [container]}}}})
        status = self.refresh(deployment)
        self.assertEqual((status.sync, deployment.sync_status), ("out_of_sync", "out_of_sync"))
        self.assertIn("spec.replicas", status.sync_reason)
        self.assertNotIn("hacked", status.sync_reason, "values are never shown")
        self.assertIn("differ from the current version", deployment.message_ids[0].body)
        self.assertEqual(self.env["eyrie.deployment"].search([("sync_status", "=", "out_of_sync"),
                                                               ("id", "=", deployment.id)]), deployment)

        deployment.action_deploy()  # Re-deploy
        self.run_queue(before=self.make_ready)
        self.assertRunDone(deployment, "deploy")
        self.assertEqual(self.refresh(deployment).sync, "in_sync")
        self.assertEqual(self.mock.stored(workload)["spec"]["replicas"], 1)

    def test_an_edit_not_deployed_yet_is_out_of_sync(self):
        deployment = self.deployed("h-edit", "none")
        deployment.image = "nginx:1.28"
        status = self.refresh(deployment)
        self.assertEqual(status.sync, "out_of_sync")
        self.assertIn("spec.template", status.sync_reason)

    def test_an_unreachable_cluster_is_unknown_and_does_not_hold_the_others_back(self):
        deployment = self.deployed("h-far", "none")
        self.mock.set_status(self.workload(deployment), RUNNING["Deployment"])
        self.refresh(deployment)
        far = self.env["eyrie.cluster"].create({
            "name": "far away", "slug": "far", "dry_run": False, "auth_method": "token",
            "api_server": f"http://127.0.0.1:{free_port()}", "token": TOKEN,
        })
        # The far cluster shows the deployment's health there: a state with its reason, no traceback.
        deployment.cluster_ids |= far
        deployment.action_refresh_health()
        self.assertEqual(deployment.status_ids.filtered(lambda status: status.cluster_id == self.cluster).health,
                         "healthy", "the reachable cluster is looked at still")
        unknown = deployment.status_ids.filtered(lambda status: status.cluster_id == far)
        self.assertEqual((unknown.health, unknown.sync), ("unknown", "unknown"))
        self.assertRegex(unknown.health_reason, r"^cluster unreachable")
        self.assertIn("since", unknown.summary)
        self.assertEqual(deployment.health, "unknown", "the worst cluster's health")

        # The schedule goes on past the cluster that cannot be reached.
        (self.cluster | far).health_checked = False
        with patch.object(IrCron, "_commit_progress", return_value=60.0) as progress:
            self.env["eyrie.cluster"]._cron_refresh_health()
        self.assertTrue(self.cluster.health_checked and far.health_checked)
        self.assertGreaterEqual(progress.call_count, 2)

    def test_forbidden_is_a_readable_unknown(self):
        deployment = self.deployed("h-403", "none")
        self.mock.refuse("GET", "/apis/apps/v1/deployments", 403,
                         {"kind": "Status", "reason": "Forbidden", "message": "forbidden", "code": 403})
        status = self.refresh(deployment)
        self.assertEqual(status.health, "unknown")
        self.assertIn("no permission to list Deployment", status.health_reason)

    def test_an_object_the_operator_has_not_reported_on_yet_is_progressing(self):
        deployment = self.deployed("h-new", "pgo")
        workload = self.workload(deployment)
        self.mock.emulator.objects[self.mock._key(workload)].patch({"status": None})
        self.assertFalse(self.mock.stored(workload).get("status"))
        status = self.refresh(deployment)
        self.assertEqual(status.health, "progressing")
        self.assertIn("waiting for the operator", status.health_reason)

    def test_filters_and_groups(self):
        deployment = self.deployed("h-group", "none")
        self.refresh(deployment)
        groups = dict(self.env["eyrie.deployment"]._read_group(
            [("id", "=", deployment.id)], ["health"], ["__count"]))
        self.assertEqual(groups, {"healthy": 1})
        self.assertIn(deployment, self.env["eyrie.deployment"].search([("health", "=", "healthy")]))

    def test_dry_run_only_deployments_have_nothing_to_refresh(self):
        dry = self.env["eyrie.cluster"].create({"name": "dry health", "slug": "dry-health", "dry_run": True})
        deployment = self.make_deployment(name="h-dry", kind="none", image="nginx:1.27", cluster_ids=[(6, 0, dry.ids)])
        with self.assertRaisesRegex(UserError, "dry-run clusters only"):
            deployment.action_refresh_health()


@tagged("post_install", "-at_install")
class TestHealthUi(HealthCase, HttpCase):
    """In Chromium: the kanban card's health badges, and its Refresh button."""

    def test_card_shows_health_and_refreshes(self):
        deployment = self.deployed("h-tour", "none")
        self.refresh(deployment)
        self.mock.set_status(self.workload(deployment), LOST["Deployment"])
        self.start_tour("/odoo/action-eyrie.eyrie_deployment_action", "eyrie_books_live_health", login="admin")
        self.assertEqual(deployment.health, "degraded")

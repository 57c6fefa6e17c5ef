"""Books on a Kubernetes API server: the real client against kmock, steps run as queue_job runs
them. kmock has no controllers, so the tests write the workloads' status as they become ready."""

import datetime

import kmock

from odoo import fields

from odoo.addons.eyrie_books.k8s import api_path, builders, operators, ref
from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster

from .common import BooksCase

READY = {
    "Deployment": {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1},
    "Job": {"succeeded": 1},
    "PostgresCluster": {"instances": [{"name": "instance1", "readyReplicas": 1}]},
    "PerconaXtraDBCluster": {"state": "ready"},
}


class TestRunsOnKmock(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mock = cls.enterClassContext(RunningCluster()).cluster
        cls.cluster = cls.env["eyrie.cluster"].create({
            "name": "kmock", "slug": "kmock", "dry_run": False, "auth_method": "token",
            "api_server": cls.mock.url, "token": TOKEN, "namespace_prefix": "k-",
        })
        # Short waits: kmock answers at once, and the tests make objects ready between attempts.
        cls.env["eyrie.book.step"].search([]).timeout = 5
        init_job_steps = cls.env.ref("eyrie_books.book_odoo_init").step_ids.filtered(lambda s: s.kind == "run_init_job")
        init_job_steps.parameters = '{"timeout": 0.3, "poll": 0.1}'

    def make_ready(self, step):
        """Before a waiting step runs: report its object ready, as the cluster's controllers would."""
        job = step.job_id
        spec = job.deployment_id._k8s_spec(job.cluster_id, job.version_id)
        if step.kind == "wait_ready":
            self.mock.set_status(builders.workload(spec), READY[builders.workload(spec)["kind"]])
        elif step.kind == "run_init_job" and step.attempt:  # the first attempt creates the Job
            self.mock.set_status(builders.odoo.init_job(spec), READY["Job"])

    def initialize_deploy_pause_deploy(self, deployment):
        for method, action in (("action_initialize", "init"), ("action_deploy", "deploy"),
                               ("action_pause", "pause"), ("action_deploy", "deploy")):
            getattr(deployment, method)()
            self.run_queue(before=self.make_ready)
            self.assertRunDone(deployment, action)

    def test_every_action_of_every_type(self):
        for kind in ("odoo", "pgo", "pxc", "none"):
            with self.subTest(kind=kind):
                deployment = self.make_deployment(name=f"k-{kind}", kind=kind)
                spec = deployment._k8s_spec(self.cluster)
                namespace_path = f"/api/v1/namespaces/{spec.namespace}"
                self.initialize_deploy_pause_deploy(deployment)
                workload = builders.workload(spec)
                live = self.mock.emulator.objects[self.resource(workload), spec.namespace, spec.name]
                self.assertEqual(live["metadata"]["labels"]["eyrie.io/deployment-id"], str(deployment.id))
                requests = {(method, path) for method, path, _body in self.mock.requests()}
                self.assertIn(("POST", "/api/v1/namespaces"), requests)
                self.assertIn(("POST", api_path(ref(workload), collection=True)), requests)
                deployment.action_drop()
                self.run_queue()
                self.assertRunDone(deployment, "drop")
                deleted = {path for method, path, _body in self.mock.requests() if method == "DELETE"}
                self.assertLessEqual({namespace_path, api_path(ref(workload))}, deleted)

    def test_an_edit_during_a_run_waits_for_the_next_run(self):
        deployment = self.make_deployment(name="k-pinned", kind="none", image="nginx:1.27")
        deployment.action_initialize()
        self.run_queue(before=self.make_ready)
        pinned = deployment.current_version_id
        deployment.action_deploy()

        def edit_then_ready(step):
            if step.kind == "apply_workload":  # the run started: later steps must not see the edit
                deployment.image = "nginx:1.28"
            self.make_ready(step)

        self.run_queue(before=edit_then_ready)
        [run] = self.assertRunDone(deployment, "deploy")
        self.assertEqual(run.version_id, pinned)
        self.assertNotEqual(deployment.current_version_id, pinned)
        self.assertEqual(self.live_workload(deployment, pinned), ("nginx:1.27", str(pinned.number)))
        self.assertTrue(deployment.pending_changes)
        self.assertIn(deployment, deployment.search([("pending_changes", "=", True)]))
        self.assertEqual(deployment.live_job_ids.version_id, pinned)
        # The next run applies the new version.
        deployment.action_deploy()
        self.run_queue(before=self.make_ready)
        current = deployment.current_version_id
        self.assertEqual(self.live_workload(deployment, current), ("nginx:1.28", str(current.number)))
        self.assertFalse(deployment.pending_changes)
        self.assertNotIn(deployment, deployment.search([("pending_changes", "=", True)]))
        self.assertEqual(pinned.job_ids.mapped("action"), ["deploy", "init"])

    def live_workload(self, deployment, version):
        """The image and version annotation of the deployment's workload on kmock."""
        workload = builders.workload(deployment._k8s_spec(self.cluster, version))
        name, namespace = workload["metadata"]["name"], workload["metadata"]["namespace"]
        live = self.mock.emulator.objects[self.resource(workload), namespace, name]
        image = live["spec"]["template"]["spec"]["containers"][0]["image"]
        return image, live["metadata"]["annotations"]["eyrie.io/version"]

    def test_types_run_with_their_defaults(self):
        """With the fields' defaults and a name longer than the operators allow: the PXC cluster runs the
        operator release's images under a short name, a port-less app runs without a Service."""
        for kind, vals in (("pxc", {"image": False}), ("pgo", {"image": False}), ("none", {"port": 0})):
            with self.subTest(kind=kind):
                deployment = self.make_deployment(
                    name=f"k bare {kind} deployment with a rather long name", kind=kind, **vals)
                spec = deployment._k8s_spec(self.cluster)
                self.initialize_deploy_pause_deploy(deployment)
                workload = builders.workload(spec)
                name = workload["metadata"]["name"]
                live = self.mock.emulator.objects[self.resource(workload), spec.namespace, name]
                if kind == "pxc":
                    self.assertLessEqual(len(name), 22)
                    self.assertEqual(live["spec"]["crVersion"], operators.PXC_CR_VERSION)
                    self.assertEqual(live["spec"]["pxc"]["image"], operators.PXC_IMAGE)
                    self.assertEqual(live["spec"]["haproxy"]["image"], operators.PXC_HAPROXY_IMAGE)
                if kind == "pgo":
                    self.assertLessEqual(len(name), operators.PGO_CLUSTER_NAME_MAX)
                if kind == "none":
                    posted = [path for method, path, _body in self.mock.requests() if method == "POST"]
                    self.assertIn(f"/apis/apps/v1/namespaces/{spec.namespace}/deployments", posted)
                    self.assertFalse([path for path in posted if path.endswith(("/services", "/ingresses"))
                                      and f"/{spec.namespace}/" in path])
                deployment.action_drop()
                self.run_queue()
                self.assertRunDone(deployment, "drop")

    def resource(self, obj):
        target = ref(obj).resource
        return kmock.resource(group=target.group, version=target.version, plural=target.plural)

    def test_init_job_waits_and_retries(self):
        deployment = self.make_deployment(name="k-init", kind="odoo")
        deployment.action_initialize()
        self.run_queue(before=self.make_ready)
        init_step = deployment.job_ids.step_ids.filtered(lambda step: step.kind == "run_init_job")
        self.assertEqual(init_step.attempt, 2)
        self.assertIn("not ready after", init_step.log)
        self.assertIn("Job k-init-db-init: Succeeded", init_step.log)
        self.assertRunDone(deployment, "init")

    def test_server_errors_are_retried_with_backoff(self):
        deployment = self.make_deployment(name="k-flaky", kind="none")
        deployment.action_initialize()
        self.run_queue()
        path = f"/apis/apps/v1/namespaces/{deployment._k8s_spec(self.cluster).namespace}/deployments"
        self.mock.emulator[f"post {path}"][:1] << 503 << {"kind": "Status", "reason": "ServiceUnavailable"}
        deployment.action_deploy()
        before = fields.Datetime.now()
        self.run_queue(count=1)
        step = deployment.job_ids[0].step_ids[0]
        self.assertEqual((step.state, step.attempt), ("queued", 1))
        self.assertIn("HTTP 503", step.log)
        self.assertIn("will retry", step.log)
        # The channel's retry pattern: 10 s after the first failure.
        self.assertGreaterEqual(step.queue_job_id.eta, before + datetime.timedelta(seconds=9))
        self.run_queue(before=self.make_ready)
        self.assertEqual((step.state, step.attempt), ("done", 2))
        self.assertRunDone(deployment, "deploy")

    def test_retry_after_is_honoured(self):
        deployment = self.make_deployment(name="k-throttled", kind="none")
        namespace = deployment._k8s_spec(self.cluster).namespace
        deployment.action_initialize()
        self.run_queue()
        self.mock.emulator[f"post /apis/apps/v1/namespaces/{namespace}/deployments"][:1] << 429 << {
            "Retry-After": "42"
        }
        deployment.action_deploy()
        before = fields.Datetime.now()
        self.run_queue(count=1)
        eta = deployment.job_ids[0].step_ids[0].queue_job_id.eta
        self.assertGreaterEqual(eta, before + datetime.timedelta(seconds=40))

    def test_permanent_error_fails_the_step(self):
        deployment = self.make_deployment(name="k-invalid", kind="none")
        deployment.action_initialize()
        self.run_queue()
        namespace = deployment._k8s_spec(self.cluster).namespace
        self.mock.emulator[f"post /apis/apps/v1/namespaces/{namespace}/deployments"][:1] << 422 << {
            "kind": "Status", "reason": "Invalid", "message": "Deployment.apps is invalid",
        }
        deployment.action_deploy()
        self.run_queue(count=1)
        job = deployment.job_ids[0]
        failed = job.failed_step_id
        self.assertEqual((job.state, failed.kind, failed.attempt), ("failed", "apply_workload", 1))
        self.assertIn("422", job.error)
        job.action_resume()
        self.run_queue(before=self.make_ready)
        self.assertRunDone(deployment, "deploy")

    def test_retries_run_out(self):
        """A rollout that never becomes ready: each attempt times out, then the step fails."""
        deploy_steps = self.env.ref("eyrie_books.book_none_deploy").step_ids
        deploy_steps.max_retries = 1
        deploy_steps.filtered(lambda step: step.kind == "wait_ready").parameters = '{"timeout": 0.2, "poll": 0.1}'
        deployment = self.make_deployment(name="k-down", kind="none")
        deployment.action_initialize()
        self.run_queue()
        deployment.action_deploy()
        self.run_queue()
        job = deployment.job_ids[0]
        failed = job.failed_step_id
        self.assertEqual((job.state, failed.kind, failed.attempt), ("failed", "wait_ready", 2))
        self.assertIn("Max. retries (2) reached", job.error)
        self.assertEqual(job.failed_step_id.log.count("not ready after 0.2s"), 2)
        self.assertEqual(deployment.run_state, "failed")

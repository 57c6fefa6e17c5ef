"""Books on a Kubernetes API server: the real client against kmock, steps run as queue_job runs
them. kmock has no controllers, so the tests write the workloads' status as they become ready."""

import base64
import datetime
import tempfile

import kmock

from odoo import fields

from odoo.addons.eyrie.tests.git_server import GitServer
from odoo.addons.eyrie_books.k8s import api_path, builders, operators, ref

from .common import BooksCase


class TestRunsOnKmock(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = cls.kmock_cluster("kmock", "kmock", namespace_prefix="k-")
        # Short waits: kmock answers at once, and the tests make objects ready between attempts.
        cls.env["eyrie.book.step"].search([]).timeout = 5
        job_steps = cls.env["eyrie.book.step"].search([("kind", "in", ("run_init_job", "update_modules"))])
        job_steps.parameters = '{"timeout": 60, "poll": 1}'


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
        self.assertEqual((init_step.attempt, init_step.queue_job_id.retry), (1, 1), "a look is not an attempt")
        self.assertIn("waiting for Job k-init-db-init", init_step.log)
        self.assertIn("Job k-init-db-init: Succeeded", init_step.log)
        self.assertRunDone(deployment, "init")
        creates = [path for method, path, body in self.mock.requests()
                   if method == "POST" and (body or {}).get("metadata", {}).get("name") == "k-init-db-init"]
        self.assertEqual(len(creates), 1, "the Job is applied once, then only looked at")

    def steps_through(self, deployment, kind):
        """How many steps its queued run performs up to its ``kind`` step, that one included."""
        run = deployment.job_ids.filtered(lambda job: job.state == "queued")
        step = run.step_ids.filtered(lambda step: step.kind == kind)
        return len(run.step_ids.filtered(lambda other: other.sequence <= step.sequence))

    def test_server_errors_are_retried_with_backoff(self):
        deployment = self.make_deployment(name="k-flaky", kind="none")
        deployment.action_initialize()
        self.run_queue()
        path = f"/apis/apps/v1/namespaces/{deployment._k8s_spec(self.cluster).namespace}/deployments"
        self.mock.emulator[f"post {path}"][:1] << 503 << {"kind": "Status", "reason": "ServiceUnavailable"}
        deployment.action_deploy()
        before = fields.Datetime.now()
        self.run_queue(count=self.steps_through(deployment, "apply_workload"))
        step = deployment.job_ids[0].step_ids.filtered(lambda step: step.kind == "apply_workload")
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
        self.run_queue(count=self.steps_through(deployment, "apply_workload"))
        eta = deployment.job_ids[0].step_ids.filtered(lambda step: step.kind == "apply_workload").queue_job_id.eta
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
        self.run_queue(count=self.steps_through(deployment, "apply_workload"))
        job = deployment.job_ids[0]
        failed = job.failed_step_id
        self.assertEqual((job.state, failed.kind, failed.attempt), ("failed", "apply_workload", 1))
        self.assertIn("422", job.error)
        job.action_resume()
        self.run_queue(before=self.make_ready)
        self.assertRunDone(deployment, "deploy")

    def test_a_new_commit_updates_the_modules_it_changed_before_the_rollout(self):
        with tempfile.TemporaryDirectory() as root, GitServer(root, token="k-update-token") as server:
            work = server.repository("addons")
            manifest = "{'name': 'x'}"
            first = server.commit(work, "two modules", files={"sale_x/__manifest__.py": manifest,
                                                               "stock_y/__manifest__.py": manifest})
            repository = self.env["eyrie.repository"].create({
                "name": "k-served", "url": f"{server.url}/addons.git", "auth_method": "token",
            })
            repository.sudo().token = "k-update-token"
            deployment = self.make_deployment(name="k-update", kind="odoo", repository_id=repository.id)
            self.assertEqual(deployment.commit_ref, first)  # pinned on a real cluster
            deployment.action_initialize()
            self.run_queue(before=self.make_ready)
            deployment.action_deploy()
            self.run_queue(before=self.make_ready)
            [update] = self.assertRunDone(deployment, "deploy").step_ids.filtered(lambda s: s.kind == "update_modules")
            self.assertIn("No module changed", update.log)

            second = server.commit(work, "sale changes", files={"sale_x/models.py": "x = 1"})
            deployment.action_update_to_branch_head()
            self.assertEqual(deployment.commit_ref, second)
            deployment.action_deploy()
            self.run_queue(before=self.make_ready)
            run = deployment.job_ids[0]
            self.assertEqual(run.state, "done", run.error)
            update = run.step_ids.filtered(lambda s: s.kind == "update_modules")
            self.assertIn("Updating sale_x", update.log)
            self.assertIn("Job k-update-update printed:\nodoo: modules updated", update.log)
            # The server is stopped before the update (they share the filestore), rolled out after.
            sent = [(method, path) for method, path, _body in self.mock.requests()]
            namespace = f"/namespaces/{deployment._k8s_spec(self.cluster).namespace}/"
            stop = sent.index(("PATCH", f"/apis/apps/v1{namespace}deployments/k-update/scale"))
            jobs = ("POST", f"/apis/batch/v1{namespace}jobs")
            update_job = max(i for i, request in enumerate(sent) if request == jobs)
            self.assertLess(stop, update_job)
            spec = deployment._k8s_spec(self.cluster)
            job = self.mock.emulator.objects[self.resource(builders.odoo.update_job(spec, [])), spec.namespace,
                                             "k-update-update"]
            container = job["spec"]["template"]["spec"]["containers"][0]
            self.assertEqual(container["args"][container["args"].index("-u") + 1], "sale_x")
            [fetch] = job["spec"]["template"]["spec"]["initContainers"]
            self.assertIn({"name": "GIT_COMMIT", "value": second}, fetch["env"])
            self.assertEqual(job["metadata"]["annotations"]["eyrie.io/version"], str(run.version_id.number))
            # The server rolled out after the update, its pods fetching the same commit with the
            # repository's token from a Secret of their namespace.
            server_pods = self.mock.emulator.objects[self.resource(builders.workload(spec)), spec.namespace, spec.name]
            [fetch] = server_pods["spec"]["template"]["spec"]["initContainers"]
            env = {var["name"]: var.get("value") or var["valueFrom"]["secretKeyRef"] for var in fetch["env"]}
            self.assertEqual((env["GIT_URL"], env["GIT_COMMIT"]), (repository.url, second))
            self.assertEqual(env["GIT_TOKEN"], {"name": "k-update-source", "key": "token"})
            secret = self.mock.emulator.objects[kmock.resource("v1", "secrets"), spec.namespace, "k-update-source"]
            self.assertEqual(base64.b64decode(secret["data"]["token"]), b"k-update-token")  # stored as data

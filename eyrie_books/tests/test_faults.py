"""Fault injection: every step kind, each fault an API server or the network can throw at its first
Kubernetes call, run through queue_job the way test_runs_kmock runs books.

For each (kind, fault) the step either retries with a backoff and then completes, or fails with a
short message naming the object and the problem (and the run can be resumed). Whatever happens,
nothing is reported done that was not done: a done step's objects are in kmock's store as the step
meant them to be, and a run whose step is not done is not done either.

HTTP faults are refusals: kmock answers them instead of the emulator, so nothing is applied, as
when a real API server throttles or rejects a request. A timeout is the other way round: the
request is applied and its answer comes too late. A refused connection is a closed port.
"""

import dataclasses
import datetime
import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command, fields

from odoo.addons.eyrie_books.k8s import Kube, builders, database, ref
from odoo.addons.eyrie_books.k8s.patching import contains
from odoo.addons.eyrie_books.k8s.readiness import summarize
from odoo.addons.eyrie_books.k8s.resources import api_path
from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster, free_port
from odoo.addons.eyrie_books.steps import KINDS, NotReady, parse_parameters, run_step

from .common import READY, BooksCase, wired_database

FAULTS = ("409", "429", "500", "503", "refused", "timeout")
# What a message about each fault must say, besides the object.
PROBLEMS = {
    "409": "HTTP 409", "429": "HTTP 429", "500": "HTTP 500", "503": "HTTP 503",
    "refused": "cannot reach the API server", "timeout": "did not answer in time",
}
STATUS_REASONS = {409: "Conflict", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable"}
RETRY_AFTER = 42  # seconds, sent with the 429
REQUEST_TIMEOUT = 0.2  # seconds, the client's per-request timeout during a "timeout" attempt
LATE = 0.6  # seconds kmock waits before answering a "timeout" request
MESSAGE_LIMIT = 300

ACTION_METHODS = {
    "init": "action_initialize", "deploy": "action_deploy", "pause": "action_pause", "drop": "action_drop",
}
MANIFEST = {
    "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}, "data": {"greeting": "hello"},
}


@dataclasses.dataclass(frozen=True)
class Case:
    """Where a step kind runs: a deployment type, the actions whose state the step needs (see
    ``reach``), and the action whose run holds the step."""

    type: str
    before: tuple[str, ...]
    action: str
    manifest: bool = False  # the deployment's group deploys with a book holding apply_manifest
    code: bool = False  # the deployment runs a repository's commit (without a branch: "-u all")


CASES = {
    "create_namespace": Case("none", (), "init"),
    "ensure_secrets": Case("pxc", (), "init"),  # a generated Secret: applied create-only
    "apply_workload": Case("odoo", (), "init"),  # {"replicas": 0}: storage first, then the Deployment
    "run_init_job": Case("odoo", (), "init"),
    "update_modules": Case("odoo", ("init",), "deploy", code=True),
    "apply_network": Case("none", ("init",), "deploy"),
    "wait_ready": Case("none", ("init",), "deploy"),
    "pause": Case("none", ("init", "deploy"), "pause"),
    "resume": Case("pgo", ("init", "deploy", "pause"), "deploy"),  # paused: a running one needs no write
    "delete_resources": Case("none", ("init", "deploy"), "drop"),
    "delete_namespace": Case("none", ("init",), "drop"),
    "apply_manifest": Case("none", ("init",), "deploy", manifest=True),
    # An Odoo app of BooksCase is wired to a PGO deployment (see wired_database).
    "add_database_user": Case("odoo", (), "init"),
    "copy_database_credentials": Case("odoo", (), "init"),
    "remove_database_user": Case("odoo", ("init",), "drop"),
}


def first_call(kind, spec, params):
    """(method, object, subresource) of the first request a step of ``kind`` sends."""
    workload = builders.workload(spec)
    scale = "scale" if workload["kind"] == "Deployment" else ""
    calls = {
        "create_namespace": lambda: ("POST", builders.common.namespace(spec), ""),
        "ensure_secrets": lambda: ("POST", builders.pxc.users_secret(spec), ""),
        "apply_workload": lambda: ("POST", builders.odoo.filestore(spec), ""),
        "run_init_job": lambda: ("POST", builders.odoo.init_job(spec), ""),
        "update_modules": lambda: ("GET", builders.odoo.update_job(spec, []), ""),  # is it there already?
        "apply_network": lambda: ("POST", builders.generic.service(spec), ""),
        "wait_ready": lambda: ("GET", workload, ""),
        "pause": lambda: ("PATCH", workload, scale),
        "resume": lambda: ("PATCH", workload, scale),
        # Deleted in reverse apply order: the Service goes first (no Ingress without a domain).
        "delete_resources": lambda: ("DELETE", builders.generic.service(spec), ""),
        "delete_namespace": lambda: ("DELETE", builders.common.namespace(spec), ""),
        "apply_manifest": lambda: ("POST", _in_namespace(params["objects"][0], spec), ""),
        "add_database_user": lambda: ("GET", database.database_cluster(spec.database), ""),
        "copy_database_credentials": lambda: ("GET", database.user_secret(spec.database), ""),
        "remove_database_user": lambda: ("GET", database.database_cluster(spec.database), ""),
    }
    return calls[kind]()


def expected_state(kind, spec, params):
    """[(object, state)] a done step of ``kind`` leaves on the cluster; state is "absent", "ready",
    or a fragment the stored object must contain."""
    workload = builders.workload(spec)
    if kind == "create_namespace":
        return [(builders.common.namespace(spec), {"metadata": {"name": spec.namespace}})]
    if kind == "ensure_secrets":
        # Generated values differ on each build: the Secret must exist, under its name.
        return [(obj, {"metadata": {"name": obj["metadata"]["name"]}})
                for obj in builders.objects_for(spec) if obj["kind"] in ("Secret", "ConfigMap")]
    if kind == "apply_workload":
        stopped = dataclasses.replace(spec, replicas=params["replicas"]) if "replicas" in params else spec
        return [(obj, obj) for obj in builders.objects_for(stopped)
                if obj["kind"] in ("PersistentVolumeClaim", "Deployment", "PostgresCluster", "PerconaXtraDBCluster")]
    if kind == "run_init_job":
        job = builders.odoo.init_job(spec)
        return [(job, job), (job, "ready")]
    if kind == "update_modules":
        job = builders.odoo.update_job(spec, ["all"])
        return [(job, job), (job, "ready")]
    if kind == "apply_network":
        return [(obj, obj) for obj in builders.objects_for(spec) if obj["kind"] in ("Service", "Ingress")]
    if kind == "wait_ready":
        return [(workload, "ready")]
    if kind in ("pause", "resume"):
        target, change, _subresource = builders.pause_patch(spec, paused=kind == "pause")
        return [(target, change)]
    if kind == "delete_resources":
        return [(obj, "absent") for obj in builders.objects_for(spec) if obj["kind"] != "Namespace"]
    if kind == "delete_namespace":
        return [(builders.common.namespace(spec), "absent")]
    if kind == "apply_manifest":
        return [(_in_namespace(obj, spec), _in_namespace(obj, spec)) for obj in params["objects"]]
    if kind in ("add_database_user", "remove_database_user"):
        users = [database.user_entry(spec.database)] if kind == "add_database_user" else []
        copy = database.credentials_secret(spec, wired_database(spec)[1])
        return [(database.database_cluster(spec.database), {"spec": {"users": users}}),
                *([(copy, "absent")] if kind == "remove_database_user" else [])]
    if kind == "copy_database_credentials":
        copy = database.credentials_secret(spec, wired_database(spec)[1])
        return [(copy, copy)]
    raise AssertionError(f"no expected state for {kind}")


def _in_namespace(obj, spec):
    return {**obj, "metadata": {**obj["metadata"], "namespace": spec.namespace}}


class TestFaults(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Each case gets an API server of its own (see check_fault): kmock matches every request
        # against all the requests it has seen, so one server for the whole matrix slows to a crawl.
        cls.cluster = cls.env["eyrie.cluster"].create({
            "name": "kmock faults", "slug": "kmockf", "dry_run": False, "auth_method": "token",
            "api_server": "http://127.0.0.1:1", "token": TOKEN, "namespace_prefix": "f-",
        })
        # Short waits: the tests make objects ready before each step.
        steps = cls.env["eyrie.book.step"].search([])
        steps.filtered(lambda step: step.kind == "wait_ready").parameters = '{"timeout": 1, "poll": 0.05}'
        steps.filtered(lambda step: step.kind in ("run_init_job", "update_modules")).parameters = \
            '{"timeout": 0.05, "poll": 0.01}'
        manifest_book = cls.env["eyrie.book"].create({
            "name": "Generic: Apply manifest", "type": "none", "action": "deploy",
            "step_ids": [Command.create({"kind": "apply_manifest", "parameters": json.dumps({"objects": [MANIFEST]})})],
        })
        cls.manifest_group = cls.env["eyrie.deployment.group"].create({
            "name": "manifest group", "project_id": cls.project.id, "type": "none",
            "deployment_init_book_id": cls.env.ref("eyrie_books.book_none_init").id,
            "deployment_deploy_book_id": manifest_book.id,
        })

    def test_the_matrix_covers_every_kind(self):
        self.assertEqual(set(CASES), set(KINDS))
        for kind, case in CASES.items():
            self.assertIn(case.type, KINDS[kind].types, kind)

    def test_every_kind_under_every_fault(self):
        for kind, case in CASES.items():
            for fault in FAULTS:
                with self.subTest(kind=kind, fault=fault), RunningCluster() as running:
                    self.mock = running.cluster
                    self.cluster.api_server = self.mock.url
                    self.check_fault(kind, case, fault)

    # ------------------------------------------------------------------

    def check_fault(self, kind, case, fault):
        vals = {"group_id": self.manifest_group.id} if case.manifest else {}
        if case.code:
            vals.update(repository_id=self.repository.id, branch=False, commit_ref="a1b2c3d4")
        deployment = self.make_deployment(name=f"f-{kind.replace('_', '-')}-{fault}", kind=case.type, **vals)
        spec = deployment._k8s_spec(self.cluster)
        if spec.database is not None:
            self.cluster._k8s_operations().ensure_all(wired_database(spec))
        for action in case.before:
            self.reach(deployment, action)
        getattr(deployment, ACTION_METHODS[case.action])()
        job = deployment.job_ids.filtered(lambda run: run.action == case.action and run.state in ("queued", "running"))
        step = job.step_ids.filtered(lambda step: step.kind == kind)
        self.assertEqual(len(step), 1, f"the {case.action} book of {case.type} has one {kind} step")
        self.run_queue(before=self.make_ready, count=len(job.step_ids.filtered(lambda s: s.sequence < step.sequence)))
        self.assertEqual(self.next_step(), step, f"the run reached {kind} without a retry")
        params = parse_parameters(step.parameters)

        method, obj, subresource = first_call(kind, spec, params)
        target = ref(obj)
        path = api_path(target, collection=method == "POST", subresource=subresource)
        before = fields.Datetime.now()
        with self.injected(fault, method, path):
            self.run_queue(before=self.make_ready, count=1)
        missed = self.mock.pending_faults()
        self.mock.emulator.faults.clear()  # a fault the step did not meet fails this cell, not the next
        self.assertEqual(missed, [], f"the step did not send {method} {path}")
        self.env.invalidate_all()

        self.assertIn(step.state, ("done", "queued", "failed"))
        self.assertStateHonest(step, kind, spec, params)
        if step.state == "queued":  # retried: back to pending, later
            qjob = step.queue_job_id
            self.assertEqual((qjob.state, step.attempt), ("pending", 1))
            # Retry-After when the server sent one, else the channel's retry pattern (10 s at first).
            wait = RETRY_AFTER - 2 if fault == "429" else 5
            self.assertGreaterEqual(qjob.eta, before + datetime.timedelta(seconds=wait), "no backoff")
            reported = [line for line in step.log.splitlines() if "will retry" in line]
            self.assertEqual(len(reported), 1, step.log)
            self.assertClearMessage(reported[0], target, fault)
        elif step.state == "failed":
            self.assertEqual((job.state, job.failed_step_id), ("failed", step))
            self.assertClearMessage(step.error, target, fault)
            job.action_resume()

        self.run_queue(before=self.make_ready)  # the fault has cleared
        self.env.invalidate_all()
        self.assertEqual((step.state, job.state), ("done", "done"), f"{job.display_name}: {job.error}")
        self.assertEqual(set(job.step_ids.mapped("state")), {"done"})
        self.assertStateHonest(step, kind, spec, params)

    @contextmanager
    def injected(self, fault, method, path):
        """The fault on the next ``method path`` request (every request, for a refused connection)."""
        if fault == "refused":
            url = self.cluster.api_server
            self.cluster.api_server = f"http://127.0.0.1:{free_port()}"
            try:
                yield
            finally:
                self.cluster.api_server = url
        elif fault == "timeout":
            self.mock.answer_late(method, path, LATE)
            # The cluster passes its own timeout; this one's replaces it.
            with patch("odoo.addons.eyrie_books.models.eyrie_cluster.Kube",
                       lambda api_client, _timeout: Kube(api_client, REQUEST_TIMEOUT)):
                yield
        else:
            status = int(fault)
            body = {"apiVersion": "v1", "kind": "Status", "status": "Failure", "code": status,
                    "reason": STATUS_REASONS[status], "message": f"injected {status}"}
            headers = {"Retry-After": str(RETRY_AFTER)} if status == 429 else None
            self.mock.refuse(method, path, status, body, headers)
            yield

    def reach(self, deployment, action):
        """Where a done run of ``action`` leaves the deployment, quickly: its run is stopped (as the
        engine supersedes a run: the state stays) and its steps run straight on the cluster (the
        queue is what the case itself exercises)."""
        getattr(deployment, ACTION_METHODS[action])()
        run = deployment.job_ids.filtered(lambda job: job.action == action and job.state == "queued")
        run._cancel_run()
        kube = self.cluster._k8s_operations()
        spec = deployment._k8s_spec(self.cluster)
        for step in run.step_ids.sorted("sequence"):
            self.make_ready(step)
            params = parse_parameters(step.parameters)
            try:
                run_step(step.kind, kube, spec, params, log=lambda _message: None)
            except NotReady:  # a Job the step has just created: made ready, then looked at again
                self.make_ready(step)
                run_step(step.kind, kube, spec, {**params, "waiting": True}, log=lambda _message: None)

    def next_step(self):
        return self.env["eyrie.job.step"].search(
            [("queue_job_id.state", "=", "pending")], order="queue_job_id", limit=1,
        )

    def make_ready(self, step):
        """Before any step: what exists of the deployment's workload (and init Job) is ready, as the
        cluster's controllers would report it."""
        spec = step.job_id.deployment_id._k8s_spec(step.job_id.cluster_id)
        jobs = [builders.odoo.init_job(spec), builders.odoo.update_job(spec, [])] if spec.type == "odoo" else []
        waited = [builders.workload(spec), *jobs]
        for obj in waited:
            if self.mock.stored(obj) is not None:
                self.mock.set_status(obj, READY[obj["kind"]])

    # ------------------------------------------------------------------

    def assertStateHonest(self, step, kind, spec, params):
        """A done step left its objects as meant; a step not done leaves its run not done."""
        if step.state != "done":
            self.assertNotEqual(step.job_id.state, "done")
            self.assertNotEqual(step.job_id.deployment_id.run_state, "done")
            return
        for obj, state in expected_state(kind, spec, params):
            stored = self.mock.stored(obj)
            what = f"{kind} is done, but {ref(obj)}"
            if state == "absent":
                self.assertTrue(stored is None, f"{what} still exists")
                continue
            self.assertTrue(stored is not None, f"{what} does not exist")
            if state == "ready":
                self.assertTrue(summarize(stored)["ready"], f"{what} is not ready")
            else:
                self.assertTrue(contains(stored, state), f"{what} lacks {state}")

    def assertClearMessage(self, message, target, fault):
        self.assertLessEqual(len(message), MESSAGE_LIMIT, message)
        self.assertIn(str(target), message, "the message names the object")
        self.assertIn(PROBLEMS[fault], message, "the message names the problem")
        self.assertNotIn("Traceback", message)

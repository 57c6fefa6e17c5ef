import re
from unittest.mock import MagicMock, patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import EyriePortalCase


@tagged("post_install", "-at_install")
class TestPortalRuns(EyriePortalCase):
    """The runs of a deployment on its page, its card's badge, resuming and cancelling them, and
    the bus channel that announces their changes.

    No queue job runner runs in tests: a started run stays queued, its steps pending or queued."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.dry = env["eyrie.cluster"].create({"name": "Dry cluster", "slug": "dry", "dry_run": True})
        cls.dry.sudo().token = "never-shown-token"
        # Created with eyrie_books installed: the group gets the default books of its type.
        cls.books = env["eyrie.deployment.group"].create({
            "name": "Books", "slug": "books", "project_id": cls.project.id, "type": "none",
        })
        assert cls.books.deployment_init_book_id, "the group should run the default init book"
        dry = {"cluster_ids": [Command.set(cls.dry.ids)]}
        cls.runner = cls.make_deployment(cls.books, "Runner", slug="runner", **dry)
        cls.broken = cls.make_deployment(cls.books, "Broken", slug="broken", **dry)
        cls.failed_run = env["eyrie.job"].sudo().create({
            "deployment_id": cls.broken.id, "book_id": cls.books.deployment_init_book_id.id,
            "cluster_id": cls.dry.id, "dry_run": True, "state": "failed", "user_id": cls.operator.id,
            "step_ids": [
                Command.create({"sequence": 1, "kind": "namespace", "name": "Namespace", "state": "done",
                                "attempt": 1, "log": "12:00:00 namespace ready"}),
                Command.create({"sequence": 2, "kind": "apply", "name": "Apply the workload", "state": "failed",
                                "attempt": 3, "log": "12:00:05 forbidden", "error": "Forbidden by the cluster"}),
                Command.create({"sequence": 3, "kind": "wait", "name": "Wait until ready"}),
            ],
        })

    RUNNER = "/_eyrie/p/pa/dg/books/d/runner"
    BROKEN = "/_eyrie/p/pa/dg/books/d/broken"
    BOOKS = "/_eyrie/p/pa/dg/books"

    # ------------------------------------------------------------------
    # Showing runs
    # ------------------------------------------------------------------

    def test_page_shows_the_run_an_action_started(self):
        self.login("ey_operator")
        self.assertPage(self.get(self.RUNNER), "No runs yet.")
        self.assertRedirect(self.post(f"{self.RUNNER}/initialize"), f"{self.RUNNER}?done=initialize")
        run = self.runner.job_ids
        self.assertRecordValues(run, [{"state": "queued", "cluster_id": self.dry.id, "user_id": self.operator.id}])
        page = self.get(self.RUNNER)
        self.assertPage(page, f'data-run-id="{run.id}"', "o_eyrie_run_state_queued", "fa-spinner", "Dry cluster",
                        "Otto Operator", *run.step_ids.mapped("name"))
        self.assertNotIn("No runs yet.", page.text)
        self.assertNotIn("never-shown-token", page.text)
        # The current run is open.
        self.assertIn(f'id="eyrie_run_{run.id}" class="accordion-collapse collapse show"', page.text)
        # The card on the group page spins with the count of running jobs.
        self.assertPage(self.get(self.BOOKS), "o_eyrie_running")

    def test_failed_run_shows_its_steps_error_and_log(self):
        for login in ("ey_viewer", "ey_operator"):
            with self.subTest(login=login):
                self.login(login)
                page = self.get(self.BROKEN)
                self.assertPage(page, "o_eyrie_run_state_failed", "Apply the workload", "Forbidden by the cluster",
                                "o_eyrie_step_error", "12:00:05 forbidden", "Wait until ready")
                resume = f'action="{self.BROKEN}/runs/{self.failed_run.id}/resume"'
                cancel = f'action="{self.BROKEN}/runs/{self.failed_run.id}/cancel"'
                if login == "ey_operator":
                    self.assertIn(resume, page.text)
                    self.assertIn(cancel, page.text)
                else:
                    self.assertNotIn(resume, page.text)
                    self.assertNotIn(cancel, page.text)
        self.assertPage(self.get(self.BOOKS), "o_eyrie_run_failed")

    @mute_logger("odoo.http")
    def test_finished_run_loads_its_steps_when_opened(self):
        done_run = self.env["eyrie.job"].sudo().create({
            "deployment_id": self.runner.id, "book_id": self.books.deployment_init_book_id.id,
            "cluster_id": self.dry.id, "dry_run": True, "state": "done", "user_id": self.operator.id,
            "step_ids": [Command.create({"sequence": 1, "kind": "namespace", "name": "Namespace", "state": "done",
                                         "attempt": 1, "log": "12:00:00 namespace made"})],
        })
        steps_url = f"{self.RUNNER}/runs/{done_run.id}"
        self.login("ey_viewer")
        page = self.get(self.RUNNER).text
        # Closed, its steps left out: the page fetches them from the run's URL when it is opened.
        self.assertIn(f'id="eyrie_run_{done_run.id}" class="accordion-collapse collapse "', page)
        self.assertIn(f'data-url="{steps_url}"', page)
        self.assertNotIn("12:00:00 namespace made", page)
        steps = self.get(steps_url)
        self.assertEqual(steps.status_code, 200)
        self.assertNotIn("<html", steps.text)
        self.assertPage(steps, "o_eyrie_run_steps", "Namespace", "o_eyrie_run_state_done", "12:00:00 namespace made")
        # A failed run shows its steps at once (see above); another deployment's run is not found here.
        self.assertEqual(self.get(f"{self.BROKEN}/runs/{done_run.id}").status_code, 404)
        self.assertEqual(self.get(f"{self.RUNNER}/runs/{2**40}").status_code, 404)
        for login in ("ey_other", "ey_internal"):
            with self.subTest(login=login):
                self.login(login)
                self.assertEqual(self.get(steps_url).status_code, 404)
        self.login(None)
        self.assertToLogin(self.get(steps_url))

    def test_runs_fragments_obey_the_page_access(self):
        for suffix in ("/runs", "/runs/badge"):
            for login in ("ey_viewer", "ey_operator", "ey_user", "ey_manager"):
                with self.subTest(suffix=suffix, login=login):
                    self.login(login)
                    response = self.get(self.BROKEN + suffix)
                    self.assertEqual(response.status_code, 200)
                    self.assertNotIn("<html", response.text)
                    self.assertIn(f'data-deployment-id="{self.broken.id}"', response.text)
            with self.subTest(suffix=suffix, login="anonymous"):
                self.login(None)
                self.assertToLogin(self.get(self.BROKEN + suffix))
            for login in ("ey_other", "ey_internal"):
                with self.subTest(suffix=suffix, login=login):
                    self.login(login)
                    self.assertEqual(self.get(self.BROKEN + suffix).status_code, 404)
            with self.subTest(suffix=suffix, login="ey_operator", url="other project"):
                self.login("ey_operator")
                self.assertEqual(self.get(f"/_eyrie/p/pb/dg/ga/d/web{suffix}").status_code, 404)
        self.login("ey_viewer")
        self.assertIn("Apply the workload", self.get(f"{self.BROKEN}/runs").text)
        self.assertIn("o_eyrie_run_failed", self.get(f"{self.BROKEN}/runs/badge").text)

    # ------------------------------------------------------------------
    # Resume and cancel
    # ------------------------------------------------------------------

    def test_operator_resumes_a_failed_run(self):
        self.login("ey_operator")
        response = self.post(f"{self.BROKEN}/runs/{self.failed_run.id}/resume")
        self.assertRedirect(response, f"{self.BROKEN}?done=run_resume")
        self.assertEqual(self.failed_run.state, "queued")
        self.assertEqual(self.failed_run.step_ids.mapped("state"), ["done", "queued", "pending"])
        self.assertPage(self.get(f"{self.BROKEN}?done=run_resume"), "Run resumed from its failed step.")

    def test_operator_cancels_a_failed_run(self):
        self.login("ey_operator")
        response = self.post(f"{self.BROKEN}/runs/{self.failed_run.id}/cancel")
        self.assertRedirect(response, f"{self.BROKEN}?done=run_cancel")
        self.assertEqual(self.failed_run.state, "cancelled")
        # Cancelled: it can no longer be resumed, and says so on the page.
        response = self.post(f"{self.BROKEN}/runs/{self.failed_run.id}/resume")
        self.assertEqual(response.status_code, 422)
        self.assertIn("Only a failed run can be resumed", response.text)

    @mute_logger("odoo.http")
    def test_only_operators_resume_or_cancel_their_deployments_runs(self):
        for operation in ("resume", "cancel"):
            url = f"{self.BROKEN}/runs/{self.failed_run.id}/{operation}"
            for login, status in (("ey_viewer", 403), ("ey_other", 404), ("ey_internal", 404)):
                with self.subTest(operation=operation, login=login):
                    self.login(login)
                    self.assertEqual(self.post(url).status_code, status)
            with self.subTest(operation=operation, login="anonymous"):
                self.login(None)
                self.assertToLogin(self.post(url))
            self.login("ey_operator")
            with self.subTest(operation=operation, csrf=False):
                self.assertEqual(self.post(url, csrf=False).status_code, 400)
            with self.subTest(operation=operation, job="of another deployment"):
                self.assertEqual(self.post(f"{self.RUNNER}/runs/{self.failed_run.id}/{operation}").status_code, 404)
                self.assertEqual(self.post(f"{self.BROKEN}/runs/{2**40}/{operation}").status_code, 404)
        self.assertEqual(self.failed_run.state, "failed")

    def test_backend_and_portal_offer_the_same_actions(self):
        """For the same user and deployment, the form's buttons (shown by the can_* fields that
        get_available_actions fills), the portal's enabled buttons and the RPC answer agree."""
        arch = self.env["eyrie.deployment"].get_views([(False, "form")])["views"]["form"]["arch"]
        governed = set(re.findall(r'<button name="action_\w+" type="object"[^>]*invisible="not can_(\w+)"', arch))
        self.assertEqual(governed, {"initialize", "deploy", "redeploy", "pause", "drop", "resume", "retry", "cancel"})
        for user in (self.user, self.manager):
            for deployment, url in ((self.runner, self.RUNNER), (self.broken, self.BROKEN)):
                with self.subTest(login=user.login, deployment=deployment.name):
                    record = deployment.with_user(user)
                    backend = {key for key in governed if record[f"can_{key}"]}
                    rpc = {action["action"] for action in record.get_available_actions()[0]["actions"]
                           if action["available"]}
                    self.login(user.login)
                    page = self.get(url).text
                    portal = set(re.findall(rf'action="{re.escape(url)}/(\w+)"', page)) - {"edit"}
                    self.assertEqual(backend, rpc)
                    self.assertEqual(portal, backend)
        self.assertEqual(backend, {"resume", "retry", "cancel", "drop"})  # the broken one: its run failed
        # The portal shows why the lifecycle waits, and the moves it holds back, disabled.
        self.assertIn("failed at the step “Apply the workload”", page)
        self.assertRegex(page, r'disabled="disabled" class="btn btn-primary o_eyrie_action_disabled" name="initialize"')

    # ------------------------------------------------------------------
    # Bus channels
    # ------------------------------------------------------------------

    def channels_of(self, user, channels):
        wsrequest = MagicMock()
        wsrequest.session.uid = user.id
        with patch("odoo.addons.bus.models.ir_websocket.wsrequest", new=wsrequest):
            return self.env["ir.websocket"].with_user(user)._build_bus_channel_list(list(channels))

    def test_clients_follow_only_the_deployments_they_may_read(self):
        mine, theirs = f"eyrie.deployment/{self.broken.id}", f"eyrie.deployment/{self.other_deployment.id}"
        asked = [mine, theirs, "eyrie.deployment/999999999", "eyrie.deployment/x", "eyrie.deployment/",
                 "something.else"]
        for user, kept in (
            (self.viewer, {mine}),
            (self.operator, {mine}),
            (self.other, {theirs}),
            (self.internal, set()),
            (self.user, {mine, theirs}),
            (self.env.ref("base.public_user"), set()),
        ):
            with self.subTest(login=user.login):
                channels = self.channels_of(user, asked)
                self.assertEqual({c for c in channels if isinstance(c, str) and c.startswith("eyrie.")}, kept)
                self.assertIn("something.else", channels)

import hashlib
import hmac
import json

from .common import BooksCase

SECRET = "push-s3cret"


class TestPushDuringRuns(BooksCase):
    """Pushes to a deployed deployment's branch: each records a version; while a run is in
    progress they wait, and when it ends the newest is deployed once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.repository.sudo().webhook_secret = SECRET
        cls.app = cls.make_deployment("pushed", kind="none", repository_id=cls.repository.id, deploy_on_push=True)

    def push(self, commit, delivery):
        body = json.dumps({"ref": "refs/heads/main", "after": commit}).encode()
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery,
                   "X-Hub-Signature-256": f"sha256={signature}"}
        status, message = self.repository.sudo()._receive_delivery(headers, body)
        self.assertEqual(status, 200, message)
        return message

    def deploy_runs(self):
        return self.app.job_ids.filtered(lambda job: job.action == "deploy").sorted("id")

    def test_pushes_during_a_run_end_with_the_last_commit_deployed_once(self):
        self.app.action_initialize()
        self.run_queue()
        self.app.action_deploy()
        self.run_queue()
        self.assertEqual(len(self.deploy_runs()), 1)
        first = self.push("1" * 40, "p1")
        self.assertIn("deploying version", first)
        self.assertEqual(self.app.run_state, "queued")
        commits = [f"{n}" * 40 for n in range(2, 7)]
        for number, commit in enumerate(commits):
            self.assertIn("deployed when the current run ends", self.push(commit, f"burst-{number}"))
        self.assertEqual(len(self.deploy_runs()), 2, "pushes during a run must not start runs")
        self.assertTrue(self.app.push_pending)
        self.run_queue()  # the run of the first push, then the one of the newest
        runs = self.deploy_runs()
        self.assertEqual(len(runs), 3)
        self.assertEqual(runs[1].version_id.commit_ref, "1" * 40)
        self.assertEqual(runs[2].version_id.commit_ref, commits[-1])
        self.assertEqual(runs[2].version_id, self.app.current_version_id)
        self.assertEqual(set(runs.mapped("state")), {"done"})
        self.assertFalse(self.app.push_pending)
        self.assertFalse(self.app.pending_changes)

    def test_a_cancelled_run_leaves_the_push_pending(self):
        self.app.action_initialize()
        self.run_queue()
        self.app.action_deploy()
        self.push("a" * 40, "during")
        self.assertTrue(self.app.push_pending)
        self.app.action_cancel()
        self.assertTrue(self.app.push_pending, "a cancelled run deploys nothing by itself")
        self.assertTrue(self.app.pending_changes)

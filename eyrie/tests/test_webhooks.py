import hashlib
import hmac
import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import EyrieCase

SECRET = "hook-s3cret-value"


@tagged("post_install", "-at_install")
class TestWebhooks(EyrieCase, HttpCase):
    """Deliveries over real HTTP, signed the way each git service signs them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.repository.sudo().webhook_secret = SECRET
        cls.web = cls.make_deployment("pushed", kind="none", repository_id=cls.repository.id, deploy_on_push=True)
        cls.other = cls.make_deployment("manual", kind="none", repository_id=cls.repository.id)
        cls.url = f"/_eyrie/hooks/{cls.repository.id}"

    def push(self, commit, branch="main", service="github", delivery="d-1", secret=SECRET, body=None):
        body = body if body is not None else json.dumps({"ref": f"refs/heads/{branch}", "after": commit}).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "github": {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery,
                       "X-Hub-Signature-256": f"sha256={signature}"},
            "gitlab": {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": delivery, "X-Gitlab-Token": secret},
            "gitea": {"X-Gitea-Event": "push", "X-Gitea-Delivery": delivery, "X-Gitea-Signature": signature,
                      "X-GitHub-Event": "push"},
        }[service]
        return self.url_open(self.url, data=body, headers={"Content-Type": "application/json", **headers})

    def deliveries(self):
        return self.repository.delivery_ids.sorted("id")

    def test_each_service_records_the_pushed_commit_as_a_version(self):
        for number, service in enumerate(("github", "gitlab", "gitea"), start=1):
            with self.subTest(service=service):
                commit = f"{number}" * 40
                response = self.push(commit, service=service, delivery=f"{service}-1")
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(self.web.commit_ref, commit)
                self.assertEqual(self.web.current_version_id.commit_ref, commit)
                self.assertIn("Commit Ref", self.web.current_version_id.changes)
                self.assertEqual(self.deliveries()[-1].read(["provider", "branch", "commit", "status"])[0] | {"id": 0},
                                 {"id": 0, "provider": service, "branch": "main", "commit": commit, "status": 200})
        # Only the deployment that asked for it follows pushes.
        self.assertFalse(self.other.commit_ref)

    def test_refusals_change_nothing(self):
        versions = self.web.version_count
        cases = [
            ("forged signature", 401, {"secret": "not-the-secret"}),
            ("wrong gitlab token", 401, {"service": "gitlab", "secret": "not-the-secret"}),
            ("not json", 400, {"body": b"{not json"}),
        ]
        with mute_logger("odoo.addons.eyrie.models.eyrie_repository"):
            for what, status, kwargs in cases:
                with self.subTest(what):
                    self.assertEqual(self.push("a" * 40, delivery=what, **kwargs).status_code, status)
            unsigned = self.url_open(self.url, data=b"{}", headers={"X-GitHub-Event": "push"})
            self.assertEqual(unsigned.status_code, 401)
            self.assertEqual(self.url_open(self.url, data=b"{}").status_code, 400)
        self.web.invalidate_recordset()
        self.assertEqual(self.web.version_count, versions)
        self.assertFalse(self.web.commit_ref)
        self.assertEqual(self.deliveries().mapped("status"), [401, 401, 400, 401, 400])

    def test_replay_unknown_repository_and_oversized_body(self):
        self.assertEqual(self.push("b" * 40, delivery="once").status_code, 200)
        with mute_logger("odoo.addons.eyrie.models.eyrie_repository", "odoo.addons.eyrie.controllers.webhook"):
            replay = self.push("b" * 40, delivery="once")
            self.assertEqual((replay.status_code, replay.text.strip()), (409, "this delivery was received already"))
            self.assertEqual(self.url_open("/_eyrie/hooks/999999", data=b"{}").status_code, 404)
            huge = self.push("c" * 40, body=b" " * (10 * 1024 * 1024))
            self.assertEqual(huge.status_code, 413)
        self.assertEqual(self.web.commit_ref, "b" * 40)
        self.assertEqual(len(self.deliveries()), 1)

    def test_other_branches_tags_and_pings_deploy_nothing(self):
        self.assertEqual(self.push("d" * 40, branch="feature", delivery="f").status_code, 200)
        tag = json.dumps({"ref": "refs/tags/v1", "after": "e" * 40}).encode()
        self.assertEqual(self.push("", body=tag, delivery="t").status_code, 200)
        self.assertFalse(self.web.commit_ref)
        self.assertIn("No deployment deploys branch feature", self.deliveries()[0].result)

    def test_a_deployed_deployment_redeploys_the_pushed_commit(self):
        self.web.action_initialize()
        self.web.action_deploy()
        response = self.push("f" * 40, delivery="deploy")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"deploying version {self.web.current_version_id.number}", response.text)
        self.assertIn(f"Push of {'f' * 12} to main.", self.web.message_ids[0].body)
        self.assertEqual(self.web.state, "deploy")

    def test_rate_limit(self):
        self.env["eyrie.repository.delivery"].create([
            {"repository_id": self.repository.id, "status": 401, "result": "x"} for _ in range(60)
        ])
        self.assertEqual(self.push("a" * 40, delivery="late").status_code, 429)
        self.assertEqual(len(self.deliveries()), 60)


@tagged("post_install", "-at_install")
class TestRepositoryCredentials(EyrieCase):
    def test_credentials_are_written_never_read_back(self):
        repository = self.repository.with_user(self.manager)
        repository.write({"auth_method": "token", "new_token": "ghp_secret_token", "new_webhook_secret": "w"})
        self.assertEqual(self.repository.sudo().token, "ghp_secret_token")
        repository.invalidate_recordset()  # as the next request of the client would
        values = repository.read(["new_token", "new_webhook_secret", "credentials_set"])[0]
        self.assertEqual((values["new_token"], values["new_webhook_secret"]), (False, False))
        self.assertEqual(values["credentials_set"], "token, webhook secret")
        for user in (self.manager, self.user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.repository.with_user(user).read(["token"])
        # An empty input keeps the secret.
        repository.write({"new_token": False, "name": "renamed"})
        self.assertEqual(self.repository.sudo().token, "ghp_secret_token")

    def test_remote_carries_the_credentials_of_its_method(self):
        self.repository.sudo().write({"token": "t0k", "ssh_key": "KEY", "auth_method": "token"})
        remote = self.repository._git_remote()
        self.assertEqual((remote.token, remote.ssh_key), ("t0k", ""))
        self.repository.auth_method = "ssh"
        self.assertEqual((self.repository._git_remote().token, self.repository._git_remote().ssh_key), ("", "KEY"))

import tempfile

from odoo.exceptions import UserError

from .common import KUBECONFIG, EyrieCase
from .git_server import GitServer

TOKEN = "source-token-value"


class TestSourceCommits(EyrieCase):
    """A branch becomes a commit with real git, against a repository served over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.git_root = tempfile.TemporaryDirectory()
        cls.server = GitServer(cls.git_root.name, token=TOKEN).__enter__()
        cls.work = cls.server.repository("addons")
        cls.head = cls.server.commit(cls.work, "first")
        cls.feature = cls.server.commit(cls.work, "feature", branch="feature")
        cls.origin = cls.env["eyrie.repository"].create({
            "name": "served", "url": f"{cls.server.url}/addons.git", "auth_method": "token",
        })
        cls.origin.sudo().token = TOKEN
        cls.real = cls.env["eyrie.cluster"].create({
            "name": "Real", "slug": "real", "dry_run": False, "kubeconfig": KUBECONFIG,
        })

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.git_root.cleanup()
        super().tearDownClass()

    def make(self, name, clusters=None, **vals):
        return self.make_deployment(name, kind="odoo", repository_id=self.origin.id,
                                    cluster_ids=[(6, 0, (clusters or self.real).ids)], **vals)

    def test_a_branch_set_without_a_commit_is_pinned_to_its_head(self):
        deployment = self.make("pinned")
        self.assertEqual(deployment.commit_ref, self.head)
        self.assertEqual((deployment.version_count, deployment.current_version_id.commit_ref), (1, self.head))
        deployment.branch = "feature"  # the old branch's commit does not follow it
        self.assertEqual(deployment.commit_ref, self.feature)
        self.assertEqual(deployment.version_count, 2)
        self.assertIn(f"Commit Ref: {self.head} → {self.feature}", deployment.current_version_id.changes)
        deployment.write({"branch": "main", "commit_ref": self.head})  # an explicit commit is kept
        self.assertEqual(deployment.commit_ref, self.head)

    def test_update_to_branch_head_records_a_version_only_when_it_moved(self):
        deployment = self.make("follows")
        deployment.action_update_to_branch_head()
        self.assertEqual(deployment.version_count, 1)
        newer = self.server.commit(self.work, "newer")
        deployment.action_update_to_branch_head()
        self.assertEqual((deployment.commit_ref, deployment.version_count), (newer, 2))

    def test_unreadable_branches_are_refused_and_change_nothing(self):
        with self.assertRaisesRegex(UserError, "has no branch 'nope'"):
            self.make("missing", branch="nope")
        deployment = self.make("guarded")
        self.origin.sudo().token = "wrong"
        with self.assertRaisesRegex(UserError, "refused the credentials"):
            deployment.branch = "feature"
        self.assertEqual((deployment.branch, deployment.commit_ref, deployment.version_count), ("main", self.head, 1))

    def test_dry_run_deployments_never_call_git(self):
        before = len(self.server.requests)
        deployment = self.make("dry", clusters=self.cluster, commit_ref="abc1234")
        deployment.branch = "feature"
        self.assertFalse(deployment.commit_ref, "the other branch's commit must not stay")
        deployment.action_initialize()
        self.assertEqual(len(self.server.requests), before)
        # Put on a real cluster, it gets its commit before it runs anything there.
        deployment.cluster_ids = [(4, self.real.id)]
        self.assertEqual(deployment.commit_ref, self.feature)

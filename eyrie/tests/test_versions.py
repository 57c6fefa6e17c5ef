from odoo.exceptions import AccessError

from .common import EyrieCase


class TestVersions(EyrieCase):
    def test_first_version_on_create(self):
        deployment = self.make_deployment(commit_ref="abc1234", repository_id=self.repository.id)
        version = deployment.current_version_id
        self.assertEqual(deployment.version_ids, version)
        self.assertEqual(
            (version.number, version.image, version.branch, version.commit_ref, version.repository_id),
            (1, "ghcr.io/acme/shop:1.0", "main", "abc1234", self.repository),
        )
        self.assertEqual((version.scope_id, version.cluster_ids), (self.dev, self.cluster))
        self.assertEqual(version.author_id, self.env.user)
        self.assertEqual(version.changes, "First version")
        self.assertTrue(version.is_current)

    def test_one_version_per_change_set(self):
        deployment = self.make_deployment()
        deployment.with_user(self.user).write({"image": "ghcr.io/acme/shop:2.0", "branch": "release/2"})
        self.assertEqual(deployment.version_count, 2)
        version = deployment.current_version_id
        self.assertEqual((version.number, version.image, version.branch), (2, "ghcr.io/acme/shop:2.0", "release/2"))
        self.assertEqual(version.author_id, self.user)
        self.assertEqual(
            version.changes.splitlines(),
            ["Branch: main → release/2", "Image: ghcr.io/acme/shop:1.0 → ghcr.io/acme/shop:2.0"],
        )
        self.assertFalse(deployment.version_ids.filtered(lambda v: v.number == 1).is_current)

    def test_no_version_without_a_real_change(self):
        deployment = self.make_deployment()
        deployment.write({"image": "ghcr.io/acme/shop:1.0"})  # same value
        deployment.write({"name": "renamed", "sequence": 3})  # not versioned
        deployment.action_initialize()
        self.assertEqual(deployment.version_count, 1)

    def test_every_key_field_makes_a_version(self):
        deployment = self.make_deployment()
        other_repository = self.env["eyrie.repository"].create({"name": "o", "url": "git@example.com:o.git"})
        changes = [
            ({"branch": "develop"}, "Branch: main → develop"),
            ({"image": "nginx:1.27"}, "Image: ghcr.io/acme/shop:1.0 → nginx:1.27"),
            ({"commit_ref": "deadbeef"}, "Commit Ref: — → deadbeef"),
            ({"repository_id": other_repository.id}, "Repository: — → o"),
            ({"scope_id": self.production.id}, "Scope: Dev (test) → Prod (test)"),
            ({"cluster_ids": [(4, self.cluster2.id)]}, "Clusters: Test cluster → Test cluster, Second cluster"),
        ]
        for number, (vals, summary) in enumerate(changes, start=2):
            with self.subTest(vals=vals):
                deployment.write(vals)
                self.assertEqual(deployment.current_version_id.number, number)
                self.assertEqual(deployment.current_version_id.changes, summary)

    def test_numbering_is_per_deployment_and_batch_writes_version_each(self):
        first, second = self.make_deployment("one"), self.make_deployment("two")
        first.image = "nginx:1"
        (first | second).write({"image": "nginx:2"})
        self.assertEqual(sorted(first.version_ids.mapped("number")), [1, 2, 3])
        self.assertEqual(sorted(second.version_ids.mapped("number")), [1, 2])

    def test_import_makes_versions(self):
        deployments = self.env["eyrie.deployment"]
        created = deployments.load(
            ["id", "name", "group_id/.id", "scope_id/.id", "image"],
            [["eyrie_test.imported", "imported", str(self.groups["none"].id), str(self.dev.id), "redis:7"]],
        )
        self.assertFalse(created["messages"])
        updated = deployments.load(["id", "image"], [["eyrie_test.imported", "redis:8"]])
        self.assertFalse(updated["messages"])
        deployment = deployments.browse(created["ids"])
        self.assertEqual(deployment.version_ids.sorted("number").mapped("image"), ["redis:7", "redis:8"])

    def test_versions_are_read_only_for_users(self):
        deployment = self.make_deployment()
        version = deployment.current_version_id.with_user(self.user)
        self.assertEqual(version.image, "ghcr.io/acme/shop:1.0")
        with self.assertRaises(AccessError):
            version.write({"image": "evil:1"})
        with self.assertRaises(AccessError):
            version.unlink()

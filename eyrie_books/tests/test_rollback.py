"""Rollback to a version, with a reason: a new version with the old values (its secret too), run
as a re-deploy on kmock, or left pending while paused; refused while a run is in progress or when
the version cannot run anymore."""

from odoo import Command
from odoo.exceptions import AccessError, UserError

from odoo.addons.eyrie_books.k8s import builders

from .common import BooksCase


class TestRollback(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kmock = cls.kmock_cluster("kmock rollback", "kmock-rb", namespace_prefix="rb-")
        cls.env["eyrie.book.step"].search([]).timeout = 5

    def live_image(self, deployment):
        workload = builders.workload(deployment._k8s_spec(self.kmock))
        return self.mock.stored(workload)["spec"]["template"]["spec"]["containers"][0]["image"]

    def deployed(self, **vals):
        deployment = self.make_deployment(
            name="rb-app", kind="odoo", slug="rb-app", db_host="db.example.com", db_user="shop",
            new_db_password="first-secret", image="ghcr.io/acme/shop:1.0",
            cluster_ids=[Command.set(self.kmock.ids)], **vals,
        )
        for action in ("action_initialize", "action_deploy"):
            getattr(deployment, action)()
            self.run_queue(before=self.make_ready)
        return deployment

    def test_rollback_restores_the_values_and_the_secret_and_deploys(self):
        deployment = self.deployed().with_user(self.user)
        good = deployment.current_version_id
        deployment.write({"image": "ghcr.io/acme/shop:2.0", "workers": 4, "new_db_password": "second-secret"})
        deployment.action_deploy()
        self.run_queue(before=self.make_ready)
        self.assertEqual(self.live_image(deployment), "ghcr.io/acme/shop:2.0")
        bad = deployment.current_version_id

        new_id = deployment.action_rollback(good.id, "  2.0 fails its health checks ")

        rollback = deployment.current_version_id
        self.assertEqual(rollback.id, new_id)
        self.assertEqual(rollback.number, bad.number + 1)
        self.assertEqual(rollback.author_id, self.user)
        self.assertEqual(
            rollback.changes.splitlines()[0], f"Rollback to v{good.number}: 2.0 fails its health checks",
        )
        self.assertEqual((rollback.image, rollback.workers), ("ghcr.io/acme/shop:1.0", 2))
        self.assertEqual(deployment.sudo().db_password, "first-secret")
        self.assertEqual(rollback.sudo().db_password, "first-secret")
        self.assertNotIn("first-secret", rollback.changes)
        self.assertIn("Database Password: changed", rollback.changes)
        # The deploy book runs the new version, and the cluster runs the old image again.
        [run] = deployment.job_ids.filtered(lambda job: job.version_id == rollback)
        self.assertEqual((run.action, run.state), ("deploy", "queued"))
        self.run_queue(before=self.make_ready)
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(self.live_image(deployment), "ghcr.io/acme/shop:1.0")
        self.assertFalse(deployment.pending_changes)
        bodies = deployment.message_ids.mapped("body")
        self.assertTrue(any(f"Rollback to v{good.number}: 2.0" in body for body in bodies), bodies)

    def test_refused_while_a_run_is_in_progress(self):
        deployment = self.deployed().with_user(self.user)
        first = deployment.current_version_id
        deployment.image = "ghcr.io/acme/shop:2.0"
        deployment.action_deploy()
        current = deployment.current_version_id
        with self.assertRaisesRegex(UserError, "in progress"):
            deployment.action_rollback(first.id, "too early")
        self.assertEqual(deployment.current_version_id, current)
        self.assertEqual(len(deployment.job_ids.filtered(lambda job: job.state == "queued")), 1)

    def test_a_reason_is_required_and_the_version_must_differ(self):
        deployment = self.deployed().with_user(self.user)
        first = deployment.current_version_id
        with self.assertRaisesRegex(UserError, "is the current version"):
            deployment.action_rollback(first.id, "same")
        deployment.image = "ghcr.io/acme/shop:2.0"
        with self.assertRaisesRegex(UserError, "a reason is required"):
            deployment.action_rollback(first.id, "   ")
        deployment.image = "ghcr.io/acme/shop:1.0"  # v3 runs what v1 ran
        with self.assertRaisesRegex(UserError, "runs what the current version v3 runs"):
            deployment.action_rollback(first.id, "again")
        other = self.make_deployment(name="rb-other", kind="none", slug="rb-other").with_user(self.user)
        with self.assertRaisesRegex(UserError, "is not a version of"):
            other.action_rollback(first.id, "not mine")
        with self.assertRaisesRegex(UserError, "does not exist"):
            other.action_rollback(2**31 - 1, "nothing")

    def test_paused_it_waits_pending(self):
        deployment = self.make_deployment(name="rb-paused", kind="none", slug="rb-paused", image="nginx:1.27")
        for action in ("action_initialize", "action_deploy", "action_pause"):
            getattr(deployment, action)()
            self.run_queue()
        first = deployment.current_version_id
        deployment.image = "nginx:1.28"
        runs = deployment.job_ids

        deployment.with_user(self.user).action_rollback(first.id, "keep 1.27")

        self.assertEqual(deployment.job_ids, runs, "a paused deployment runs nothing")
        self.assertEqual(deployment.state, "pause")
        self.assertEqual(deployment.image, "nginx:1.27")
        self.assertTrue(deployment.current_version_id.changes.startswith(f"Rollback to v{first.number}: keep 1.27"))
        self.assertTrue(deployment.pending_changes)
        deployment.action_deploy()
        [run] = deployment.job_ids - runs
        self.assertEqual(run.version_id, deployment.current_version_id)

    def test_refused_when_its_database_was_dropped(self):
        old_db = self.make_deployment(name="rb-old-db", kind="pgo", slug="rb-old-db")
        new_db = self.make_deployment(name="rb-new-db", kind="pgo", slug="rb-new-db")
        app = self.make_deployment(name="rb-db-app", kind="odoo", slug="rb-db-app", database_id=old_db.id)
        on_old = app.current_version_id
        app.database_id = new_db
        for action in ("action_initialize", "action_drop"):
            getattr(old_db, action)()
            self.run_queue()
        self.assertEqual(old_db.state, "drop")
        refusal = app._rollback_refusals(on_old)[on_old]
        self.assertEqual(refusal, f"v{on_old.number} cannot run anymore: its database rb-old-db was dropped.")
        with self.assertRaisesRegex(UserError, "its database rb-old-db was dropped"):
            app.with_user(self.user).action_rollback(on_old.id, "back to the old database")
        self.assertEqual(app.database_id, new_db)

    def test_viewers_of_the_backend_cannot_roll_back(self):
        deployment = self.make_deployment(name="rb-ro", kind="none", slug="rb-ro", image="nginx:1.27")
        first = deployment.current_version_id
        deployment.image = "nginx:1.28"
        with self.assertRaises(AccessError):
            deployment.with_user(self.internal).action_rollback(first.id, "not allowed")

    def test_the_wizard_says_why_not_and_rolls_back(self):
        deployment = self.make_deployment(name="rb-wiz", kind="none", slug="rb-wiz", image="nginx:1.27")
        first = deployment.current_version_id
        Wizard = self.env["eyrie.deployment.rollback"].with_user(self.user)
        self.assertRegex(Wizard.create({"version_id": first.id, "reason": "x"}).refusal, "is the current version")
        deployment.image = "nginx:1.28"
        wizard = Wizard.create({"version_id": first.id, "reason": "1.28 is broken"})
        self.assertFalse(wizard.refusal)
        wizard.action_rollback()
        self.assertEqual(deployment.image, "nginx:1.27")
        self.assertEqual(deployment.current_version_id.number, 3)

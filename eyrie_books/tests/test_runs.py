from odoo.exceptions import AccessError, UserError, ValidationError

from .common import BooksCase

ACTIONS = ("action_initialize", "action_deploy", "action_pause", "action_deploy", "action_drop")


class TestRuns(BooksCase):
    def test_every_action_of_every_type_on_a_dry_run_cluster(self):
        for kind in ("odoo", "pgo", "pxc", "none"):
            with self.subTest(kind=kind):
                deployment = self.make_deployment(name=f"all-{kind}", kind=kind)
                for method in ACTIONS:
                    getattr(deployment, method)()
                    self.assertEqual((deployment.running_job_count, deployment.run_state), (1, "queued"))
                    self.run_queue()
                    self.assertEqual((deployment.running_job_count, deployment.run_state), (0, "done"))
                self.assertEqual(len(deployment.job_ids), len(ACTIONS))
                self.assertEqual(deployment.state, "drop")
                for job in deployment.job_ids:
                    self.assertEqual(job.state, "done", f"{job.display_name}: {job.error}")
                    self.assertTrue(job.dry_run)
                    self.assertEqual(job.step_ids.mapped("name"), job.book_id.step_ids.mapped("name"))
                    self.assertEqual(set(job.step_ids.mapped("attempt")), {1})

    def test_database_types_and_workers_run_with_their_defaults(self):
        """The fields' defaults run: operator release and images for pxc, PostgreSQL major for pgo,
        a port-less generic app as a worker; long names fit the operators' limits."""
        for kind, vals in (("pxc", {"image": False}), ("pgo", {"image": False}), ("none", {"port": 0})):
            with self.subTest(kind=kind):
                deployment = self.make_deployment(
                    name=f"bare {kind} deployment with a rather long name", kind=kind, **vals)
                for method in ACTIONS:
                    getattr(deployment, method)()
                    self.run_queue()
                for action in ("init", "deploy", "pause", "drop"):
                    self.assertRunDone(deployment, action)

    def test_dry_run_logs_what_it_would_send(self):
        deployment = self.make_deployment(name="logged", kind="none")
        deployment.action_initialize()
        self.run_queue()
        steps = deployment.job_ids.step_ids
        create_namespace, secrets = (steps.filtered(lambda step, k=kind: step.kind == k)
                                     for kind in ("create_namespace", "ensure_secrets"))
        self.assertIn("Namespace ey-tp-none-group-logged: created", create_namespace.log)
        self.assertIn("dry run, would send: POST /api/v1/namespaces", create_namespace.log)
        self.assertIn("Nothing to apply", secrets.log)

    def test_short_names_fit_every_object_they_name(self):
        """Object names are the short name plus a suffix (-filestore…) and a Service's starts with a
        letter: names that would break either are made to fit, typed ones refused."""
        for name in ("2024 Shop", "a very long name " * 5):
            with self.subTest(name=name):
                deployment = self.make_deployment(name=name, kind="odoo")
                self.assertRegex(deployment.slug, r"^[a-z][-a-z0-9]{0,52}$")
                deployment.action_initialize()
                self.run_queue()
                self.assertRunDone(deployment, "init")
        deployment = self.make_deployment(name="typed", kind="odoo")
        for slug, reason in (("9lives", "must start with a letter"), ("x" * 54, "longer than 53")):
            with self.assertRaisesRegex(ValidationError, reason):
                deployment.slug = slug
        self.assertEqual(deployment.slug, "typed")

    def test_one_run_at_a_time(self):
        deployment = self.make_deployment(name="busy", kind="pgo")
        deployment.action_initialize()
        with self.assertRaisesRegex(UserError, "already has a run in progress"):
            deployment.action_deploy()
        self.assertEqual((deployment.state, len(deployment.job_ids)), ("initialize", 1))
        self.run_queue()
        deployment.action_deploy()
        self.assertEqual(len(deployment.job_ids), 2)

    def test_a_run_per_cluster(self):
        clusters = self.cluster | self.cluster2
        deployment = self.make_deployment(name="twice", kind="none", cluster_ids=[(6, 0, clusters.ids)])
        deployment.action_initialize()
        self.assertEqual(deployment.job_ids.cluster_id, clusters)
        self.assertEqual(deployment.running_job_count, 2)
        self.run_queue()
        self.assertRunDone(deployment, "init")

    def failed_init(self, name):
        """An Initialize run that fails for good at its first step: its pinned version lost its
        database after it was queued (as when that database is deleted: the version's link is set
        null), which the check before moving could not see."""
        deployment = self.make_deployment(name=name, kind="odoo")
        deployment.action_initialize()
        deployment.job_ids.version_id.sudo().database_id = False
        self.run_queue()
        return deployment, deployment.job_ids

    def test_permanent_failure_then_resume(self):
        deployment, job = self.failed_init("nodb")
        self.assertEqual((job.state, deployment.run_state, deployment.state), ("failed", "failed", "initialize"))
        failed = job.failed_step_id
        self.assertEqual(failed.name, "Create namespace")  # the spec is checked by the first step
        self.assertIn("odoo needs db_secret", failed.error)
        self.assertIn("odoo needs db_secret", deployment.run_error)
        self.assertEqual(job.step_ids.mapped("state"), ["failed"] + ["pending"] * (len(job.step_ids) - 1))
        # The fix is a new version, for the next run: resuming re-runs the version this run pinned.
        deployment.db_name = "fixed"
        pinned = job.version_id
        self.assertNotEqual(pinned, deployment.current_version_id)
        job.action_resume()
        self.assertEqual((job.state, failed.state, failed.error), ("queued", "queued", False))
        self.run_queue()
        self.assertEqual((job.state, failed.state, failed.attempt), ("failed", "failed", 2))
        self.assertIn("odoo needs db_secret", failed.error)
        self.assertEqual(job.version_id, pinned)
        # Cancelled, the failed Initialize takes the deployment back to Draft; a new one applies the fix.
        deployment.action_cancel()
        self.assertEqual((job.state, deployment.state), ("cancelled", "draft"))
        self.assertIn("back in Draft", deployment.message_ids[0].body)
        deployment.action_initialize()
        self.run_queue()
        done = deployment.job_ids[0]
        self.assertEqual((done.state, done.version_id), ("done", deployment.current_version_id))
        with self.assertRaisesRegex(UserError, "Only a failed run"):
            job.action_resume()

    def test_a_failed_run_blocks_the_next_move(self):
        deployment, failed = self.failed_init("blocked")
        deployment.db_name = "fixed"
        refused = "failed at the step “Create namespace”: resume it .* retry it .* cancel it"
        with self.assertRaisesRegex(UserError, refused):
            deployment.action_deploy()
        self.assertEqual((deployment.state, failed.state, len(deployment.job_ids)), ("initialize", "failed", 1))
        actions = {action["action"]: action for action in deployment.get_available_actions()[0]["actions"]}
        self.assertEqual({key for key, action in actions.items() if action["available"]},
                         {"resume", "retry", "cancel", "drop"})
        self.assertIn("Create namespace", actions["deploy"]["reason"])
        self.assertIn("Create namespace", deployment.blocked_reason)
        # Drop stays possible (it is how users clean up), and supersedes the failed run.
        deployment.action_drop()
        self.assertEqual((failed.state, deployment.state), ("cancelled", "drop"))
        self.run_queue()
        self.assertRunDone(deployment, "drop")

    def test_retry_runs_the_book_again_with_the_same_version(self):
        deployment = self.make_deployment(name="again", kind="none")
        deployment.action_initialize()
        self.run_queue()
        deployment.action_deploy()
        # The second step fails once (a permanent error from the cluster, e.g. a quota).
        steps = self.run_queue(count=1)
        job = steps.job_id
        job.step_ids[1].write({"state": "failed", "error": "quota exceeded"})
        job._fail()
        self.assertEqual(deployment.run_state, "failed")
        deployment.image = "ghcr.io/acme/shop:2.0"  # a new version, for the next run
        deployment.action_retry()
        self.assertEqual(job.step_ids.mapped("state")[:2], ["queued", "pending"])
        self.run_queue()
        self.assertRunDone(deployment, "deploy")
        self.assertEqual(job.step_ids[0].attempt, 2)  # from the first step
        self.assertEqual(job.version_id.image, "ghcr.io/acme/shop:1.0")
        self.assertTrue(deployment.pending_changes)
        self.assertEqual(deployment.live_job_ids, job)
        deployment.action_deploy()
        self.run_queue()
        self.assertFalse(deployment.pending_changes)
        self.assertEqual(deployment.live_job_ids.version_id, deployment.current_version_id)
        self.assertEqual(deployment.current_version_id.job_ids, deployment.job_ids[0])

    def test_cancel_returns_to_the_state_before_the_move(self):
        deployment = self.make_deployment(name="undone", kind="none")
        deployment.action_initialize()
        self.run_queue()
        deployment.action_deploy()
        self.run_queue()
        deployment.action_pause()
        self.run_queue()
        deployment.action_deploy()  # from Pause
        deployment.action_cancel()
        self.assertEqual(deployment.state, "pause")
        self.assertIn("back in Pause", deployment.message_ids[0].body)
        # A Pause has no way back: cancelled, the deployment stays paused, and says so.
        deployment.action_deploy()
        self.run_queue()
        deployment.action_pause()
        deployment.action_cancel()
        self.assertEqual(deployment.state, "pause")
        self.assertIn("stays in Pause", deployment.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "no run to cancel"):
            deployment.action_cancel()

    def test_cancel(self):
        deployment = self.make_deployment(name="stopped", kind="none")
        deployment.action_initialize()
        self.run_queue(count=1)
        job = deployment.job_ids
        later = len(job.step_ids) - 2  # the steps after the queued one
        self.assertEqual(job.step_ids.mapped("state"), ["done", "queued", *["pending"] * later])
        queued = job.step_ids[1].queue_job_id
        job.action_cancel()
        self.assertEqual((job.state, deployment.run_state), ("cancelled", "cancelled"))
        self.assertEqual(job.step_ids.mapped("state"), ["done", "cancelled", *["cancelled"] * later])
        self.assertEqual(queued.state, "cancelled")
        self.assertFalse(self.run_queue())
        with self.assertRaisesRegex(UserError, "already ended"):
            job.action_cancel()
        # The Initialize did not finish: the deployment is back in Draft, and can start again.
        self.assertEqual(deployment.state, "draft")
        deployment.action_initialize()
        self.assertEqual(deployment.running_job_count, 1)

    def test_users_read_runs_and_act_through_buttons(self):
        deployment = self.make_deployment(name="mine", kind="none")
        deployment.with_user(self.user).action_initialize()
        job = deployment.job_ids.with_user(self.user)
        self.assertEqual(job.user_id, self.user)
        self.assertEqual(job.step_ids.mapped("state"), ["queued", *["pending"] * (len(job.step_ids) - 1)])
        with self.assertRaises(AccessError):
            job.write({"state": "done"})
        with self.assertRaises(AccessError):
            job.step_ids[0].write({"state": "done"})
        job.action_cancel()
        self.assertEqual(job.state, "cancelled")

    def test_no_book_no_run(self):
        deployment = self.make_deployment(name="bookless", kind="none")
        self.groups["none"].deployment_init_book_id = False
        deployment.action_initialize()
        self.assertEqual((deployment.state, deployment.job_ids), ("initialize", self.env["eyrie.job"]))
        self.assertIn("No book is set", deployment.message_ids[0].body)

    def test_new_groups_get_the_default_books(self):
        group = self.env["eyrie.deployment.group"].create({"name": "new", "project_id": self.project.id, "type": "pxc"})
        self.assertEqual(group.deployment_init_book_id, self.env.ref("eyrie_books.book_pxc_init"))
        self.assertEqual(group.deployment_drop_book_id, self.env.ref("eyrie_books.book_pxc_drop"))

    def test_versioned_fields_are_declared_once_and_kept_by_versions(self):
        """A field declared ``versioned=True`` makes versions, a version keeps it, a run applies it."""
        deployments, versions = self.env["eyrie.deployment"], self.env["eyrie.deployment.version"]
        versioned = deployments._versioned_fields()
        self.assertLessEqual({"image", "cluster_ids", "replicas", "port", "storage_size", "workers", "source_path"},
                             set(versioned))
        for name in versioned:
            self.assertEqual(versions._fields[name].type, deployments._fields[name].type, name)
        deployment = self.make_deployment(name="scaled", kind="none")
        first = deployment.current_version_id
        deployment.replicas = 3
        self.assertEqual((deployment.current_version_id.number, deployment.current_version_id.replicas), (2, 3))
        self.assertIn("Replicas: 1 → 3", deployment.current_version_id.changes)
        self.assertEqual(deployment._k8s_spec(self.cluster, first).replicas, 1)
        self.assertEqual(deployment._k8s_spec(self.cluster).replicas, 3)

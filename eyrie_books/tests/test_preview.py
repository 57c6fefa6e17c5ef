"""Preview before apply, on kmock (an API server storing objects as a real one does) and on a dry-run
cluster: create, change (with a field-level diff), unchanged and delete, and never a write sent.
An unchanged re-deploy sends no write either, for every type."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form

from odoo.addons.eyrie_books.k8s import builders
from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, free_port

from .common import BooksCase

FORBIDDEN = {"kind": "Status", "reason": "Forbidden", "message": "deployments is forbidden", "code": 403}


class TestPreview(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kmock = cls.kmock_cluster("kmock", "kmock", namespace_prefix="p-")
        cls.env["eyrie.book.step"].search([]).timeout = 5


    def run_action(self, deployment, method, action):
        getattr(deployment, method)()
        self.run_queue(before=self.make_ready)
        self.assertRunDone(deployment, action)

    def preview(self, deployment, action):
        """The preview, checking that it sent nothing but reads."""
        writes = len(self.mock.writes())
        result = deployment.preview_action(action)
        self.assertEqual(self.mock.writes()[writes:], [], "a preview sends no write")
        return result

    def objects(self, cluster_result):
        return {(obj["kind"], obj["name"]): obj for obj in cluster_result["objects"]}

    def test_create_change_unchanged_and_delete(self):
        deployment = self.make_deployment(name="p-app", kind="none", image="nginx:1.27",
                                          cluster_ids=[(6, 0, self.kmock.ids)])
        spec = deployment._k8s_spec(self.kmock)

        [first] = self.preview(deployment, "initialize")["clusters"]
        self.assertFalse(first["error"])
        self.assertEqual({obj["action"] for obj in first["objects"]}, {"create"})
        self.assertIn(("Namespace", spec.namespace), self.objects(first))

        self.run_action(deployment, "action_initialize", "init")
        self.run_action(deployment, "action_deploy", "deploy")
        [same] = self.preview(deployment, "redeploy")["clusters"]
        self.assertEqual({obj["action"] for obj in same["objects"]}, {"unchanged"}, same["objects"])
        self.assertEqual(same["counts"]["unchanged"], len(same["objects"]))

        deployment.write({"image": "nginx:1.28"})
        [changed] = self.preview(deployment, "redeploy")["clusters"]
        workload = self.objects(changed)["Deployment", spec.name]
        self.assertEqual(workload["action"], "change")
        lines = {line["path"]: line for line in workload["changes"]}
        self.assertEqual(
            (lines["spec.template.spec.containers[0].image"]["live"],
             lines["spec.template.spec.containers[0].image"]["desired"]),
            ("nginx:1.27", "nginx:1.28"))
        self.assertEqual(workload["patch"]["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.28")

        [dropped] = self.preview(deployment, "drop")["clusters"]
        deleted = {key for key, obj in self.objects(dropped).items() if obj["action"] == "delete"}
        self.assertLessEqual({("Namespace", spec.namespace), ("Deployment", spec.name)}, deleted)
        self.assertEqual(dropped["counts"]["delete"], len(deleted))

    def test_an_unchanged_redeploy_sends_no_write(self):
        database = self.env["eyrie.deployment"]
        for kind in ("pgo", "pxc", "none", "odoo"):  # Odoo's database is the PostgreSQL one, deployed first
            with self.subTest(kind=kind):
                extra = {"database_id": database.id} if kind == "odoo" else {}
                deployment = self.make_deployment(name=f"p-same-{kind}", kind=kind,
                                                  cluster_ids=[(6, 0, self.kmock.ids)], **extra)
                database = deployment if kind == "pgo" else database
                self.run_action(deployment, "action_initialize", "init")
                self.run_action(deployment, "action_deploy", "deploy")
                writes = len(self.mock.writes())
                deployment.action_deploy()  # re-deploy, nothing edited
                self.run_queue(before=self.make_ready)
                redeploys = deployment.job_ids.filtered(lambda job: job.action == "deploy")
                self.assertEqual(len(redeploys), 2)
                self.assertEqual(set(redeploys.mapped("state")), {"done"}, redeploys.mapped("error"))
                self.assertEqual(self.mock.writes()[writes:], [], f"{kind}: a re-deploy of what runs writes nothing")

    def test_secret_values_are_never_shown(self):
        deployment = self.make_deployment(name="p-mysql", kind="pxc", cluster_ids=[(6, 0, self.kmock.ids)])
        [cluster] = self.preview(deployment, "initialize")["clusters"]
        secrets = [obj for obj in cluster["objects"] if obj["kind"] == "Secret"]
        self.assertTrue(secrets)
        for secret in secrets:
            self.assertEqual(set(secret["patch"]["data"].values()), {"(hidden)"})
        self.run_action(deployment, "action_initialize", "init")
        spec = deployment._k8s_spec(self.kmock)
        stored = self.mock.stored(builders.pxc.users_secret(spec))
        html = self.env["eyrie.deployment.preview"].create({"deployment_id": deployment.id,
                                                           "action": "redeploy"}).result_html
        for value in stored["data"].values():
            self.assertNotIn(value, str(deployment.preview_action("deploy")))
            self.assertNotIn(value, str(html))

    def test_each_cluster_answers_for_itself(self):
        """Unreachable, forbidden, fine: a line each, none blocks the others, nothing raised."""
        unreachable = self.env["eyrie.cluster"].create({
            "name": "Gone", "slug": "gone", "dry_run": False, "auth_method": "token",
            "api_server": f"http://127.0.0.1:{free_port()}", "token": TOKEN,
        })
        deployment = self.make_deployment(name="p-three", kind="none",
                                          cluster_ids=[(6, 0, (self.kmock | unreachable | self.cluster).ids)])
        spec = deployment._k8s_spec(self.kmock)
        path = f"/apis/apps/v1/namespaces/{spec.namespace}/deployments/{spec.name}"
        self.mock.refuse("GET", path, 403, FORBIDDEN)
        by_name = {result["cluster"]: result for result in self.preview(deployment, "deploy")["clusters"]}
        self.assertRegex(by_name["Gone"]["error"], r"^Gone: cannot read the cluster: .+")
        self.assertRegex(by_name["kmock"]["error"], r"403")
        self.assertFalse(by_name["Test cluster"]["error"])
        self.assertTrue(by_name["Test cluster"]["dry_run"])
        self.assertEqual({obj["action"] for obj in by_name["Test cluster"]["objects"]}, {"create"})
        html = self.env["eyrie.deployment.preview"].create({
            "deployment_id": deployment.id, "action": "deploy"}).result_html
        self.assertIn("Gone: cannot read the cluster", str(html))
        self.assertNotIn("Traceback", str(html))

    def test_a_dry_run_cluster_compares_with_what_its_runs_sent(self):
        deployment = self.make_deployment(name="p-dry", kind="none", image="nginx:1.27")
        self.run_action(deployment, "action_initialize", "init")
        self.run_action(deployment, "action_deploy", "deploy")
        [same] = deployment.preview_action("redeploy")["clusters"]
        self.assertEqual({obj["action"] for obj in same["objects"]}, {"unchanged"}, same["objects"])
        deployment.write({"image": "nginx:1.28"})
        [changed] = deployment.preview_action("redeploy")["clusters"]
        self.assertEqual(self.objects(changed)["Deployment", deployment.slug]["action"], "change")
        self.run_action(deployment, "action_drop", "drop")
        [gone] = deployment.preview_action("deploy")["clusters"]
        self.assertEqual({obj["action"] for obj in gone["objects"]}, {"create"}, "after a drop, nothing is left")

    def test_refusals(self):
        deployment = self.make_deployment(name="p-refused", kind="none")
        with self.assertRaisesRegex(UserError, "not an action"):
            deployment.preview_action("explode")
        with self.assertRaises(AccessError):
            deployment.with_user(self.internal).preview_action("deploy")
        self.assertTrue(deployment.with_user(self.user).preview_action("deploy")["clusters"])

    def test_the_dialog_previews_the_chosen_action(self):
        deployment = self.make_deployment(name="p-dialog", kind="none", image="nginx:1.27")
        self.run_action(deployment, "action_initialize", "init")
        self.run_action(deployment, "action_deploy", "deploy")
        dialog = Form(self.env["eyrie.deployment.preview"].with_user(self.user).with_context(
            default_deployment_id=deployment.id))
        self.assertEqual(dialog.action, "redeploy")  # what a deployed deployment would do next
        self.assertIn('data-action="unchanged"', str(dialog.result_html))
        self.assertNotIn('data-action="create"', str(dialog.result_html))
        dialog.action = "drop"
        self.assertIn('data-action="delete"', str(dialog.result_html))
        self.assertIn("Test cluster", str(dialog.result_html))

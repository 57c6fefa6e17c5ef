from lxml import html

from odoo.tests import tagged

from .common import EyriePortalCase


@tagged("post_install", "-at_install")
class TestPortalRollback(EyriePortalCase):
    APP = "/_eyrie/p/pa/dg/tools/d/app"

    def setUp(self):
        super().setUp()
        self.app = self.make_deployment(self.tools, "App", slug="app", port=8080)
        self.app.action_initialize()
        self.app.action_deploy()
        self.first = self.app.current_version_id
        self.app.image = "ghcr.io/acme/web:2.0"
        self.second = self.app.current_version_id

    def rollback(self, version, reason):
        return self.post(f"{self.APP}/rollback/{version.id}", {"reason": reason})

    def test_operators_roll_back_with_a_reason(self):
        for login in ("ey_operator", "ey_user"):
            with self.subTest(login=login):
                self.login(login)
                self.assertPage(self.get(self.APP), f"Roll back to v{self.first.number}")
                response = self.rollback(self.first, "2.0 does not start")
                self.assertRedirect(response, f"{self.APP}?done=rollback")
                version = self.app.current_version_id
                user = self.env["res.users"].search([("login", "=", login)])
                self.assertEqual(version.author_id, user)
                self.assertEqual(self.app.image, "ghcr.io/acme/web:1.0")
                summary = f"Rollback to v{self.first.number}: 2.0 does not start"
                self.assertEqual(version.changes.splitlines()[0], summary)
                self.assertPage(self.get(f"{self.APP}?done=rollback"), "Rolled back", "2.0 does not start")
                self.app.write({"image": "ghcr.io/acme/web:2.0"})  # for the next login

    def test_one_dialog_serves_every_version(self):
        """A page of versions renders one roll back dialog, which each version's button fills:
        its URL and its name, no dialog per version."""
        self.login("ey_operator")
        self.app.image = "ghcr.io/acme/web:3.0"
        page = html.fromstring(self.get(self.APP).text)
        buttons = page.xpath("//section[@id='eyrie_versions']//button[@data-url]")
        self.assertEqual(
            [(button.get("data-url"), button.get("data-version"), button.get("data-bs-target")) for button in buttons],
            [(f"{self.APP}/rollback/{version.id}", version.display_name, "#eyrie_rollback")
             for version in (self.second, self.first)],
        )
        dialogs = page.xpath("//div[contains(@class, 'modal')]//form[contains(@class, 'o_eyrie_rollback_form')]")
        self.assertEqual(len(dialogs), 1)
        self.assertEqual(dialogs[0].xpath(".//textarea[@name='reason']/@required"), ["required"])
        # A deployment with one version has nothing to roll back to: no dialog.
        self.make_deployment(self.tools, "Solo", slug="solo", port=8080)
        self.assertFalse(html.fromstring(self.get("/_eyrie/p/pa/dg/tools/d/solo").text).xpath("//*[@id='eyrie_rollback']"))

    def test_the_dialog_asks_whether_a_version_can_be_rolled_back_to(self):
        """The page does not look at each version: its dialog asks, for the version it opens on."""
        self.login("ey_operator")

        def refusal(version_id):
            response = self.get(f"{self.APP}/rollback/{version_id}")
            self.assertEqual(response.status_code, 200, response.text)
            return response.json()["refusal"]

        self.assertIs(refusal(self.first.id), False)
        self.assertEqual(refusal(self.second.id), f"v{self.second.number} is the current version of App.")
        other = self.deployment.current_version_id
        self.assertEqual(refusal(other.id), f"v{other.number} is not a version of App.")
        self.app.image = "ghcr.io/acme/web:1.0"  # v3, which runs what v1 runs
        self.assertEqual(refusal(self.first.id), f"v{self.first.number} runs what the current version "
                                                 f"v{self.app.current_version_id.number} runs: re-deploy instead.")
        missing = max(self.env["eyrie.deployment.version"].search([]).ids) + 1
        for version_id in (missing, 2**40):
            self.assertEqual(self.get(f"{self.APP}/rollback/{version_id}").status_code, 404)
        self.login("ey_viewer")
        self.assertEqual(self.get(f"{self.APP}/rollback/{self.first.id}").status_code, 403)

    def test_a_dropped_deployment_says_why_on_every_button(self):
        self.app.action_drop()
        self.assertEqual(self.app.state, "drop")
        self.login("ey_operator")
        page = html.fromstring(self.get(self.APP).text)
        buttons = page.xpath("//section[@id='eyrie_versions']//button[contains(@class, 'o_eyrie_rollback_disabled')]")
        refusal = "App is in Drop: it has nothing to roll back."
        self.assertEqual([(button.get("name"), button.get("disabled"), button.get("title")) for button in buttons],
                         [(f"rollback_{self.first.number}", "disabled", refusal)])
        self.assertFalse(page.xpath("//*[@id='eyrie_rollback']"))

    def test_refusals_show_on_the_page(self):
        self.login("ey_operator")
        response = self.rollback(self.first, " ")
        self.assertEqual(response.status_code, 422)
        self.assertIn("a reason is required", response.text)
        self.assertEqual(self.app.current_version_id, self.second)
        other = self.deployment.current_version_id
        response = self.rollback(other, "not its version")
        self.assertEqual(response.status_code, 422)
        self.assertIn("is not a version of App", response.text)
        self.assertEqual(self.post(f"{self.APP}/rollback/{2**40}", {"reason": "x"}).status_code, 404)

    def test_viewers_cannot_roll_back(self):
        self.login("ey_viewer")
        self.assertNotIn("Roll back to", self.get(self.APP).text)
        self.assertEqual(self.rollback(self.first, "viewer").status_code, 403)
        self.assertEqual(self.app.current_version_id, self.second)

import re

from odoo.tests import tagged

from .common import EyriePortalCase

# Who may read project A's pages, and who may operate there.
READERS = ("ey_viewer", "ey_operator", "ey_user", "ey_manager")
OPERATORS = ("ey_operator", "ey_user", "ey_manager")
STRANGERS = ("ey_other", "ey_internal")


@tagged("post_install", "-at_install")
class TestPortalPages(EyriePortalCase):
    def test_anonymous_visitors_are_sent_to_login(self):
        self.login(None)
        for url in ("/_eyrie", "/_eyrie/page/2", self.PROJECT, self.GROUP, self.DEPLOYMENT,
                    f"{self.DEPLOYMENT}/page/2", "/_eyrie/p/nope"):
            with self.subTest(url=url):
                self.assertToLogin(self.get(url))

    def test_project_list_shows_what_each_user_may_see(self):
        expected = {
            "ey_viewer": ({"Project A"}, {"Project B"}),
            "ey_operator": ({"Project A"}, {"Project B"}),
            "ey_other": ({"Project B"}, {"Project A"}),
            "ey_internal": (set(), {"Project A", "Project B"}),
            "ey_user": ({"Project A", "Project B"}, set()),
            "ey_manager": ({"Project A", "Project B"}, set()),
        }
        for login, (shown, hidden) in expected.items():
            with self.subTest(login=login):
                self.login(login)
                response = self.get("/_eyrie")
                self.assertPage(response, *shown)
                for name in hidden:
                    self.assertNotIn(name, response.text)
                if not shown:
                    self.assertIn("You are not a member of any Eyrie project yet.", response.text)

    def test_project_page(self):
        for login in READERS:
            with self.subTest(login=login):
                self.login(login)
                self.assertPage(self.get(self.PROJECT), "Group A", "Tools A", f'href="{self.GROUP}"')
        for login in STRANGERS:
            with self.subTest(login=login):
                self.login(login)
                self.assertEqual(self.get(self.PROJECT).status_code, 404)

    def test_group_page_shows_cards_and_the_form_to_operators(self):
        for login in READERS:
            with self.subTest(login=login):
                self.login(login)
                response = self.get(self.GROUP)
                self.assertPage(
                    response, "Web", "Live", "ghcr.io/acme/web:1.0", "Dev (portal test)", "o_tag_color_10",
                )
                # The run badge is there for live updates, empty: these groups run no book.
                self.assertRegex(
                    response.text, rf'<span class="o_eyrie_run_badge[^"]*" data-deployment-id="{self.deployment.id}"',
                )
                self.assertNotIn("o_eyrie_running", response.text)
                self.assertNotIn("Web B", response.text)
                self.assertEqual("New Deployment" in response.text, login in OPERATORS)
        for login in STRANGERS:
            with self.subTest(login=login):
                self.login(login)
                self.assertEqual(self.get(self.GROUP).status_code, 404)

    def test_new_deployment_form_offers_portal_members_only_what_the_project_uses(self):
        self.login("ey_operator")
        response = self.get(self.GROUP)
        self.assertPage(response, "Cluster A", "repo-a", "Prod (portal test)")
        self.assertNotIn("Cluster X", response.text)
        self.assertNotIn("repo-x", response.text)
        self.login("ey_user")
        self.assertPage(self.get(self.GROUP), "Cluster A", "Cluster X", "repo-a", "repo-x")

    def test_deployment_page(self):
        version = self.deployment.current_version_id
        runs_hook = rf'<section id="eyrie_runs"[^>]* data-deployment-id="{self.deployment.id}"'
        for login in READERS:
            with self.subTest(login=login):
                self.login(login)
                response = self.get(self.DEPLOYMENT)
                self.assertPage(
                    response, "Web", "Draft", "Cluster A", "repo-a", "ghcr.io/acme/web:1.0", "First version",
                    "No runs yet.", version.author_id.name,
                )
                self.assertRegex(response.text, runs_hook)
                operating = login in OPERATORS
                self.assertEqual(f'action="{self.DEPLOYMENT}/initialize"' in response.text, operating)
                # The edit form is offered, loaded when asked for: operators only.
                self.assertEqual(f'data-url="{self.DEPLOYMENT}/edit"' in response.text, operating)
                self.assertNotIn("o_eyrie_edit_form", response.text)
                self.assertNotIn(f'action="{self.DEPLOYMENT}/deploy"', response.text)
                form = self.get(f"{self.DEPLOYMENT}/edit")
                if operating:
                    self.assertPage(form, f'action="{self.DEPLOYMENT}/edit"', 'value="ghcr.io/acme/web:1.0"')
                else:
                    self.assertEqual(form.status_code, 403)
        for login in STRANGERS:
            with self.subTest(login=login):
                self.login(login)
                self.assertEqual(self.get(self.DEPLOYMENT).status_code, 404)
                self.assertEqual(self.get(f"{self.DEPLOYMENT}/edit").status_code, 404)

    def test_action_buttons_follow_the_lifecycle_and_the_scope(self):
        self.login("ey_operator")
        response = self.get(self.LIVE)  # deployed, in a scope that forbids dropping
        self.assertPage(response, "Re-deploy", f'action="{self.LIVE}/redeploy"', f'action="{self.LIVE}/pause"')
        self.assertNotIn("eyrie_drop_confirm", response.text)
        self.assertNotIn(f'action="{self.LIVE}/initialize"', response.text)
        response = self.get(self.DEPLOYMENT)  # draft, droppable: Drop asks first
        self.assertPage(response, 'data-bs-target="#eyrie_drop_confirm"', f'action="{self.DEPLOYMENT}/drop"')

    def test_ids_redirect_to_slugs(self):
        project, group, deployment = self.project.id, self.group.id, self.deployment.id
        self.login("ey_viewer")
        self.assertRedirect(self.get(f"/_eyrie/p/{project}"), self.PROJECT, 302)
        self.assertRedirect(self.get(f"/_eyrie/p/pa/dg/{group}"), self.GROUP, 302)
        self.assertRedirect(self.get(f"/_eyrie/p/{project}/dg/{group}/d/{deployment}"), self.DEPLOYMENT, 302)
        self.assertRedirect(self.get(f"/_eyrie/p/pa/dg/ga/d/{deployment}/page/2"), f"{self.DEPLOYMENT}/page/2", 302)
        # An id of a record the user may not read is not redirected: it does not exist for them.
        self.login("ey_other")
        self.assertEqual(self.get(f"/_eyrie/p/{project}").status_code, 404)

    def test_records_are_looked_up_inside_their_parents(self):
        other_group, other_deployment = self.other_group.id, self.other_deployment.id
        urls = (
            # Another project's group and deployment, by id, under project A's URL.
            f"/_eyrie/p/pa/dg/{other_group}",
            f"/_eyrie/p/pa/dg/ga/d/{other_deployment}",
            f"/_eyrie/p/pa/dg/{other_group}/d/{other_deployment}",
            # Project A's deployment under its sibling group.
            f"/_eyrie/p/pa/dg/tools/d/{self.deployment.id}",
            "/_eyrie/p/pa/dg/tools/d/web",
            # Unknown and impossible names.
            "/_eyrie/p/nope", "/_eyrie/p/pa/dg/nope", "/_eyrie/p/pa/dg/ga/d/nope",
            "/_eyrie/p/0", "/_eyrie/p/pa/dg/ga/d/99999999", "/_eyrie/p/99999999999999999999",
        )
        for login in ("ey_operator", "ey_manager"):
            self.login(login)
            for url in urls:
                with self.subTest(login=login, url=url):
                    self.assertEqual(self.get(url).status_code, 404)
        # The same slugs in project B are project B's records, for whoever may read them.
        self.login("ey_other")
        self.assertPage(self.get("/_eyrie/p/pb/dg/ga/d/web"), "Web B")
        self.login("ey_operator")
        self.assertEqual(self.get("/_eyrie/p/pb/dg/ga/d/web").status_code, 404)

    def test_archived_records_are_gone(self):
        self.deployment.active = False
        self.tools.active = False
        self.login("ey_manager")
        self.assertEqual(self.get(self.DEPLOYMENT).status_code, 404)
        self.assertEqual(self.get("/_eyrie/p/pa/dg/tools").status_code, 404)
        self.assertNotIn("Tools A", self.get(self.PROJECT).text)

    def test_versions_are_listed_newest_first_with_the_current_marked(self):
        self.deployment.image = "ghcr.io/acme/web:1.1"
        self.login("ey_viewer")
        response = self.get(self.DEPLOYMENT)
        self.assertPage(response, "Image: ghcr.io/acme/web:1.0 → ghcr.io/acme/web:1.1")
        self.assertEqual(re.findall(r'<tr class="o_eyrie_version[ \w-]*">\s*<td[^>]*>\s*(v\d+)', response.text),
                         ["v2", "v1"])
        self.assertRegex(response.text, r'o_eyrie_version_current[^>]*>\s*<td[^>]*>\s*v2')

    def test_portal_home_counts_projects(self):
        for login, count in (("ey_viewer", 1), ("ey_other", 1), ("ey_internal", 0)):
            with self.subTest(login=login):
                self.login(login)
                counters = self.make_jsonrpc_request("/my/counters", {"counters": ["eyrie_project_count"]})
                self.assertEqual(counters["eyrie_project_count"], count)
        self.login("ey_manager")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["eyrie_project_count"]})
        self.assertGreaterEqual(counters["eyrie_project_count"], 2)
        self.assertPage(self.get("/my"), 'href="/_eyrie"')

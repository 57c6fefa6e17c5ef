import re

from odoo import Command
from odoo.tests import HttpCase, new_test_user

_CSRF = re.compile(r'csrf_token: "([^"]+)"')
# The groups run no book: these tests are about the pages, and with eyrie_books installed a
# running book would hold further actions back until the queue has run it.
NO_BOOKS = {f"deployment_{action}_book_id": False for action in ("init", "deploy", "pause", "drop")}


class EyriePortalCase(HttpCase):
    """Two projects that reuse each other's slugs (``pa`` and ``pb``, each with a group ``ga``
    holding a deployment ``web``), and one user per role; each user's password is their login."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.viewer = new_test_user(env, "ey_viewer", groups="base.group_portal", name="Vera Viewer")
        cls.operator = new_test_user(env, "ey_operator", groups="base.group_portal", name="Otto Operator")
        cls.other = new_test_user(env, "ey_other", groups="base.group_portal", name="Olga Other")
        cls.internal = new_test_user(env, "ey_internal", groups="base.group_user")
        cls.user = new_test_user(env, "ey_user", groups="eyrie.group_eyrie_user")
        cls.manager = new_test_user(env, "ey_manager", groups="eyrie.group_eyrie_manager")

        cls.production = env["eyrie.scope"].create({"name": "Prod (portal test)", "allow_drop": False, "color": 1})
        cls.dev = env["eyrie.scope"].create({"name": "Dev (portal test)", "allow_drop": True, "color": 10})
        cls.cluster = env["eyrie.cluster"].create({"name": "Cluster A", "slug": "ca"})
        cls.foreign_cluster = env["eyrie.cluster"].create({"name": "Cluster X", "slug": "cx"})
        cls.repository = env["eyrie.repository"].create({"name": "repo-a", "url": "https://git.example.com/a.git"})
        cls.foreign_repository = env["eyrie.repository"].create({
            "name": "repo-x", "url": "https://git.example.com/x.git",
        })

        cls.project = env["eyrie.project"].create({"name": "Project A", "slug": "pa", "member_ids": [
            Command.create({"user_id": cls.viewer.id, "role": "viewer"}),
            Command.create({"user_id": cls.operator.id, "role": "operator"}),
        ]})
        cls.group = env["eyrie.deployment.group"].create({
            "name": "Group A", "slug": "ga", "project_id": cls.project.id, "type": "odoo", **NO_BOOKS,
        })
        cls.tools = env["eyrie.deployment.group"].create({
            "name": "Tools A", "slug": "tools", "project_id": cls.project.id, "type": "none", **NO_BOOKS,
        })
        cls.deployment = cls.make_deployment(cls.group, "Web", slug="web", scope_id=cls.dev.id)
        cls.live = cls.make_deployment(cls.group, "Live", slug="live", scope_id=cls.production.id)
        cls.live.action_initialize()
        cls.live.action_deploy()

        cls.other_project = env["eyrie.project"].create({"name": "Project B", "slug": "pb", "member_ids": [
            Command.create({"user_id": cls.other.id, "role": "operator"}),
        ]})
        cls.other_group = env["eyrie.deployment.group"].create({
            "name": "Group B", "slug": "ga", "project_id": cls.other_project.id, "type": "odoo", **NO_BOOKS,
        })
        cls.other_deployment = cls.make_deployment(
            cls.other_group, "Web B", slug="web", cluster_ids=[Command.set(cls.foreign_cluster.ids)],
            repository_id=cls.foreign_repository.id,
        )

    @classmethod
    def make_deployment(cls, group, name, **vals):
        return cls.env["eyrie.deployment"].create({
            "name": name,
            "group_id": group.id,
            "scope_id": cls.dev.id,
            "cluster_ids": [Command.set(cls.cluster.ids)],
            "repository_id": cls.repository.id,
            "branch": "main",
            "image": "ghcr.io/acme/web:1.0",
            **vals,
        })

    # URLs of the fixtures
    PROJECT = "/_eyrie/p/pa"
    GROUP = "/_eyrie/p/pa/dg/ga"
    DEPLOYMENT = "/_eyrie/p/pa/dg/ga/d/web"
    LIVE = "/_eyrie/p/pa/dg/ga/d/live"

    def login(self, login):
        """Act as ``login`` from now on; None is an anonymous visitor."""
        if login:
            self.authenticate(login, login)
        else:
            self.authenticate(None, None)

    def get(self, url):
        return self.url_open(url, allow_redirects=False)

    def post(self, url, data=None, csrf=True):
        """POST ``data`` with the session's CSRF token (unless ``csrf`` is False or a token)."""
        data = dict(data or {})
        if csrf is True:
            data["csrf_token"] = self.csrf_token()
        elif csrf:
            data["csrf_token"] = csrf
        response = self.url_open(url, data=data, allow_redirects=False, method="POST")
        # The server wrote through the same transaction; forget what this side had read.
        self.env.invalidate_all()
        return response

    def csrf_token(self):
        page = self.url_open("/web/login?redirect=/my", allow_redirects=False)
        if page.status_code != 200:  # logged-in users are sent on
            page = self.url_open("/my")
        return _CSRF.search(page.text).group(1)

    def assertPage(self, response, *texts):
        """A 200 page that shows every one of ``texts``."""
        self.assertEqual(response.status_code, 200, response.url)
        for text in texts:
            if text not in response.text:
                self.fail(f"{text!r} is not on {response.url}")

    def assertRedirect(self, response, location, status=303):
        self.assertEqual(response.status_code, status, response.url)
        self.assertEqual(response.headers["Location"].replace(self.base_url(), ""), location)

    def assertToLogin(self, response):
        self.assertEqual(response.status_code, 303, response.url)
        self.assertRegex(response.headers["Location"], r"/web/login\?redirect=")

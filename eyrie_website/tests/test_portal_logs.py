"""Pod logs on the deployment page, served from kmock: operators read and follow them; viewers
only where their project allows it."""

import json
import threading
import time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.eyrie_books.k8s.tests.kmock_logs import add_pod, print_lines, stop
from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster

from .common import EyriePortalCase

POD = "app-6c8d-x2k4q"


@tagged("post_install", "-at_install")
class TestPortalLogs(EyriePortalCase):
    APP = "/_eyrie/p/pa/dg/tools/d/app"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mock = cls.enterClassContext(RunningCluster()).cluster
        kmock = cls.env["eyrie.cluster"].create({
            "name": "Kmock", "slug": "km", "dry_run": False, "auth_method": "token", "api_server": cls.mock.url,
            "token": TOKEN,
        })
        cls.app = cls.make_deployment(cls.tools, "App", slug="app", port=8080, repository_id=False, branch=False,
                                      cluster_ids=[Command.set((cls.cluster | kmock).ids)])
        cls.app.action_initialize()
        cls.kmock = kmock
        cls.namespace = kmock._namespace_for(cls.app)
        add_pod(cls.mock, cls.namespace, POD, "app", restarts=1)
        print_lines(cls.mock, cls.namespace, POD, "app", "booting", "listening on :8080")
        print_lines(cls.mock, cls.namespace, POD, "app", "panic: no config", previous=True)

    def log_url(self, suffix="", **query):
        params = {"cluster": self.kmock.id, "pod": POD, "container": "app", **query}
        return f"{self.APP}/logs{suffix}?" + "&".join(f"{key}={value}" for key, value in params.items())

    def test_operators_read_the_pods_and_their_logs(self):
        for login in ("ey_operator", "ey_user"):
            with self.subTest(login=login):
                self.login(login)
                self.assertPage(self.get(self.APP), "Pod logs", "Previous container")
                clusters = self.get(f"{self.APP}/pods").json()
                self.assertEqual([c["cluster"] for c in clusters], ["Cluster A", "Kmock"])
                self.assertIn("dry-run cluster", clusters[0]["error"])
                pod = {pod["name"]: pod for pod in clusters[1]["pods"]}[POD]  # the follow test adds another
                self.assertEqual([(c["name"], c["restarts"]) for c in pod["containers"]], [("app", 1)])
                self.assertEqual(self.get(self.log_url(lines=1)).json(), {"text": "listening on :8080\n"})
                self.assertEqual(self.get(self.log_url(previous=1)).json(), {"text": "panic: no config\n"})
                refused = self.get(self.log_url(container="nginx"))
                self.assertEqual(refused.status_code, 422)
                self.assertIn("container nginx is not valid", refused.json()["error"])

    def test_follow_streams_new_lines(self):
        self.login("ey_operator")
        pod = "app-6c8d-follow"
        add_pod(self.mock, self.namespace, pod, "app")
        print_lines(self.mock, self.namespace, pod, "app", "old line")
        response = self.opener.get(self.base_url() + self.log_url("/follow", pod=pod, lines=5), stream=True,
                                   timeout=20)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        lines = response.iter_lines(decode_unicode=True)
        self.assertEqual(next(lines), "old line")
        threading.Timer(0.2, print_lines, (self.mock, self.namespace, pod, "app", "new line")).start()
        self.assertEqual(next(lines), "new line")
        stop(self.mock, self.namespace, pod, "app")
        self.assertEqual(list(lines), [])
        gone = self.get(self.log_url("/follow", pod="app-gone"))
        self.assertEqual(gone.status_code, 422)
        self.assertIn("HTTP 404", json.loads(gone.text)["error"])

    def test_tour_shows_and_follows_a_log(self):
        """In Chromium: show the last lines, the previous container, then follow: a line printed
        once the page follows arrives."""
        pod = "app-6c8d-tour"  # a pod of its own: what it prints stays in this test
        add_pod(self.mock, self.namespace, pod, "app", restarts=1)
        print_lines(self.mock, self.namespace, pod, "app", "booting", "listening on :8080")
        print_lines(self.mock, self.namespace, pod, "app", "panic: no config", previous=True)

        def print_when_followed():
            deadline = time.monotonic() + 60
            while not self.mock.emulator.followers and time.monotonic() < deadline:
                time.sleep(0.05)
            print_lines(self.mock, self.namespace, pod, "app", "GET /live 200")

        printer = threading.Thread(target=print_when_followed, daemon=True)
        printer.start()
        self.start_tour(self.APP, "eyrie_portal_pod_logs", login="ey_operator")
        printer.join()
        # The page stopped following; the server's stream to the API server ends at the next line the
        # container prints, or when it stops (here), or at the follow's time bound.
        stop(self.mock, self.namespace, pod, "app")

    def test_viewers_only_where_the_project_allows(self):
        self.login("ey_viewer")
        self.assertNotIn("Pod logs", self.get(self.APP).text)
        for url in (f"{self.APP}/pods", self.log_url(), self.log_url("/follow")):
            self.assertEqual(self.get(url).status_code, 403, url)
        self.project.portal_viewer_logs = True
        self.assertPage(self.get(self.APP), "Pod logs")
        self.assertEqual(self.get(self.log_url(lines=1)).json(), {"text": "listening on :8080\n"})
        self.login("ey_other")
        self.assertEqual(self.get(f"{self.APP}/pods").status_code, 404)

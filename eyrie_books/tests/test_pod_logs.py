"""Pod logs of a deployment on kmock (which serves log text, see ``k8s/tests/kmock_logs.py``):
the pods of each cluster, the last lines, the previous container after a crash, a bounded follow,
and who may read them."""

import threading

from odoo import Command
from odoo.exceptions import AccessError, UserError

from odoo.addons.eyrie_books.k8s.tests.kmock_logs import add_pod, print_lines, stop

from .common import BooksCase


class TestPodLogs(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kmock = cls.kmock_cluster("kmock logs", "kmock-logs", namespace_prefix="lg-")
        cls.app = cls.make_deployment(
            name="logs-app", kind="none", slug="logs-app", cluster_ids=[Command.set((cls.cluster | cls.kmock).ids)],
        )
        cls.namespace = cls.kmock._namespace_for(cls.app)
        add_pod(cls.mock, cls.namespace, "logs-app-7d9f-abcde", "app", restarts=1, init_containers=("git",))
        print_lines(cls.mock, cls.namespace, "logs-app-7d9f-abcde", "app", *(f"GET /{n} 200" for n in range(1, 301)))
        print_lines(cls.mock, cls.namespace, "logs-app-7d9f-abcde", "app", "Traceback (most recent call last):",
                    "KeyError: 'DATABASE_URL'", previous=True)

    def test_pods_of_each_cluster(self):
        dry, live = self.app.with_user(self.user).get_pods()
        self.assertEqual((dry["cluster"], dry["pods"]), ("Test cluster", []))
        self.assertIn("dry-run cluster", dry["error"])
        self.assertEqual((live["cluster_id"], live["error"]), (self.kmock.id, False))
        pod = live["pods"][0]  # by name: another test's pod may come after it
        self.assertEqual(pod["name"], "logs-app-7d9f-abcde")
        self.assertEqual([(c["name"], c["init"], c["restarts"], c["previous"]) for c in pod["containers"]],
                         [("git", True, 0, False), ("app", False, 1, True)])

    def test_last_lines_and_previous_container(self):
        app = self.app.with_user(self.user)
        text = app.get_pod_log(self.kmock.id, "logs-app-7d9f-abcde", "app", lines=3)
        self.assertEqual(text, "GET /298 200\nGET /299 200\nGET /300 200\n")
        crashed = app.get_pod_log(self.kmock.id, "logs-app-7d9f-abcde", "app", previous=True)
        self.assertEqual(crashed, "Traceback (most recent call last):\nKeyError: 'DATABASE_URL'\n")
        with self.assertRaisesRegex(UserError, "container sidecar is not valid"):
            app.get_pod_log(self.kmock.id, "logs-app-7d9f-abcde", "sidecar")
        with self.assertRaisesRegex(UserError, "dry-run cluster"):
            app.get_pod_log(self.cluster.id, "logs-app-7d9f-abcde", "app")
        with self.assertRaisesRegex(UserError, "does not run on the cluster"):
            app.get_pod_log(self.cluster2.id, "logs-app-7d9f-abcde", "app")

    def test_follow_gets_new_lines(self):
        pod = "logs-app-7d9f-follow"  # a pod of its own: what it prints stays in this test
        add_pod(self.mock, self.namespace, pod, "app")
        print_lines(self.mock, self.namespace, pod, "app", "started", "GET / 200")
        stream = self.app.with_user(self.user)._pod_log_follow(self.kmock.id, pod, "app", lines=1)
        self.assertEqual(next(stream), "GET / 200\n")
        printer = threading.Timer(0.2, print_lines, (self.mock, self.namespace, pod, "app", "GET /new 200"))
        printer.start()
        self.assertEqual(next(stream), "GET /new 200\n")
        stop(self.mock, self.namespace, pod, "app")
        self.assertEqual(list(stream), [])
        with self.assertRaisesRegex(UserError, "HTTP 404"):
            self.app._pod_log_follow(self.kmock.id, "logs-app-gone", "app")

    def test_only_eyrie_users_read_logs(self):
        with self.assertRaises(AccessError):
            self.app.with_user(self.internal).get_pods()
        with self.assertRaises(AccessError):
            self.app.with_user(self.internal).get_pod_log(self.kmock.id, "logs-app-7d9f-abcde", "app")

    def test_the_backend_dialog(self):
        Dialog = self.env["eyrie.pod.log"].with_user(self.user).with_context(default_deployment_id=self.app.id)
        dialog = Dialog.create({"lines": 2})
        self.assertEqual((dialog.cluster_id, dialog.pod, dialog.container),
                         (self.kmock, "logs-app-7d9f-abcde", "app"))
        self.assertIn("logs-app-7d9f-abcde [Running]: git (init), app (1 restarts)", dialog.pods)
        dialog.action_show()
        self.assertEqual(dialog.log, "GET /299 200\nGET /300 200\n")
        dialog.previous = True
        dialog.action_show()
        self.assertIn("KeyError", dialog.log)

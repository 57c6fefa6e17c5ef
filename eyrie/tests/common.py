from contextlib import contextmanager

from odoo.tests import TransactionCase, new_test_user

BOOK_FIELDS = [f"deployment_{action}_book_id" for action in ("init", "deploy", "pause", "drop")]
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: admin
  user: {token: secret-kubeconfig-text}
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
"""


class EyrieCase(TransactionCase):
    """A project with one group per type, two scopes (one droppable), a dry-run cluster, and
    users for each Eyrie group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "eyrie_user", groups="eyrie.group_eyrie_user")
        cls.manager = new_test_user(cls.env, "eyrie_manager", groups="eyrie.group_eyrie_manager")
        cls.internal = new_test_user(cls.env, "eyrie_internal", groups="base.group_user")
        cls.production = cls.env["eyrie.scope"].create({"name": "Prod (test)", "allow_drop": False})
        cls.dev = cls.env["eyrie.scope"].create({"name": "Dev (test)", "allow_drop": True})
        cls.cluster = cls.env["eyrie.cluster"].create({
            "name": "Test cluster", "slug": "test", "dry_run": True, "namespace_prefix": "ey-",
            "kubeconfig": KUBECONFIG,
        })
        cls.cluster2 = cls.env["eyrie.cluster"].create({"name": "Second cluster", "slug": "second"})
        cls.repository = cls.env["eyrie.repository"].create({
            "name": "shop", "url": "https://git.example.com/eyrie-tests/shop.git",
        })
        cls.project = cls.env["eyrie.project"].create({"name": "Test Project", "slug": "tp"})
        # No books: these tests are about the data model and the state machine alone.
        no_books = dict.fromkeys(BOOK_FIELDS, False)
        cls.groups = {
            kind: cls.env["eyrie.deployment.group"].create({
                "name": f"{kind} group", "project_id": cls.project.id, "type": kind, **no_books,
            })
            for kind in ("odoo", "pgo", "pxc", "none")
        }

    @classmethod
    def make_deployment(cls, name="web", kind="odoo", **vals):
        return cls.env["eyrie.deployment"].create({
            "name": name,
            "group_id": cls.groups[kind].id,
            "scope_id": cls.dev.id,
            "cluster_ids": [(6, 0, cls.cluster.ids)],
            "image": "ghcr.io/acme/shop:1.0",
            "branch": "main",
            **vals,
        })

    @contextmanager
    def assertRaisesRegex(self, exception, regex):
        """Odoo's assertRaises rolls the failed operation back (a savepoint); unittest's
        assertRaisesRegex would leave the half-written record in the transaction."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)

from psycopg2.errors import UniqueViolation

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import EyrieCase


class TestValidation(EyrieCase):
    def test_image_references(self):
        deployment = self.make_deployment()
        for image in ("nginx", "nginx:1.27", "localhost:5000/a/b:c", "ghcr.io/acme/shop@sha256:" + "a" * 64):
            deployment.image = image
            self.assertEqual(deployment.image, image)
        for image in ("Nginx", "nginx:", "nginx:-x", "a b", "ghcr.io/acme/shop@sha256:abc", "/nginx"):
            with self.subTest(image=image), self.assertRaisesRegex(ValidationError, "not a container image"):
                deployment.image = image
        self.assertEqual(deployment.current_version_id.image, "ghcr.io/acme/shop@sha256:" + "a" * 64)

    def test_git_refs(self):
        deployment = self.make_deployment()
        for ref in ("main", "release/19.0", "feature/x-y_z", "v1.2.3", "0a1b2c3d"):
            deployment.write({"branch": ref, "commit_ref": ref})
            self.assertEqual(deployment.current_version_id.commit_ref, ref)
        for field, label in (("branch", "Branch"), ("commit_ref", "Commit Ref")):
            deployment = self.make_deployment(name=field)
            for ref in ("a..b", "-x", "a b", "x.lock", "a//b", "a/", "end.", "a@{1}", "@", "~x", "q?"):
                with self.subTest(field=field, ref=ref):
                    with self.assertRaisesRegex(ValidationError, f"not a valid {label}"):
                        deployment[field] = ref

    def test_names_must_give_kubernetes_names(self):
        with self.assertRaisesRegex(ValidationError, "cannot be used as a Kubernetes name: it is empty"):
            self.make_deployment(name="!!!")
        for slug in ("Upper", "-dash", "dash-", "a" * 64, "under_score"):
            with self.subTest(slug=slug), self.assertRaisesRegex(ValidationError, "Kubernetes name"):
                self.make_deployment(name=f"fine {slug}", slug=slug)
        self.assertEqual(self.make_deployment(name="Été Shop 2").slug, "ete-shop-2")

    @mute_logger("odoo.sql_db")
    def test_names_are_unique_per_group(self):
        self.make_deployment(name="web")
        with self.assertRaises(UniqueViolation) as caught, self.env.cr.savepoint():
            self.make_deployment(name="web")
        self.assertEqual(caught.exception.diag.constraint_name, "eyrie_deployment_name_uniq")
        # The same name in another group is fine.
        self.assertTrue(self.make_deployment(name="web", kind="none"))

    def test_cluster_settings(self):
        with self.assertRaisesRegex(ValidationError, "not an API server URL"):
            self.env["eyrie.cluster"].create({"name": "bad", "api_server": "10.0.0.1:6443"})
        with self.assertRaisesRegex(ValidationError, "namespace prefix"):
            self.env["eyrie.cluster"].create({"name": "bad", "namespace_prefix": "Eyrie_"})
        with self.assertRaisesRegex(ValidationError, "needs an API server URL"):
            self.env["eyrie.cluster"].create({"name": "bad", "dry_run": False, "auth_method": "token"})

    def test_repository_url(self):
        for url in ("https://github.com/a/b.git", "git@github.com:a/b.git", "ssh://git@host/a/b"):
            self.env["eyrie.repository"].create({"name": url, "url": url})
        # file://, local paths and ext:: would read the server's disk or run commands.
        for url in ("github.com/a/b", "not a url", "https://", "file:///etc/passwd", "/srv/git/a.git",
                    "ext::sh -c id", "ssh://-oProxyCommand=id/r", "https://u:secret@github.com/a/b.git"):
            with self.subTest(url=url), self.assertRaisesRegex(ValidationError, "not a git clone URL"):
                self.env["eyrie.repository"].create({"name": "bad", "url": url})

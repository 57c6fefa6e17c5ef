"""Arbitrary names, image references and git refs through the ORM.

Whatever is typed, a create or write either stores a value the cluster side can use (a DNS label for
short names and namespaces, a reference a container runtime accepts, a ref git accepts), or is
refused with a clear error and leaves nothing behind: no record after a refused create, the old
values (and no new version) after a refused write.
"""

import re

from hypothesis import given
from hypothesis import strategies as st

from odoo.addons.eyrie.naming import slugify

from .common import EyrieCase
from .fuzzing import (
    FUZZ,
    TEXT,
    attempt,
    git_refs,
    images,
    is_dns_label,
    is_git_ref,
    is_image_reference,
    names,
    rolled_back,
    slugs,
    valid_images,
)

prefixes = st.one_of(
    st.none(), st.from_regex(r"[a-z0-9][-a-z0-9]{0,20}-?", fullmatch=True),
    st.text(st.sampled_from("ab1-_ \n"), max_size=25), st.sampled_from(["ey-\n", "Ey-", "ey", "-", "a" * 20 + "-"]),
)
api_servers = st.one_of(
    st.none(), st.from_regex(r"https?://[a-z0-9.:-]{1,30}(/[a-z]{0,10})?", fullmatch=True),
    st.text(TEXT, max_size=40), st.sampled_from(["https://k8s:6443\n", "https://", "10.0.0.1:6443", "https://a b"]),
)


class TestFuzzNames(EyrieCase):
    def create_named(self, model, name, slug, **vals):
        """Create a record named ``name`` (with ``slug`` unless None); check the property."""
        Model = self.env[model].with_context(active_test=False)
        if slug is not None:
            vals["slug"] = slug
        # Models narrow the rule where their slug names more than one object (deployments: a
        # suffix is added, and Services start with a letter).
        max_length, lead = Model._slug_max_length, Model._slug_lead
        expected = slug if slug is not None else slugify(name, max_length, lead)
        usable = is_dns_label(expected) and len(expected) <= max_length and (not lead or expected[:1].isalpha())
        # Where a short name must be unique: its project (groups), its group (deployments), or everywhere.
        scope = [(key, "=", vals[key]) for key in ("project_id", "group_id") if key in vals]
        taken = bool(expected) and Model.search_count([*scope, ("slug", "=", expected)])
        if model == "eyrie.deployment":  # names are unique in their group too
            taken = taken or Model.search_count([*scope, ("name", "=", name)])
        before = Model.search_count([("name", "=", name)])
        record, error = attempt(self, Model, lambda: Model.create({"name": name, **vals}))
        if error:
            self.assertEqual(Model.search_count([("name", "=", name)]), before, "a refused create left a record")
            # Refused only for a reason: an unusable short name, one already taken, or no name.
            self.assertTrue(not usable or taken or not name, f"{name!r}/{slug!r} refused: {error}")
            return None
        self.assertEqual((record.name, record.slug), (name, expected))
        self.assertTrue(usable, f"stored slug {record.slug!r} cannot name this model's objects")
        return record

    @FUZZ
    @given(name=names, slug=slugs)
    def test_project_names(self, name, slug):
        with rolled_back(self.env):
            self.create_named("eyrie.project", name, slug)

    @FUZZ
    @given(name=names, slug=slugs)
    def test_group_names(self, name, slug):
        with rolled_back(self.env):
            self.create_named("eyrie.deployment.group", name, slug, project_id=self.project.id, type="none")

    @FUZZ
    @given(name=names, slug=slugs)
    def test_deployment_names(self, name, slug):
        with rolled_back(self.env):
            deployment = self.create_named(
                "eyrie.deployment", name, slug, group_id=self.groups["odoo"].id, scope_id=self.dev.id,
                cluster_ids=[(6, 0, self.cluster.ids)],
            )
            if deployment:
                self.assertTrue(is_dns_label(deployment.namespace), deployment.namespace)
                self.assertTrue(is_dns_label(self.cluster._namespace_for(deployment)))
                self.assertEqual(deployment.version_count, 1)

    @FUZZ
    @given(name=names, slug=slugs, prefix=prefixes, api_server=api_servers)
    def test_cluster_settings(self, name, slug, prefix, api_server):
        with rolled_back(self.env):
            vals = {"name": name, "namespace_prefix": prefix or False, "api_server": api_server or False}
            if slug is not None:
                vals["slug"] = slug
            Cluster = self.env["eyrie.cluster"].with_context(active_test=False)
            before = Cluster.search_count([])
            cluster, error = attempt(self, Cluster, lambda: Cluster.create(vals))
            if error:
                self.assertEqual(Cluster.search_count([]), before, "a refused create left a cluster")
                expected = slug if slug is not None else slugify(name)
                self.assertTrue(
                    not name or not is_dns_label(expected) or Cluster.search_count([("slug", "=", expected)])
                    or not re.fullmatch(r"([a-z0-9][-a-z0-9]{0,18}-)?", prefix or "", re.ASCII)
                    or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", api_server or "https://x"),
                    f"refused: {error}",
                )
                return
            self.assertTrue(is_dns_label(cluster.slug))
            self.assertEqual((cluster.namespace_prefix, cluster.api_server), (prefix or False, api_server or False))
            if api_server:
                self.assertRegex(api_server, r"\Ahttps?://[^\s/]+(/\S*)?\Z")
            self.assertRegex(prefix or "", r"\A([a-z0-9][-a-z0-9]{0,18}-)?\Z")
            deployment = self.make_deployment(cluster_ids=[(6, 0, cluster.ids)])
            self.assertTrue(is_dns_label(cluster._namespace_for(deployment)), cluster._namespace_for(deployment))

    @FUZZ
    @given(name=names)
    def test_scope_names(self, name):
        with rolled_back(self.env):
            Scope = self.env["eyrie.scope"].with_context(active_test=False)
            before = Scope.search_count([])
            scope, error = attempt(self, Scope, lambda: Scope.create({"name": name}))
            if error:
                self.assertEqual(Scope.search_count([]), before)
                self.assertFalse(name, f"{name!r} refused: {error}")
            else:
                self.assertEqual(scope.name, name)


class TestFuzzDeploymentFields(EyrieCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deployment = cls.make_deployment(commit_ref="v1.0")

    def write_field(self, field, value):
        """Write ``value``; on refusal, check nothing changed. Returns True if it was stored."""
        deployment = self.deployment
        old = (deployment[field], deployment.version_count, deployment.current_version_id)
        _result, error = attempt(self, deployment, lambda: deployment.write({field: value}))
        if error:
            deployment.invalidate_recordset()
            self.assertEqual((deployment[field], deployment.version_count, deployment.current_version_id), old)
            return False
        self.assertEqual(deployment[field] or False, value or False)
        self.assertEqual(deployment.current_version_id[field] or False, value or False, "the version does not follow")
        self.assertEqual(deployment.version_count, old[1] + ((deployment[field] or False) != (old[0] or False)))
        return True

    @FUZZ
    @given(image=images)
    def test_images(self, image):
        with rolled_back(self.env):
            stored = self.write_field("image", image)
            if image:
                # Never store what a runtime cannot pull…
                self.assertFalse(stored and not is_image_reference(image), f"{image!r} was accepted")

    @FUZZ
    @given(image=valid_images())
    def test_valid_images_are_accepted(self, image):
        # …and take every reference a runtime takes (with an unambiguous registry).
        with rolled_back(self.env):
            self.assertTrue(self.write_field("image", image), f"{image!r} was refused")

    @FUZZ
    @given(field=st.sampled_from(["branch", "commit_ref"]), ref=git_refs)
    def test_git_refs(self, field, ref):
        with rolled_back(self.env):
            stored = self.write_field(field, ref)
            if ref:
                self.assertEqual(stored, is_git_ref(ref), f"{field} {ref!r}: stored={stored}")

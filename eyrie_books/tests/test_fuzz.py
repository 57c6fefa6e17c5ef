"""Arbitrary kubeconfigs, step parameters and deployment fields through the ORM.

A cluster's kubeconfig is stored only if a client can be made from it; otherwise the write is
refused with a ValidationError that does not quote it, and the old kubeconfig stays. Step parameters
are stored only as JSON objects, deployment fields only as their checks allow; and whatever was stored, a dry run of the
steps that read it ends *done* or *failed* with a message, never with a Python exception escaping
the step (which queue_job would record as a traceback).
"""

import json

import yaml
from hypothesis import given
from hypothesis import strategies as st

from odoo import Command

from odoo.addons.eyrie.tests.fuzzing import FUZZ, TEXT, attempt, rolled_back
from odoo.addons.eyrie_books.k8s import InvalidKubeconfig, api_client_from_kubeconfig

from .common import BooksCase

TOKEN = "fuzz-kubeconfig-token-4f9d2c"
PASSWORD = "fuzz-kubeconfig-password-8e1b7a"


def kubeconfig_dict():
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [
            {"name": "u", "user": {"token": TOKEN}},
            {"name": "p", "user": {"username": "x", "password": PASSWORD}},
        ],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
        "current-context": "ctx",
    }


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(TEXT, max_size=20),
    st.sampled_from(["c", "u", "ctx", "https://127.0.0.1:6443", "exec", "token", "2001-02-30"]),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(TEXT, max_size=12), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def broken_kubeconfigs(draw):
    """A valid kubeconfig with one to three parts replaced by something else, or removed."""
    config = kubeconfig_dict()
    for _ in range(draw(st.integers(1, 3))):
        node = config
        while True:
            keys = list(range(len(node))) if isinstance(node, list) else list(node)
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            if isinstance(node[key], dict | list) and draw(st.booleans()):
                node = node[key]
                continue
            if draw(st.booleans()):
                del node[key]
            else:
                node[key] = draw(yaml_values)
            break
    return yaml.safe_dump(config, allow_unicode=draw(st.booleans()))


RAW_KUBECONFIGS = [
    "", "   ", "null", "[]", "- a\n- b", "a: 2001-02-30", "contexts: 5\ncurrent-context: a", "a: &a [*a]",
    "!!python/object/apply:os.system ['true']", "a: !!binary 'not base64!'", "a: 1\n---\nb: 2", "{", "a: b: c",
    "\t", "%YAML 9.9\n---\na: 1", "? [1, 2]\n: x", "<<: 5", "a: !!timestamp 2001-13-45",
    "current-context: [1]\ncontexts: [{name: [1], context: {}}]",
    f"current-context: x\ncontexts: [{{name: x, context: {{cluster: c, user: u}}}}]\n"
    f"clusters: [{{name: c, cluster: {{server: 5}}}}]\nusers: [{{name: u, user: {{token: {TOKEN}}}}}]",
    "[" * 30000 + "]" * 30000,
]
kubeconfigs = st.one_of(
    broken_kubeconfigs(),
    st.sampled_from(RAW_KUBECONFIGS),
    yaml_values.map(lambda value: yaml.safe_dump(value)),
    st.text(TEXT, max_size=200),
    st.builds(lambda: yaml.safe_dump(kubeconfig_dict())),
)

# Step parameters: what the steps read (timeout, poll, replicas, objects) with any JSON value.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(TEXT, max_size=15),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(TEXT, max_size=8), inner, max_size=3),
    max_leaves=10,
)
numbers = st.one_of(st.integers(-5, 10**6), st.floats(-5, 1e6, allow_nan=False), json_values)
manifest_objects = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"kind": st.one_of(st.sampled_from(["ConfigMap", "Secret", "Service", "Namespace", "Pod"]), json_values)},
            optional={"apiVersion": st.sampled_from(["v1", "apps/v1"]) | json_values,
                      "metadata": st.fixed_dictionaries({}, optional={
                          "name": st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True) | json_values,
                          "namespace": json_values, "labels": json_values}) | json_values,
                      "data": json_values},
        ),
        json_values,
    ),
    max_size=3,
) | json_values
parameter_dicts = st.fixed_dictionaries({}, optional={
    "timeout": numbers, "poll": numbers, "replicas": numbers, "objects": manifest_objects,
    "other": json_values,
})
RAW_PARAMETERS = [
    "", "{}", "null", "[]", '"text"', "1", "{", "NaN", '{"timeout": NaN}', '{"timeout": Infinity}',
    '{"timeout": 1e999}', '{"poll": -1}', '{"poll": 0}', '{"timeout": "600"}', '{"timeout": true}',
    '{"replicas": -1}', '{"replicas": 1.5}', '{"a": 1, "a": 2}', "[" * 5000 + "]" * 5000,
    '{"x": ' * 2000 + "1" + "}" * 2000, '{"objects": [{"kind": "ConfigMap"}]}',
]
parameter_texts = st.one_of(
    parameter_dicts.map(json.dumps),
    st.sampled_from(RAW_PARAMETERS),
    json_values.map(json.dumps),
    st.text(TEXT, max_size=60),
)

# Deployment configuration: each type's typed fields, with their usual values or anything else.
FIELD_VALUES = {
    "odoo": {"db_name": "shop", "workers": 2, "odoo_options": "limit_time_cpu = 600", "db_host": "pg",
             "db_port": 5432, "db_user": "odoo"},
    "pgo": {"instances": 1, "backup_size": "1Gi"},
    "pxc": {"pxc_cr_version": "1.19.0", "pxc_size": 3, "haproxy_size": 2, "haproxy_enabled": True,
            "haproxy_image": "percona/haproxy:2.8.5", "pxc_unsafe": False},
    "none": {"env_vars": "LOG_LEVEL=info", "port": 8080},
}
TYPED_VALUE = {int: st.integers(-(2**31), 2**31 - 1), bool: st.booleans(), str: st.text(TEXT, max_size=60)}
field_changes = st.sampled_from(sorted(FIELD_VALUES)).flatmap(lambda kind: st.tuples(
    st.just(kind),
    st.fixed_dictionaries({}, optional={
        name: st.one_of(st.just(value), TYPED_VALUE[type(value)]) for name, value in FIELD_VALUES[kind].items()
    }),
))


class TestFuzzBooks(BooksCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster.sudo().kubeconfig = yaml.safe_dump(kubeconfig_dict())
        cls.deployments = {kind: cls.make_deployment(name=f"fuzz-{kind}", kind=kind) for kind in FIELD_VALUES}
        cls.book = cls.env["eyrie.book"].create({"name": "Fuzz", "type": "none", "action": "deploy", "step_ids": [
            Command.create({"kind": "wait_ready"}),
        ]})

    # ------------------------------------------------------------------
    # Kubeconfigs
    # ------------------------------------------------------------------

    @FUZZ
    @given(text=kubeconfigs)
    def test_kubeconfigs(self, text):
        with rolled_back(self.env):
            cluster = self.cluster.sudo()
            old = cluster.kubeconfig
            _result, error = attempt(self, cluster, lambda: cluster.write({"kubeconfig": text}))
            cluster.invalidate_recordset()
            if error:
                self.assertEqual(cluster.kubeconfig, old, "a refused kubeconfig was stored")
                self.assertIn("kubeconfig", str(error))
                with self.assertRaises(InvalidKubeconfig, msg="a usable kubeconfig was refused"):
                    api_client_from_kubeconfig(text)
                for secret in (TOKEN, PASSWORD):
                    self.assertNotIn(secret, str(error), "the error quotes the kubeconfig")
                return
            self.assertEqual(cluster.kubeconfig or False, text or False)
            if text:
                api_client_from_kubeconfig(text)  # what was accepted can be used

    @FUZZ
    @given(text=kubeconfigs)
    def test_kubeconfig_of_a_new_cluster(self, text):
        with rolled_back(self.env):
            Cluster = self.env["eyrie.cluster"].with_context(active_test=False)
            count = Cluster.search_count([])
            vals = {"name": "fuzzed", "slug": "fuzzed", "kubeconfig": text, "dry_run": False}
            cluster, error = attempt(self, Cluster, lambda: Cluster.create(vals))
            if error:
                self.assertEqual(Cluster.search_count([]), count, "a refused create left a cluster")
                self.assertNotIn(TOKEN, str(error))
                with self.assertRaises(InvalidKubeconfig, msg="a usable kubeconfig was refused"):
                    api_client_from_kubeconfig(text)
            else:
                self.assertEqual(cluster.sudo().kubeconfig or False, text or False)

    # ------------------------------------------------------------------
    # Step parameters
    # ------------------------------------------------------------------

    @FUZZ
    @given(text=parameter_texts, kind=st.sampled_from(["wait_ready", "apply_workload", "apply_manifest",
                                                        "run_init_job", "pause", "create_namespace"]))
    def test_step_parameters(self, text, kind):
        with rolled_back(self.env):
            step = self.book.step_ids
            old = step.parameters
            _result, error = attempt(self, step, lambda: step.write({"parameters": text}))
            step.invalidate_recordset()
            if error:
                self.assertEqual(step.parameters, old, "refused parameters were stored")
                self.assertIn("Step", str(error))
                return
            self.assertEqual(step.parameters or False, text or False)
            self.assertIsInstance(json.loads(text or "{}"), dict)
            # What a book step accepts, a run of it survives.
            deployment = self.deployments["odoo" if kind == "run_init_job" else "none"]
            self.run_step(deployment, kind, text)

    # ------------------------------------------------------------------
    # Deployment configuration
    # ------------------------------------------------------------------

    @FUZZ
    @given(change=field_changes)
    def test_deployment_fields(self, change):
        kind, vals = change
        with rolled_back(self.env):
            deployment = self.deployments[kind]
            old = deployment.read(list(vals))
            _result, error = attempt(self, deployment, lambda: deployment.write(vals))
            deployment.invalidate_recordset()
            if error:
                self.assertEqual(deployment.read(list(vals)), old, "a refused change was stored")
                return
            # Every step reads the fields (through the deployment's spec): each survives them.
            for step_kind in ("ensure_secrets", "apply_workload", "wait_ready", "pause", "resume",
                              "apply_network", "delete_resources"):
                self.run_step(deployment, step_kind, "{}")

    def run_step(self, deployment, kind, parameters):
        """Run one step of ``kind`` for ``deployment`` on the dry-run cluster, as its queue job would.
        An exception the engine does not turn into a failed step fails the test."""
        job = self.env["eyrie.job"].sudo().create({
            "deployment_id": deployment.id, "book_id": self.book.id, "cluster_id": self.cluster.id, "dry_run": True,
            "step_ids": [Command.create({"sequence": 1, "kind": kind, "name": kind, "parameters": parameters,
                                        "timeout": 5, "max_retries": 0})],
        })
        step = job.step_ids
        step._execute()
        self.assertIn(step.state, ("done", "failed"))
        self.assertEqual(job.state, step.state)
        if step.state == "failed":
            self.assertTrue(step.error)
            self.assertNotIn("Traceback", step.error)
        # The run's end reaches the database (and its one-active-run index) before the next one starts.
        self.env.flush_all()
        return step


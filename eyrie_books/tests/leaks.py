"""Looking for secrets where they must not be: what the secrets tests of eyrie_books and
eyrie_website share.

The secrets are distinctive values put where the product keeps credentials (a cluster's kubeconfig
and token, a registry login, a repository's token, a generic app's secret variable) plus the
passwords the builders generate.
:func:`leaks` looks for each, as typed and base64-encoded (Kubernetes Secrets hold base64), in
texts gathered from everywhere a user, a log reader or the chatter could see.
"""

import base64
import contextlib
import dataclasses
import logging
from types import SimpleNamespace
from unittest.mock import patch

from odoo.addons.eyrie_books.k8s import RegistryCredentials
from odoo.addons.eyrie_books.k8s.builders import common

SECRETS = {
    "kubeconfig token": "ey-kubeconfig-token-7f3a91d2e4b8",
    "kubeconfig password": "ey-kubeconfig-password-c0ffee42aa",
    "cluster token": "ey-cluster-token-5b8e2d61aa07",
    "registry password": "ey-registry-password-9d4c7e13f2",
    "repository token": "ey-repository-token-3e9a0c47b1",
    "app secret variable": "ey-app-secret-variable-6c1f0a93d2",
}
REGISTRY = RegistryCredentials("registry.example.com", "ey-robot", SECRETS["registry password"])


def kubeconfig(server="https://127.0.0.1:6443"):
    """A kubeconfig whose current user authenticates with the token; a second user has a password."""
    return f"""apiVersion: v1
kind: Config
clusters:
- name: eyrie
  cluster: {{server: "{server}", insecure-skip-tls-verify: true}}
users:
- name: robot
  user: {{token: {SECRETS["kubeconfig token"]}}}
- name: human
  user: {{username: admin, password: {SECRETS["kubeconfig password"]}}}
contexts:
- name: eyrie
  context: {{cluster: eyrie, user: robot}}
current-context: eyrie
"""


def _b64(text):
    return base64.b64encode(text.encode()).decode()


class Secrets:
    """The secrets of one test, the generated ones included once the builders made them."""

    def __init__(self):
        self.generated = []

    def forms(self):
        """(what, text) for each secret as typed and as base64."""
        named = {**SECRETS, **{f"generated password {i}": value for i, value in enumerate(self.generated)}}
        named["registry login"] = f"{REGISTRY.username}:{REGISTRY.password}"
        for what, value in named.items():
            yield what, value
            yield f"{what} (base64)", _b64(value)

    @contextlib.contextmanager
    def recorded(self, deployment_model):
        """Deployments get the registry login; the passwords the builders generate are recorded.

        The registry login has no field in Odoo yet: the spec of every deployment gets it here, so
        that the pull secret goes through the steps, logs and errors as it will once it has one.
        """
        original_spec = deployment_model._k8s_spec
        token_urlsafe = common.secrets.token_urlsafe

        def spec_with_registry(deployment, cluster, version=None):
            return dataclasses.replace(original_spec(deployment, cluster, version), registry=REGISTRY)

        def generate(length):
            value = token_urlsafe(length)
            self.generated.append(value)
            return value

        with patch.object(deployment_model, "_k8s_spec", spec_with_registry), \
                patch.object(common, "secrets", SimpleNamespace(token_urlsafe=generate)):
            yield self

    def leaks(self, texts):
        """``[(where, what)]`` for each secret found in ``texts`` (``{where: text}``)."""
        return [
            (where, what)
            for where, text in texts.items() if text
            for what, secret in self.forms() if secret in str(text)
        ]


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@contextlib.contextmanager
def captured_logs():
    """Every log record of the block, as formatted lines (tracebacks included). Odoo logs at INFO,
    its queue jobs and the Kubernetes client at DEBUG: more than a server would write."""
    handler = _Capture()
    levels = {"odoo": logging.INFO, "odoo.addons.eyrie_books": logging.DEBUG, "odoo.addons.queue_job": logging.DEBUG,
              "kubernetes": logging.DEBUG, "urllib3": logging.DEBUG}
    loggers = {name: logging.getLogger(name) for name in levels}
    saved = {name: logger.level for name, logger in loggers.items()}
    root = logging.getLogger()
    root.addHandler(handler)
    for name, level in levels.items():
        loggers[name].setLevel(level)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            loggers[name].setLevel(level)

"""Deployment specs for the tests: one valid spec per type, with overrides."""
from __future__ import annotations

from typing import Any

from ..spec import DeploymentSpec

NAMESPACE = "eyrie-acme"

_DEFAULTS: dict[str, dict[str, Any]] = {
    "odoo": {
        "image": "odoo:19.0",
        "host": "acme.example.com",
        "ingress_class": "nginx",
        "settings": {"db_secret": "db-pguser-odoo"},
    },
    "pgo": {
        "image": "",
        "storage_size": "5Gi",
        "settings": {"postgres_version": 16, "instances": 2, "backup_size": "10Gi",
                     "users": [{"name": "odoo", "databases": ["acme"]}]},
    },
    "pxc": {
        "image": "percona/percona-xtradb-cluster:8.0.36",
        "settings": {"cr_version": "1.15.0", "size": 3,
                     "haproxy_image": "percona/haproxy:2.8.5", "haproxy_size": 2},
    },
    "none": {
        "image": "nginx:1.27",
        "port": 8080,
        "env": {"GREETING": "hello"},
        "host": "app.example.com",
    },
}

NAMES = {"odoo": "web", "pgo": "db", "pxc": "mysql", "none": "app"}


def make_spec(type_: str, **overrides: Any) -> DeploymentSpec:
    """A valid spec of ``type_``; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "name": NAMES[type_],
        "namespace": NAMESPACE,
        "type": type_,
        "deployment_id": 42,
        "version": "1.0.0",
        **_DEFAULTS[type_],
        **overrides,
    }
    return DeploymentSpec(**fields)

"""Pieces every deployment type shares: labels, namespace, secrets, storage, network.

Builders only compute dicts; nothing here talks to a cluster.  Keys without
a value are left out rather than sent as ``None`` (a ``None`` in a merge
patch would delete the field).
"""
from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from ..spec import DeploymentSpec

Obj = dict[str, Any]

MANAGED_BY = "eyrie"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_NAME = "app.kubernetes.io/name"
LABEL_INSTANCE = "app.kubernetes.io/instance"
LABEL_DEPLOYMENT_ID = "eyrie.io/deployment-id"
ANNOTATION_VERSION = "eyrie.io/version"
# Marks a Secret whose values were generated here: it is created once, never updated.
ANNOTATION_GENERATED = "eyrie.io/generated"
# The libpq variables read from a Secret of database credentials, and the key of each.
LIBPQ_KEYS = {"PGHOST": "host", "PGPORT": "port", "PGUSER": "user", "PGPASSWORD": "password"}
MYSQL_KEYS = {"MYSQL_HOST": "host", "MYSQL_PORT": "port", "MYSQL_USER": "user", "MYSQL_PASSWORD": "password"}

# app.kubernetes.io/name per type; a plain app ("none") is named after itself.
_APP_NAMES = {"odoo": "odoo", "pgo": "postgres", "pxc": "pxc"}


def app_name(spec: DeploymentSpec) -> str:
    return _APP_NAMES.get(spec.type, spec.name)


def labels(spec: DeploymentSpec) -> dict[str, str]:
    """The labels carried by every object of ``spec`` (and its pods)."""
    return {
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_NAME: app_name(spec),
        LABEL_INSTANCE: spec.name,
        LABEL_DEPLOYMENT_ID: str(spec.deployment_id),
    }


def selector(spec: DeploymentSpec) -> dict[str, str]:
    """Pod selector: only labels that never change (a selector is immutable)."""
    return {LABEL_NAME: app_name(spec), LABEL_INSTANCE: spec.name}


def metadata(spec: DeploymentSpec, name: str, *, namespaced: bool = True) -> Obj:
    meta: Obj = {"name": name}
    if namespaced:
        meta["namespace"] = spec.namespace
    meta["labels"] = labels(spec)
    meta["annotations"] = {ANNOTATION_VERSION: spec.version}
    return meta


def namespace(spec: DeploymentSpec) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": metadata(spec, spec.namespace, namespaced=False),
    }


def pull_secret_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-registry"


def pull_secret(spec: DeploymentSpec) -> Obj | None:
    """A dockerconfigjson Secret for ``spec.registry``, or None without credentials."""
    if spec.registry is None:
        return None
    login = f"{spec.registry.username}:{spec.registry.password}"
    config = {
        "auths": {
            spec.registry.server: {
                "username": spec.registry.username,
                "password": spec.registry.password,
                "auth": _b64(login),
            }
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(spec, pull_secret_name(spec)),
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": _b64(json.dumps(config, sort_keys=True))},
    }


def pull_secret_refs(spec: DeploymentSpec) -> list[Obj]:
    """The ``imagePullSecrets`` list of a pod (empty without credentials)."""
    return [{"name": pull_secret_name(spec)}] if spec.registry is not None else []


def generated_secret(spec: DeploymentSpec, name: str, keys: Iterable[str]) -> Obj:
    """An Opaque Secret holding a fresh random password per key.

    Every call draws new values, so it must be applied create-only
    (see :func:`is_create_only`): the first values stay for good.
    """
    secret = opaque_secret(spec, name, {key: secrets.token_urlsafe(24) for key in keys})
    secret["metadata"]["annotations"][ANNOTATION_GENERATED] = "true"
    return secret


def opaque_secret(spec: DeploymentSpec, name: str, values: Mapping[str, str]) -> Obj:
    """An Opaque Secret holding ``values`` (base64 in ``data``, as the API server keeps them)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(spec, name),
        "type": "Opaque",
        "data": {key: _b64(value) for key, value in values.items()},
    }


def is_create_only(obj: Mapping[str, Any]) -> bool:
    """Objects to create when missing and otherwise leave alone.

    Generated secrets must keep their first values.  A Namespace may be
    shared by several deployments: relabelling it for each would flip-flop.
    """
    annotations = obj.get("metadata", {}).get("annotations", {})
    return bool(obj["kind"] == "Namespace" or annotations.get(ANNOTATION_GENERATED) == "true")


def volume_claim_spec(spec: DeploymentSpec, size: str) -> Obj:
    """A ReadWriteOnce claim of ``size`` (the cluster default class unless set)."""
    claim: Obj = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
    }
    if spec.storage_class:
        claim["storageClassName"] = spec.storage_class
    return claim


def persistent_volume_claim(spec: DeploymentSpec, name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(spec, name),
        "spec": volume_claim_spec(spec, spec.storage_size),
    }


def env_list(env: Mapping[str, str] | None) -> list[Obj]:
    """Container ``env`` entries with literal values, in the given order."""
    return [{"name": key, "value": str(value)} for key, value in (env or {}).items()]


def secret_key_env(name: str, secret: str, key: str) -> Obj:
    """A container ``env`` entry read from ``key`` of the Secret ``secret``."""
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def database_secret_name(spec: DeploymentSpec) -> str:
    """The app's own Secret of database credentials (a copy of its PGO user's, see
    ``k8s.database``; or the password of an external database)."""
    return f"{spec.name}-database"


def linked_database_env(spec: DeploymentSpec) -> list[Obj]:
    """The variables of an app wired to a database deployment (``spec.database``): libpq's for
    PGO, MySQL-style ones for PXC. The host is the cluster's Service, the rest comes from the
    app's copy of its user's credentials."""
    assert spec.database is not None
    copy = database_secret_name(spec)
    prefix, keys = ("MYSQL_", MYSQL_KEYS) if spec.database.engine == "pxc" else ("PG", LIBPQ_KEYS)
    return [
        {"name": f"{prefix}HOST", "value": spec.database.host},
        *(secret_key_env(name, copy, key) for name, key in keys.items() if name != f"{prefix}HOST"),
        {"name": f"{prefix}DATABASE", "value": spec.database.database_name},
    ]


def container_ports(ports: Mapping[str, int]) -> list[Obj]:
    return [{"name": name, "containerPort": port, "protocol": "TCP"} for name, port in ports.items()]


def deployment(spec: DeploymentSpec, pod_spec: Obj, strategy: str = "RollingUpdate") -> Obj:
    """A Deployment named after ``spec`` running ``pod_spec``."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(spec, spec.name),
        "spec": {
            "replicas": spec.replicas,
            "strategy": {"type": strategy},
            "selector": {"matchLabels": selector(spec)},
            "template": {"metadata": {"labels": labels(spec)}, "spec": pod_spec},
        },
    }


def pod_spec(spec: DeploymentSpec, containers: list[Obj], volumes: list[Obj] | None = None) -> Obj:
    pod: Obj = {"containers": containers}
    if volumes:
        pod["volumes"] = volumes
    if spec.registry is not None:
        pod["imagePullSecrets"] = pull_secret_refs(spec)
    return pod


def service(spec: DeploymentSpec, ports: Mapping[str, int]) -> Obj:
    """A ClusterIP Service named after ``spec``, one port per name."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(spec, spec.name),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(spec),
            "ports": [
                {"name": name, "port": port, "targetPort": port, "protocol": "TCP"}
                for name, port in ports.items()
            ],
        },
    }


def ingress(spec: DeploymentSpec, routes: Mapping[str, int]) -> Obj | None:
    """An Ingress for ``spec.host`` routing path prefixes to Service ports.

    None without a host: an Ingress without one would catch every host.
    Routes are given most specific first, as they are listed.
    """
    if not spec.host:
        return None
    paths = [
        {
            "path": path,
            "pathType": "Prefix",
            "backend": {"service": {"name": spec.name, "port": {"number": port}}},
        }
        for path, port in routes.items()
    ]
    body: Obj = {"rules": [{"host": spec.host, "http": {"paths": paths}}]}
    if spec.ingress_class:
        body["ingressClassName"] = spec.ingress_class
    if spec.tls_secret:
        body["tls"] = [{"hosts": [spec.host], "secretName": spec.tls_secret}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(spec, spec.name),
        "spec": body,
    }


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()

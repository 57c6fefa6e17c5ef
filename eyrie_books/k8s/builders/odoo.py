"""Odoo: a Deployment with a filestore volume, its Service, Ingress and db-init Job.

Odoo reads its database connection from the libpq variables (``PGHOST``,
``PGPORT``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``), which are filled
from a PGO user secret or from explicit settings, so no password is ever
written into an object built here.  The ConfigMap holds the rest of
``odoo.conf``.  The container ``command`` is set, which bypasses the image's
entrypoint script (it would otherwise force ``--db_host=db``).
"""
from __future__ import annotations

import base64

from ..spec import DeploymentSpec
from . import common, source
from .common import Obj

HTTP_PORT = 8069
WEBSOCKET_PORT = 8072  # served only by the gevent worker, hence workers >= 1
FILESTORE_PATH = "/var/lib/odoo"
CONFIG_DIR = "/etc/eyrie"
# Where the repository's addons are (the official image's place for extra addons).
ADDONS_PATH = "/mnt/extra-addons"
HEALTH_PATH = "/web/health"

def config_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-config"


def filestore_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-filestore"


def init_job_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-db-init"


def update_job_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-update"


def config_map(spec: DeploymentSpec) -> Obj:
    """``odoo.conf`` without secrets: the database comes from the environment."""
    options = {
        "data_dir": FILESTORE_PATH,
        "proxy_mode": "True",  # behind the Ingress: trust X-Forwarded-*
        "list_db": "False",  # no database manager on a hosted instance
        "workers": str(spec.setting("workers", 2)),
        "gevent_port": str(WEBSOCKET_PORT),
    }
    if spec.source is not None:
        options["addons_path"] = ADDONS_PATH
    # Extra options never replace Eyrie's own.
    extra = {key: value for key, value in (spec.setting("options") or {}).items() if key not in options}
    options.update(extra)
    text = "[options]\n" + "".join(f"{key} = {value}\n" for key, value in options.items())
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": common.metadata(spec, config_name(spec)),
        "data": {"odoo.conf": text},
    }


def filestore(spec: DeploymentSpec) -> Obj:
    return common.persistent_volume_claim(spec, filestore_name(spec))


def database_env(spec: DeploymentSpec) -> list[Obj]:
    """The libpq variables: from the app's copy of its PGO user's credentials (the host: the
    cluster's primary), from a PGO user secret, or from explicit settings."""
    if spec.database is not None:
        return common.linked_database_env(spec)
    db_secret = spec.setting("db_secret")
    if db_secret:
        env = [common.secret_key_env(name, db_secret, key) for name, key in common.LIBPQ_KEYS.items()]
        db_name = spec.setting("db_name")
        env.append(
            {"name": "PGDATABASE", "value": db_name}
            if db_name
            else common.secret_key_env("PGDATABASE", db_secret, "dbname")
        )
        return env
    return [
        {"name": "PGHOST", "value": spec.setting("db_host")},
        {"name": "PGPORT", "value": str(spec.setting("db_port", 5432))},
        {"name": "PGUSER", "value": spec.setting("db_user")},
        common.secret_key_env("PGPASSWORD", spec.setting("db_password_secret"), "password"),
        {"name": "PGDATABASE", "value": spec.setting("db_name") or spec.name},
    ]


def password_secret(spec: DeploymentSpec) -> Obj | None:
    """The Secret of an external database's password (``db_password``), or None without one."""
    if not spec.db_password or spec.database is not None or spec.setting("db_secret"):
        return None
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": common.metadata(spec, spec.setting("db_password_secret")),
        "type": "Opaque",
        "data": {"password": base64.b64encode(spec.db_password.encode()).decode()},
    }


def deployment(spec: DeploymentSpec) -> Obj:
    """The Odoo server; Recreate because the filestore claim is ReadWriteOnce."""
    container = _container(spec, [])
    probe = {"httpGet": {"path": HEALTH_PATH, "port": HTTP_PORT}, "periodSeconds": 10}
    container["readinessProbe"] = {**probe, "initialDelaySeconds": 10, "failureThreshold": 3}
    container["livenessProbe"] = {**probe, "initialDelaySeconds": 60, "failureThreshold": 6}
    return common.deployment(spec, _pod_spec(spec, container), strategy="Recreate")


def init_job(spec: DeploymentSpec) -> Obj:
    """``odoo -d <db> -i base --stop-after-init`` once, before the server starts.

    ``$(PGDATABASE)`` is expanded by Kubernetes from the container's env.
    Not part of :func:`objects`: run it, wait for it, then start the server
    (both would otherwise want the ReadWriteOnce filestore at once).
    """
    return _job(spec, init_job_name(spec), ["-i", "base"], backoff_limit=2)


def update_job(spec: DeploymentSpec, modules: list[str]) -> Obj:
    """``odoo -u <modules> --stop-after-init`` with the version's code, before the server rolls
    out (as Odoo.sh does: only the modules the new commit changed). Named once per deployment and
    annotated with its version: a Job of another version is replaced, one of this version waited for.
    A failed update is for a person to read, not to repeat (no retry).
    """
    return _job(spec, update_job_name(spec), ["-u", ",".join(modules), "--no-http"], backoff_limit=0)


def _job(spec: DeploymentSpec, name: str, args: list[str], backoff_limit: int) -> Obj:
    """A one-off ``odoo -d <db> … --stop-after-init`` of the server's image, config and code."""
    pod = _pod_spec(spec, _container(spec, ["-d", "$(PGDATABASE)", *args, "--stop-after-init"]))
    pod["restartPolicy"] = "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": common.metadata(spec, name),
        "spec": {
            "backoffLimit": backoff_limit,
            "ttlSecondsAfterFinished": 86400,
            "template": {"metadata": {"labels": common.labels(spec)}, "spec": pod},
        },
    }


def service(spec: DeploymentSpec) -> Obj:
    return common.service(spec, {"http": HTTP_PORT, "websocket": WEBSOCKET_PORT})


def ingress(spec: DeploymentSpec) -> Obj | None:
    return common.ingress(spec, {"/websocket": WEBSOCKET_PORT, "/": HTTP_PORT})


def objects(spec: DeploymentSpec) -> list[Obj | None]:
    return [
        common.pull_secret(spec),
        source.secret(spec),
        password_secret(spec),
        config_map(spec),
        filestore(spec),
        deployment(spec),
        service(spec),
        ingress(spec),
    ]


def _container(spec: DeploymentSpec, extra_args: list[str]) -> Obj:
    container: Obj = {
        "name": "odoo",
        "image": spec.image,
        "command": ["odoo"],
        "args": [f"--config={CONFIG_DIR}/odoo.conf", *extra_args],
        "ports": common.container_ports({"http": HTTP_PORT, "websocket": WEBSOCKET_PORT}),
        "env": database_env(spec) + common.env_list(spec.env),
        "volumeMounts": [
            {"name": "filestore", "mountPath": FILESTORE_PATH},
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        ],
    }
    if spec.source is not None:
        container["volumeMounts"].append({"name": source.VOLUME, "mountPath": ADDONS_PATH, "readOnly": True})
    if spec.resources:
        container["resources"] = dict(spec.resources)
    return container


def _pod_spec(spec: DeploymentSpec, container: Obj) -> Obj:
    volumes = [
        {"name": "filestore", "persistentVolumeClaim": {"claimName": filestore_name(spec)}},
        {"name": "config", "configMap": {"name": config_name(spec)}},
        *source.volumes(spec),
    ]
    pod = common.pod_spec(spec, [container], volumes)
    fetch = source.init_container(spec, ADDONS_PATH)
    if fetch is not None:
        pod["initContainers"] = [fetch]
    # The image runs as uid/gid 101: let it write the freshly provisioned volume.
    pod["securityContext"] = {"fsGroup": int(spec.setting("fs_group", 101))}
    return pod

"""MySQL through Percona's operator: a ``PerconaXtraDBCluster`` and its users Secret.

The system users' passwords are generated here once, in the Secret named by
``spec.secretsName``; the operator would otherwise invent them itself and
Eyrie could not hand them out.  Pausing sets ``spec.pause``.

The operator refuses cluster names over 22 characters, so the cluster (and
the Secret it names) is called :func:`cluster_name`: the deployment's name
when it fits, else a readable prefix and a hash of it.  Images default to the
operator release's own (:mod:`..operators`).
"""
from __future__ import annotations

from .. import operators
from ..spec import DeploymentSpec
from . import common
from .common import Obj

API_VERSION = "pxc.percona.com/v1"
# The system users the operator expects in the secretsName Secret.
SYSTEM_USERS = ("root", "xtrabackup", "monitor", "operator", "replication", "proxyadmin")


def cluster_name(spec: DeploymentSpec) -> str:
    """The ``PerconaXtraDBCluster``'s name: at most the operator's 22 characters, stable."""
    return operators.short_name(spec.name, operators.PXC_CLUSTER_NAME_MAX)


def secrets_name(spec: DeploymentSpec) -> str:
    return f"{cluster_name(spec)}-secrets"


def users_secret(spec: DeploymentSpec) -> Obj:
    return common.generated_secret(spec, secrets_name(spec), SYSTEM_USERS)


def user_password_secret_name(cluster: str, user: str) -> str:
    """The Secret (in the cluster's namespace) holding the password of an app's user."""
    return f"{cluster}-user-{user}"


def user_entry(cluster: str, user: str, database: str) -> Obj:
    """An app's item of ``spec.users``: the operator creates the database (named by
    :func:`~..operators.pxc_database_name`) if missing and grants the user all privileges on it
    (not the GRANT option), from any host, with the password of :func:`user_password_secret_name`
    (key ``password``)."""
    return {"name": user, "dbs": [operators.pxc_database_name(database)], "hosts": ["%"],
            "grants": ["ALL PRIVILEGES"],
            "passwordSecretRef": {"name": user_password_secret_name(cluster, user), "key": "password"}}


def pxc_cluster(spec: DeploymentSpec) -> Obj:
    pxc: Obj = {
        "size": int(spec.setting("size", 3)),
        "image": spec.image or operators.PXC_IMAGE,
        "volumeSpec": {"persistentVolumeClaim": common.volume_claim_spec(spec, spec.storage_size)},
    }
    if spec.resources:
        pxc["resources"] = dict(spec.resources)
    haproxy: Obj = {"enabled": bool(spec.setting("haproxy", True))}
    if haproxy["enabled"]:
        haproxy["size"] = int(spec.setting("haproxy_size", 3))
        haproxy["image"] = spec.setting("haproxy_image", operators.PXC_HAPROXY_IMAGE)
    if spec.registry is not None:
        # Each component's pods pull their own image: each needs the pull secret.
        for component in (pxc, haproxy) if haproxy["enabled"] else (pxc,):
            component["imagePullSecrets"] = common.pull_secret_refs(spec)
    unsafe = bool(spec.setting("unsafe", False))
    body: Obj = {
        "apiVersion": API_VERSION,
        "kind": "PerconaXtraDBCluster",
        "metadata": common.metadata(spec, cluster_name(spec)),
        "spec": {
            "crVersion": spec.setting("cr_version", operators.PXC_CR_VERSION),
            "secretsName": secrets_name(spec),
            # Lifts checkSafeDefaults()'s size rules only (TLS and backups keep theirs). Always
            # sent: a merge patch without the key would leave an earlier "true" in place.
            "unsafeFlags": {"pxcSize": unsafe, "proxySize": unsafe},
            "pxc": pxc,
            "haproxy": haproxy,
        },
    }
    if spec.setting("users"):  # the apps' users (see ..database)
        body["spec"]["users"] = [dict(user) for user in spec.setting("users")]
    return body


def pause_patch(paused: bool) -> Obj:
    return {"spec": {"pause": paused}}


def objects(spec: DeploymentSpec) -> list[Obj | None]:
    return [common.pull_secret(spec), users_secret(spec), pxc_cluster(spec)]

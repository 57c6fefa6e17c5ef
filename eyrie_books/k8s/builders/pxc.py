"""MySQL through Percona's operator: a ``PerconaXtraDBCluster`` and its users Secret.

The system users' passwords are generated here once, in the Secret named by
``spec.secretsName``; the operator would otherwise invent them itself and
Eyrie could not hand them out.  Pausing sets ``spec.pause``.
"""
from __future__ import annotations

from ..spec import DeploymentSpec
from . import common
from .common import Obj

API_VERSION = "pxc.percona.com/v1"
# The system users the operator expects in the secretsName Secret.
SYSTEM_USERS = ("root", "xtrabackup", "monitor", "operator", "replication", "proxyadmin")


def secrets_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-secrets"


def users_secret(spec: DeploymentSpec) -> Obj:
    return common.generated_secret(spec, secrets_name(spec), SYSTEM_USERS)


def pxc_cluster(spec: DeploymentSpec) -> Obj:
    pxc: Obj = {
        "size": int(spec.setting("size", 3)),
        "image": spec.image,
        "volumeSpec": {"persistentVolumeClaim": common.volume_claim_spec(spec, spec.storage_size)},
    }
    if spec.resources:
        pxc["resources"] = dict(spec.resources)
    if spec.registry is not None:
        pxc["imagePullSecrets"] = common.pull_secret_refs(spec)
    haproxy: Obj = {"enabled": bool(spec.setting("haproxy", True))}
    if haproxy["enabled"]:
        haproxy["size"] = int(spec.setting("haproxy_size", 3))
        haproxy["image"] = spec.setting("haproxy_image")
    return {
        "apiVersion": API_VERSION,
        "kind": "PerconaXtraDBCluster",
        "metadata": common.metadata(spec, spec.name),
        "spec": {
            "crVersion": str(spec.setting("cr_version")),
            "secretsName": secrets_name(spec),
            "pxc": pxc,
            "haproxy": haproxy,
        },
    }


def pause_patch(paused: bool) -> Obj:
    return {"spec": {"pause": paused}}


def objects(spec: DeploymentSpec) -> list[Obj | None]:
    return [common.pull_secret(spec), users_secret(spec), pxc_cluster(spec)]

"""PostgreSQL through Crunchy's PGO: one ``PostgresCluster`` custom object.

The operator creates the pods, volumes and one Secret per user named
``<cluster>-pguser-<user>`` (keys host, port, user, password, dbname...),
which an Odoo deployment reads through its ``db_secret`` setting.
Pausing sets ``spec.shutdown``.

PGO allows 46 characters for the cluster and instance names together, so
the cluster is called :func:`cluster_name`: the deployment's name when it
fits, else a readable prefix and a hash of it.
"""
from __future__ import annotations

from .. import operators
from ..spec import DeploymentSpec
from . import common
from .common import Obj

API_VERSION = "postgres-operator.crunchydata.com/v1beta1"


def user_secret_name(cluster: str, user: str) -> str:
    """The Secret PGO writes for ``user`` of ``cluster``."""
    return f"{cluster}-pguser-{user}"


def cluster_name(spec: DeploymentSpec) -> str:
    """The ``PostgresCluster``'s name: within PGO's limit, stable."""
    return operators.short_name(spec.name, operators.PGO_CLUSTER_NAME_MAX)


def postgres_cluster(spec: DeploymentSpec) -> Obj:
    instance: Obj = {
        "name": operators.PGO_INSTANCE_NAME,
        "replicas": int(spec.setting("instances", 1)),
        "dataVolumeClaimSpec": common.volume_claim_spec(spec, spec.storage_size),
    }
    if spec.resources:
        instance["resources"] = dict(spec.resources)
    backup_size = spec.setting("backup_size") or spec.storage_size
    body: Obj = {
        "postgresVersion": int(spec.setting("postgres_version", operators.PGO_DEFAULT_POSTGRES_VERSION)),
        "instances": [instance],
        "backups": {
            "pgbackrest": {
                "repos": [
                    {
                        "name": "repo1",
                        "volume": {"volumeClaimSpec": common.volume_claim_spec(spec, backup_size)},
                    }
                ]
            }
        },
    }
    if spec.image:  # otherwise the operator's default image for postgresVersion
        body["image"] = spec.image
    if spec.setting("users"):
        body["users"] = [dict(user) for user in spec.setting("users")]
    if spec.registry is not None:
        body["imagePullSecrets"] = common.pull_secret_refs(spec)
    return {
        "apiVersion": API_VERSION,
        "kind": "PostgresCluster",
        "metadata": common.metadata(spec, cluster_name(spec)),
        "spec": body,
    }


def pause_patch(paused: bool) -> Obj:
    return {"spec": {"shutdown": paused}}


def objects(spec: DeploymentSpec) -> list[Obj | None]:
    return [common.pull_secret(spec), postgres_cluster(spec)]

"""Any container image ("none" type): a Deployment and a Service, an Ingress with a host.

Without a port the app is a worker: it serves nothing, so it has neither Service nor Ingress.
Its environment comes from a ConfigMap (plain values) and a Secret (secret values), its optional
volume from a claim; wired to a PGO deployment, it gets the libpq variables as Odoo does. A change
of those objects alone would not restart the pods: the pod template carries the version, so every
new version rolls them out with the values it has.
"""
from __future__ import annotations

from ..spec import DeploymentSpec
from . import common, source
from .common import ANNOTATION_VERSION, Obj

VOLUME = "data"


def config_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-config"


def secret_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-secrets"


def volume_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-data"


def config_map(spec: DeploymentSpec) -> Obj | None:
    """The plain environment variables, or None without any."""
    if not spec.env:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": common.metadata(spec, config_name(spec)),
        "data": {key: str(value) for key, value in spec.env.items()},
    }


def secret(spec: DeploymentSpec) -> Obj | None:
    """The secret environment variables, or None without any."""
    return common.opaque_secret(spec, secret_name(spec), spec.secret_env) if spec.secret_env else None


def volume(spec: DeploymentSpec) -> Obj | None:
    """The claim mounted at ``volume_path``, or None without one."""
    return common.persistent_volume_claim(spec, volume_name(spec)) if spec.volume_path else None


def deployment(spec: DeploymentSpec) -> Obj:
    """The app; Recreate with a volume, whose ReadWriteOnce claim one pod at a time may hold."""
    container: Obj = {"name": "app", "image": spec.image}
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    if spec.port is not None:
        container["ports"] = common.container_ports({"http": spec.port})
    env_from = [{"configMapRef": {"name": config_name(spec)}}] if spec.env else []
    if spec.secret_env:
        env_from.append({"secretRef": {"name": secret_name(spec)}})
    if env_from:
        container["envFrom"] = env_from
    if spec.database is not None:
        container["env"] = common.linked_database_env(spec)
    if spec.resources:
        container["resources"] = dict(spec.resources)
    volumes, mounts = source.volumes(spec), []
    if spec.source is not None:
        mounts.append({"name": source.VOLUME, "mountPath": spec.source.path, "readOnly": True})
    if spec.volume_path:
        volumes.append({"name": VOLUME, "persistentVolumeClaim": {"claimName": volume_name(spec)}})
        mounts.append({"name": VOLUME, "mountPath": spec.volume_path})
    if mounts:
        container["volumeMounts"] = mounts
    pod = common.pod_spec(spec, [container], volumes)
    if spec.source is not None:
        pod["initContainers"] = [source.init_container(spec, spec.source.path)]
    workload = common.deployment(spec, pod, strategy="Recreate" if spec.volume_path else "RollingUpdate")
    if env_from:
        workload["spec"]["template"]["metadata"]["annotations"] = {ANNOTATION_VERSION: spec.version}
    return workload


def service(spec: DeploymentSpec) -> Obj | None:
    return common.service(spec, {"http": spec.port}) if spec.port is not None else None


def ingress(spec: DeploymentSpec) -> Obj | None:
    return common.ingress(spec, {"/": spec.port}) if spec.port is not None else None


def objects(spec: DeploymentSpec) -> list[Obj | None]:
    return [
        common.pull_secret(spec),
        source.secret(spec),
        config_map(spec),
        secret(spec),
        volume(spec),
        deployment(spec),
        service(spec),
        ingress(spec),
    ]

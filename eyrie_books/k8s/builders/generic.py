"""Any container image ("none" type): a Deployment and a Service, an Ingress with a host.

Without a port the app is a worker: it serves nothing, so it has neither Service nor Ingress.
"""
from __future__ import annotations

from ..spec import DeploymentSpec
from . import common, source
from .common import Obj


def deployment(spec: DeploymentSpec) -> Obj:
    container: Obj = {"name": "app", "image": spec.image}
    if spec.port is not None:
        container["ports"] = common.container_ports({"http": spec.port})
    if spec.env:
        container["env"] = common.env_list(spec.env)
    if spec.resources:
        container["resources"] = dict(spec.resources)
    pod = common.pod_spec(spec, [container], source.volumes(spec))
    if spec.source is not None:
        container["volumeMounts"] = [{"name": source.VOLUME, "mountPath": spec.source.path, "readOnly": True}]
        pod["initContainers"] = [source.init_container(spec, spec.source.path)]
    return common.deployment(spec, pod)


def service(spec: DeploymentSpec) -> Obj | None:
    return common.service(spec, {"http": spec.port}) if spec.port is not None else None


def ingress(spec: DeploymentSpec) -> Obj | None:
    return common.ingress(spec, {"/": spec.port}) if spec.port is not None else None


def objects(spec: DeploymentSpec) -> list[Obj | None]:
    return [common.pull_secret(spec), source.secret(spec), deployment(spec), service(spec), ingress(spec)]

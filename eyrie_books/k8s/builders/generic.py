"""Any container image ("none" type): a Deployment and a Service, an Ingress with a host.

Without a port the app is a worker: it serves nothing, so it has neither Service nor Ingress.
"""
from __future__ import annotations

from ..spec import DeploymentSpec
from . import common
from .common import Obj


def deployment(spec: DeploymentSpec) -> Obj:
    container: Obj = {"name": "app", "image": spec.image}
    if spec.port is not None:
        container["ports"] = common.container_ports({"http": spec.port})
    if spec.env:
        container["env"] = common.env_list(spec.env)
    if spec.resources:
        container["resources"] = dict(spec.resources)
    return common.deployment(spec, common.pod_spec(spec, [container]))


def service(spec: DeploymentSpec) -> Obj | None:
    return common.service(spec, {"http": spec.port}) if spec.port is not None else None


def ingress(spec: DeploymentSpec) -> Obj | None:
    return common.ingress(spec, {"/": spec.port}) if spec.port is not None else None


def objects(spec: DeploymentSpec) -> list[Obj | None]:
    return [common.pull_secret(spec), deployment(spec), service(spec), ingress(spec)]

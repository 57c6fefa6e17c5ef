"""Any container image ("none" type): a Deployment and a Service, an Ingress with a host."""
from __future__ import annotations

from ..spec import DeploymentSpec
from . import common
from .common import Obj


def _port(spec: DeploymentSpec) -> int:
    assert spec.port is not None  # validated for type "none"
    return spec.port


def deployment(spec: DeploymentSpec) -> Obj:
    container: Obj = {
        "name": "app",
        "image": spec.image,
        "ports": common.container_ports({"http": _port(spec)}),
        "env": common.env_list(spec.env),
    }
    if spec.resources:
        container["resources"] = dict(spec.resources)
    return common.deployment(spec, common.pod_spec(spec, [container]))


def service(spec: DeploymentSpec) -> Obj:
    return common.service(spec, {"http": _port(spec)})


def ingress(spec: DeploymentSpec) -> Obj | None:
    return common.ingress(spec, {"/": _port(spec)})


def objects(spec: DeploymentSpec) -> list[Obj | None]:
    return [common.pull_secret(spec), deployment(spec), service(spec), ingress(spec)]

"""Builders: a :class:`~..spec.DeploymentSpec` in, plain Kubernetes objects out.

:func:`objects_for` gives everything to apply for a spec, in apply order:
the namespace, secrets and config, storage, the workload, its Service and
Ingress.  Each type's module (``odoo``, ``pgo``, ``pxc``, ``generic``) has one
function per object for steps that apply only a part, and ``odoo.init_job``
for the database initialisation run before the Odoo server.
"""
from __future__ import annotations

from ..spec import DeploymentSpec
from . import common, generic, odoo, pgo, pxc
from .common import Obj, is_create_only

__all__ = [
    "Obj",
    "common",
    "generic",
    "is_create_only",
    "objects_for",
    "odoo",
    "pause_patch",
    "pgo",
    "pxc",
    "workload",
]

_OBJECTS = {"odoo": odoo.objects, "pgo": pgo.objects, "pxc": pxc.objects, "none": generic.objects}
_WORKLOADS = {
    "odoo": odoo.deployment,
    "pgo": pgo.postgres_cluster,
    "pxc": pxc.pxc_cluster,
    "none": generic.deployment,
}


def objects_for(spec: DeploymentSpec) -> list[Obj]:
    """Every object of ``spec`` in the order to apply them."""
    parts = [common.namespace(spec), *_OBJECTS[spec.type](spec)]
    return [obj for obj in parts if obj is not None]


def workload(spec: DeploymentSpec) -> Obj:
    """The object whose readiness is the deployment's: Deployment or database cluster."""
    return _WORKLOADS[spec.type](spec)


def pause_patch(spec: DeploymentSpec, paused: bool) -> tuple[Obj, Obj, str]:
    """(object, merge patch, subresource) that pauses or resumes ``spec``.

    Deployments are scaled through their ``scale`` subresource (to 0, or back
    to ``spec.replicas``); the database operators have their own switch.
    """
    target = workload(spec)
    if spec.type == "pgo":
        return target, pgo.pause_patch(paused), ""
    if spec.type == "pxc":
        return target, pxc.pause_patch(paused), ""
    return target, {"spec": {"replicas": 0 if paused else spec.replicas}}, "scale"

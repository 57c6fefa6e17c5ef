"""Eyrie's Kubernetes layer: plain Python, never imports Odoo.

* :mod:`.spec` - :class:`DeploymentSpec`, validated before anything is sent.
* :mod:`.builders` - plain dicts for each object of a spec, in apply order.
* :mod:`.connection` - one ``ApiClient`` per cluster from a kubeconfig or a token.
* :mod:`.operations` - :class:`Kube` (real cluster) and :class:`DryRunKube`
  (records, sends nothing) with ensure/read/delete/scale/pause/resume/
  wait_ready/status/check_connection.
* :mod:`.errors` - :class:`RetryableError` vs :class:`PermanentError`.

Typical book steps::

    kube = Kube(api_client_from_kubeconfig(text))
    kube.ensure_all(objects_for(spec))
    kube.wait_ready(workload(spec), timeout=600)

Odoo initialises its database before the server starts (both want the
ReadWriteOnce filestore)::

    kube.ensure_all(objects_for(dataclasses.replace(spec, replicas=0)))
    kube.ensure(builders.odoo.init_job(spec))
    kube.wait_ready(builders.odoo.init_job(spec), timeout=900)
    kube.resume(spec)  # scales the Deployment to spec.replicas

``ensure`` applies the spec as given, replicas included: while a deployment
is paused, build its objects from a spec with ``replicas=0``.
"""
from . import builders
from .builders import is_create_only, objects_for, pause_patch, workload
from .connection import api_client_from_kubeconfig, api_client_from_token
from .errors import (
    Conflict,
    InvalidKubeconfig,
    InvalidSpec,
    KubeError,
    NotFound,
    PermanentError,
    RetryableError,
    WaitTimeout,
)
from .operations import DryRunKube, Kube, Operations, Outcome, PlannedRequest
from .resources import ObjectRef, api_path, ref
from .spec import DeploymentSpec, RegistryCredentials, Source, is_dns_label

__all__ = [
    "Conflict",
    "DeploymentSpec",
    "DryRunKube",
    "InvalidKubeconfig",
    "InvalidSpec",
    "Kube",
    "KubeError",
    "NotFound",
    "ObjectRef",
    "Operations",
    "Outcome",
    "PermanentError",
    "PlannedRequest",
    "RegistryCredentials",
    "RetryableError",
    "Source",
    "WaitTimeout",
    "api_client_from_kubeconfig",
    "api_client_from_token",
    "api_path",
    "builders",
    "is_create_only",
    "is_dns_label",
    "objects_for",
    "pause_patch",
    "ref",
    "workload",
]

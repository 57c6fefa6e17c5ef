"""The kinds of step a Deployment Book can hold, as plain functions over the Kubernetes layer.

Each step takes the cluster operations (a real :class:`~.k8s.Kube` or a :class:`~.k8s.DryRunKube`),
the deployment's :class:`~.k8s.DeploymentSpec`, the step's parameters and a ``log`` callable, and
does one idempotent thing: running it twice leaves the cluster as running it once. Errors are the
Kubernetes layer's (retryable or permanent); the Odoo side decides what to do with them.

No Odoo import here: a manager composes steps in the backend, the engine looks them up in
:data:`KINDS` by key.
"""

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from .k8s import (
    DeploymentSpec,
    DryRunKube,
    InvalidSpec,
    KubeError,
    Operations,
    PermanentError,
    builders,
    database,
    is_create_only,
)
from .k8s.builders import common, odoo
from .k8s.errors import shorten

Log = Callable[[str], None]
# Object kinds grouped by the step that applies them.
SECRET_KINDS = {"Secret", "ConfigMap"}
NETWORK_KINDS = {"Service", "Ingress"}
# The longest a step's "timeout" or "poll" parameter may ask to wait (a week).
MAX_SECONDS = 7 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class StepKind:
    key: str
    label: str
    run: Callable[[Operations, DeploymentSpec, Mapping[str, Any], Log], None]
    # A dry run of this step needs the deployment's objects to exist already (it reads or
    # changes them rather than creating them).
    acts_on_existing: bool = False
    # The step waits for its object, looking again until it is ready (see NotReady).
    waits: bool = False
    types: tuple[str, ...] = ("odoo", "pgo", "pxc", "none")
    # A dry run of this step needs the deployment's database cluster (and its user's Secret).
    uses_database: bool = False


def _apply(kube, objects, log):
    if not objects:
        log("Nothing to apply for this deployment type")
    for obj in objects:
        outcome = kube.ensure(obj, create_only=is_create_only(obj))
        log(f"{obj['kind']} {obj['metadata']['name']}: {outcome}")


def _objects(spec, kinds=None, exclude=frozenset({"Namespace"})):
    return [
        obj for obj in builders.objects_for(spec)
        if obj["kind"] not in exclude and (kinds is None or obj["kind"] in kinds)
    ]


def create_namespace(kube, spec, params, log):
    _apply(kube, [common.namespace(spec)], log)


def ensure_secrets(kube, spec, params, log):
    _apply(kube, _objects(spec, SECRET_KINDS), log)


def apply_workload(kube, spec, params, log):
    """Storage and the workload; ``{"replicas": 0}`` applies it stopped (before a db init)."""
    if "replicas" in params:
        spec = dataclasses.replace(spec, replicas=params["replicas"])
    if spec.type in ("pgo", "pxc"):  # the users its apps' books added stay
        spec = database.with_live_users(kube, spec)
    _apply(kube, _objects(spec, exclude={"Namespace", *SECRET_KINDS, *NETWORK_KINDS}), log)


def apply_network(kube, spec, params, log):
    objects = _objects(spec, NETWORK_KINDS)
    _apply(kube, objects, log)
    if spec.type == "none" and spec.port is None:
        log("No Service or Ingress: the app has no port (it runs as a worker)")
    elif not any(obj["kind"] == "Ingress" for obj in objects):
        log("No Ingress: the cluster has no ingress domain for this deployment")


class NotReady(Exception):
    """What a waiting step raises while its object is not ready: look again after ``poll`` seconds.

    A step waits by looking once per execution: the engine gives its worker back in between and
    bounds the whole wait by the step's timeout. ``params["waiting"]`` tells a step that it looks
    again (it applied what it waits for already).
    """

    def __init__(self, what, phase, poll):
        super().__init__(f"{what}: {phase}")
        self.what, self.phase, self.poll = what, phase, poll


def _check_ready(kube, obj, params):
    summary = kube.check_ready(obj)
    if not summary["ready"]:
        raise NotReady(f"{obj['kind']} {obj['metadata']['name']}", summary["phase"], params.get("poll", 5))
    return summary


def run_init_job(kube, spec, params, log):
    job = odoo.init_job(spec)
    if not params.get("waiting"):
        _apply(kube, [job], log)
    summary = _check_ready(kube, job, params)
    log(f"Job {job['metadata']['name']}: {summary['phase']}")


def update_modules(kube, spec, params, log):
    """Update the Odoo modules the version's commit changed (``params["modules"]``, listed by the
    engine; None on a dry run), in a Job with the new code, the server stopped first: they share
    the filestore, and the old code must not run on the updated database. The rollout follows."""
    modules = params.get("modules")
    job = odoo.update_job(spec, modules or ["base"])
    if not params.get("waiting"):
        if modules == []:
            log("No module changed since the commit that runs: nothing to update")
            return
        live = kube.read(job)
        if (live or {}).get("metadata", {}).get("annotations", {}).get(common.ANNOTATION_VERSION) != spec.version:
            if live:
                kube.delete(live, propagation="Background")
            log(f"Updating {', '.join(modules) if modules else 'the modules the commit changed'}")
            kube.pause(spec)
            _apply(kube, [job], log)
    try:
        summary = _check_ready(kube, job, params)
    except PermanentError:  # the update failed: what Odoo said is what the user needs
        _log_job_output(kube, job, log)
        raise
    log(f"Job {job['metadata']['name']}: {summary['phase']}")
    _log_job_output(kube, job, log)


def _log_job_output(kube, job, log):
    """What the Job's pod printed, for the step's log: reading it must not fail the step."""
    try:
        output = kube.job_log(job).rstrip()
    except KubeError as error:
        log(f"Job {job['metadata']['name']}: its output could not be read ({error})")
        return
    if output:
        log(f"Job {job['metadata']['name']} printed:\n{output}")


def add_database_user(kube, spec, params, log):
    """Add the app's user to its database's cluster (waiting for the cluster to exist); for PXC,
    its password Secret first (generated once, never logged)."""
    link = spec.database
    if link is None:
        log("No database deployment: nothing to add")
        return
    cluster = f"{database.database_cluster(link)['kind']} {link.namespace}/{link.cluster}"
    if link.engine == "pxc":
        _apply(kube, [database.password_secret(spec)], log)
    added = database.add_user(kube, link)
    if added is None:  # the database's own run may not have made it yet
        raise NotReady(cluster, "Missing", params.get("poll", 5))
    outcome = "added" if added else "already listed"
    log(f"{cluster}: user {link.user} {outcome} (database {link.database_name})")


def copy_database_credentials(kube, spec, params, log):
    """Wait for the Secret of the app's user (PGO's, or its PXC password's), and copy it into the
    app's namespace (the values are never logged)."""
    link = spec.database
    if link is None:
        log("No database deployment: nothing to copy")
        return
    source = database.user_secret(link)
    live = kube.read(source)
    if live is None:
        raise NotReady(f"Secret {link.namespace}/{source['metadata']['name']}", "Missing", params.get("poll", 5))
    _apply(kube, [database.credentials_secret(spec, live)], log)


def remove_database_user(kube, spec, params, log):
    """Take the app's user out of its database's cluster and delete its copy of the credentials
    (and, for PXC, its password Secret); the user and its data stay in the database: the
    operators do not drop them."""
    link = spec.database
    if link is None:
        log("No database deployment: nothing to remove")
        return
    removed = database.remove_user(kube, link)
    outcome = {True: "removed", False: "not listed", None: "not listed (no such cluster)"}[removed]
    log(f"{database.database_cluster(link)['kind']} {link.namespace}/{link.cluster}: user {link.user} {outcome}")
    secrets = [database.credentials_secret(spec, {})]
    if link.engine == "pxc":
        secrets.append(database.user_secret(link))
    for secret in secrets:
        gone = kube.delete(secret)
        log(f"Secret {secret['metadata']['name']}: {'deleted' if gone else 'already gone'}")


def wait_ready(kube, spec, params, log):
    workload = builders.workload(spec)
    summary = _check_ready(kube, workload, params)
    log(f"{workload['kind']} {workload['metadata']['name']}: ready ({summary['phase']})")


def pause(kube, spec, params, log):
    kube.pause(spec)
    log(f"{_workload_name(spec)}: paused")


def resume(kube, spec, params, log):
    kube.resume(spec)
    log(f"{_workload_name(spec)}: running")


def _workload_name(spec):
    """Kind and name of the workload (a PXC cluster's name may be shorter than the deployment's).

    >>> from eyrie_books.k8s import DeploymentSpec
    >>> _workload_name(DeploymentSpec("acme-shop-production-mysql", "acme", "pxc", "", 1, "1"))
    'PerconaXtraDBCluster acme-shop-prod-9a74de2'
    """
    workload = builders.workload(spec)
    return f"{workload['kind']} {workload['metadata']['name']}"


def delete_resources(kube, spec, params, log):
    for obj in reversed(_objects(spec)):
        gone = kube.delete(obj)
        log(f"{obj['kind']} {obj['metadata']['name']}: {'deleted' if gone else 'already gone'}")


def delete_namespace(kube, spec, params, log):
    gone = kube.delete(common.namespace(spec))
    log(f"Namespace {spec.namespace}: {'deleted' if gone else 'already gone'}")


def apply_manifest(kube, spec, params, log):
    """Objects given in the step's parameters (``{"objects": [...]}``), in the deployment's namespace."""
    objects = params.get("objects")
    if not isinstance(objects, list) or not all(_is_manifest_object(obj) for obj in objects):
        raise InvalidSpec("objects", "the step needs a list of Kubernetes objects, each with a kind and a "
                                     "metadata mapping with a name")
    for obj in objects:
        obj.setdefault("metadata", {}).setdefault("namespace", spec.namespace)
        obj["metadata"].setdefault("labels", {}).update(common.labels(spec))
    _apply(kube, objects, log)


def _is_manifest_object(obj):
    """Shaped as the steps read it: a kind, and metadata with a name (and mappings where they are)."""
    if not isinstance(obj, dict) or not obj.get("kind") or not isinstance(obj["kind"], str):
        return False
    metadata = obj.get("metadata")
    return (
        isinstance(metadata, dict) and isinstance(metadata.get("name"), str)
        and isinstance(metadata.get("namespace", ""), str)
        and all(isinstance(metadata.get(key, {}), dict) for key in ("labels", "annotations"))
    )


KINDS = {kind.key: kind for kind in (
    StepKind("create_namespace", "Create namespace", create_namespace),
    StepKind("ensure_secrets", "Ensure secrets and configuration", ensure_secrets),
    StepKind("apply_workload", "Apply workload", apply_workload),
    StepKind("apply_network", "Apply service and ingress", apply_network),
    StepKind("run_init_job", "Run database init job and wait", run_init_job, types=("odoo",), waits=True),
    StepKind("update_modules", "Update changed modules", update_modules, acts_on_existing=True, types=("odoo",),
             waits=True),
    StepKind("add_database_user", "Add the user to the database", add_database_user, waits=True,
             types=("odoo", "none"), uses_database=True),
    StepKind("copy_database_credentials", "Copy the database credentials", copy_database_credentials,
             waits=True, types=("odoo", "none"), uses_database=True),
    StepKind("remove_database_user", "Remove the user from the database", remove_database_user,
             types=("odoo", "none"), uses_database=True),
    StepKind("wait_ready", "Wait until ready", wait_ready, acts_on_existing=True, waits=True),
    StepKind("pause", "Scale down / pause", pause, acts_on_existing=True),
    StepKind("resume", "Scale up / resume", resume, acts_on_existing=True),
    StepKind("delete_resources", "Delete resources", delete_resources, acts_on_existing=True),
    StepKind("delete_namespace", "Delete namespace", delete_namespace, acts_on_existing=True),
    StepKind("apply_manifest", "Apply manifest", apply_manifest, types=("none",)),
)}


def parse_parameters(text):
    """The parameters of a step: a JSON object, or a ValueError saying what is wrong.

    >>> parse_parameters('{"timeout": 60}')
    {'timeout': 60}
    >>> parse_parameters('[1]')
    Traceback (most recent call last):
    ...
    ValueError: parameters must be a JSON object, not list
    >>> parse_parameters('{"poll": null}')
    Traceback (most recent call last):
    ...
    ValueError: poll must be a number of seconds greater than 0 and at most 604800, not None
    """
    try:
        value = json.loads(text or "{}", parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"parameters are not valid JSON: {error.msg} (line {error.lineno})") from None
    except (ValueError, RecursionError):  # NaN or Infinity, or nested deeper than the parser goes
        raise ValueError("parameters are not valid JSON: NaN, Infinity or nesting too deep") from None
    if not isinstance(value, dict):
        raise ValueError(f"parameters must be a JSON object, not {type(value).__name__}")
    # What the steps read must have the right type here: a wrong one would fail the run with a
    # TypeError deep in the Kubernetes layer (or, for a zero poll, hammer the API server).
    for key in ("timeout", "poll"):
        seconds = value.get(key, 1)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= MAX_SECONDS:
            raise ValueError(f"{key} must be a number of seconds greater than 0 and at most {MAX_SECONDS}, "
                             f"not {shorten(repr(seconds), 40)}")
    replicas = value.get("replicas", 0)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ValueError(f"replicas must be a whole number, 0 or more, not {shorten(repr(replicas), 40)}")
    return value


def _refuse_constant(name):
    raise ValueError(name)


def run_step(key, kube, spec, params, log):
    """Run the step ``key``. On a dry run, a step that acts on existing objects first gets them
    recorded as existing, so it logs what it would send to a cluster where the deployment runs."""
    kind = KINDS[key]
    if isinstance(kube, DryRunKube) and kind.acts_on_existing:
        kube.ensure_all([*builders.objects_for(spec), *([odoo.init_job(spec)] if spec.type == "odoo" else [])])
        kube.requests.clear()
    if isinstance(kube, DryRunKube) and kind.uses_database and spec.database is not None:
        kube.ensure_all(database.dry_run_objects(spec, listed=key == "remove_database_user"))
        kube.requests.clear()
    kind.run(kube, spec, params, log)

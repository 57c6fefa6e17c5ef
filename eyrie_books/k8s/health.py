"""Live health and sync of deployments, from what the cluster and its operators report.

:func:`health_of` reads one workload (a ``Deployment``, PGO's ``PostgresCluster`` or PXC's
``PerconaXtraDBCluster``) into a :class:`Health`: its state and a short reason. Each kind is read
from its controller's own status:

* ``Deployment`` (apps/v1): ``spec.replicas``, ``status.observedGeneration``, ``updatedReplicas``,
  ``readyReplicas``, and the conditions ``Progressing`` (``ProgressDeadlineExceeded``) and
  ``ReplicaFailure``;
* ``PostgresCluster`` (Crunchy PGO v5): ``spec.shutdown``, ``status.instances[]`` (``replicas``,
  ``readyReplicas``, ``updatedReplicas`` per instance set) and ``status.observedGeneration``;
* ``PerconaXtraDBCluster`` (Percona PXC operator): ``status.state`` (``initializing``, ``ready``,
  ``paused``, ``stopping``, ``error``, ``unknown``), ``status.message`` and ``status.pxc``.

A workload that lost pods after it was healthy (same generation, fewer ready than wanted) is
*degraded*; the same numbers while it rolls out are *progressing*: the caller passes the previous
health to tell them apart.

:func:`survey` looks at many deployments of one cluster at once: it lists each kind they use once,
cluster-wide with Eyrie's label selector, rather than one GET per object, and answers health and
sync for each. A failure to list (cluster unreachable, 403, a CRD not installed) makes the
deployments that need that kind *unknown*, with the reason, and never raises.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from .builders import common, is_create_only, objects_for, pause_patch, workload
from .compare import CHANGE, CREATE, compare
from .errors import KubeError, NotFound, shorten
from .operations import Operations
from .patching import apply_merge_patch
from .resources import resource_for
from .spec import DeploymentSpec

HEALTHY = "healthy"
PROGRESSING = "progressing"
DEGRADED = "degraded"
PAUSED = "paused"
MISSING = "missing"
UNKNOWN = "unknown"
HEALTH_STATES = (HEALTHY, PROGRESSING, DEGRADED, PAUSED, MISSING, UNKNOWN)

IN_SYNC = "in_sync"
OUT_OF_SYNC = "out_of_sync"

SELECTOR = f"{common.LABEL_MANAGED_BY}={common.MANAGED_BY}"
# How many changed fields a sync reason names before it says "and N more".
PATHS_SHOWN = 8

Obj = dict[str, Any]
Key = tuple[str, str, str]  # kind, namespace, name


@dataclasses.dataclass(frozen=True)
class Health:
    state: str
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class Sync:
    state: str  # IN_SYNC, OUT_OF_SYNC or UNKNOWN
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class Target:
    """One deployment to look at: its spec, whether Eyrie paused it, and its health last time."""

    key: Any
    spec: DeploymentSpec
    paused: bool = False
    previous: str | None = None


def health_of(live: Mapping[str, Any] | None, previous: str | None = None) -> Health:
    """Health of a workload as read from the cluster (None: it does not exist).

    >>> health_of(None).state
    'missing'
    >>> health_of({"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2},
    ...            "status": {"replicas": 2, "updatedReplicas": 2, "readyReplicas": 2}})
    Health(state='healthy', reason='2/2 pods ready')
    >>> health_of({"kind": "PerconaXtraDBCluster", "metadata": {"name": "db"}, "spec": {},
    ...            "status": {"state": "error", "message": ["pxc: back-off restarting"]}})
    Health(state='degraded', reason='operator state error: pxc: back-off restarting')
    """
    if live is None:
        return Health(MISSING, "not found on the cluster")
    reader = _READERS.get(live.get("kind", ""))
    if reader is None:
        return Health(HEALTHY, "present")
    return reader(live, previous in (HEALTHY, DEGRADED))


def _generation_seen(live: Mapping[str, Any]) -> bool:
    status = live.get("status") or {}
    generation = int((live.get("metadata") or {}).get("generation", 0))
    return int(status.get("observedGeneration", generation)) >= generation


def _condition(live: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    conditions = (live.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if isinstance(c, Mapping) and c.get("type") == kind), {})


def _condition_text(condition: Mapping[str, Any]) -> str:
    return shorten(str(condition.get("message") or condition.get("reason") or condition.get("type")), 160)


def _pods(ready: int, wanted: int, was_healthy: bool, noun: str) -> Health:
    """Settled numbers: healthy when enough are ready, else degraded after being healthy."""
    if ready >= wanted:
        return Health(HEALTHY, f"{ready}/{wanted} {noun} ready")
    return Health(DEGRADED if was_healthy else PROGRESSING, f"{ready}/{wanted} {noun} ready")


def _deployment(live: Mapping[str, Any], was_healthy: bool) -> Health:
    spec, status = live.get("spec") or {}, live.get("status") or {}
    wanted = int(spec.get("replicas", 1))
    if wanted == 0:
        running = int(status.get("replicas", 0))
        return Health(PAUSED, "scaled to 0") if not running else Health(PROGRESSING, f"stopping: {running} pods left")
    progressing = _condition(live, "Progressing")
    if progressing.get("status") == "False" and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(DEGRADED, f"rollout stuck: {_condition_text(progressing)}")
    failure = _condition(live, "ReplicaFailure")
    if failure.get("status") == "True":
        return Health(DEGRADED, f"pods cannot be created: {_condition_text(failure)}")
    if not _generation_seen(live):
        return Health(PROGRESSING, "waiting for the controller to see the change")
    updated = int(status.get("updatedReplicas", 0))
    if updated < wanted:
        return Health(PROGRESSING, f"rolling out: {updated}/{wanted} pods updated")
    if int(status.get("replicas", 0)) > updated:
        return Health(PROGRESSING, "rolling out: old pods terminating")
    return _pods(int(status.get("readyReplicas", 0)), wanted, was_healthy, "pods")


def _postgres_cluster(live: Mapping[str, Any], was_healthy: bool) -> Health:
    spec, status = live.get("spec") or {}, live.get("status") or {}
    instances = [i for i in status.get("instances") or [] if isinstance(i, Mapping)]
    ready = sum(int(i.get("readyReplicas", 0)) for i in instances)
    if spec.get("shutdown"):
        running = sum(int(i.get("replicas", 0)) for i in instances)
        return Health(PAUSED, "shut down") if not running else Health(PROGRESSING, "shutting down")
    if not status:
        return Health(PROGRESSING, "waiting for the operator to report a status")
    if not _generation_seen(live):
        return Health(PROGRESSING, "waiting for the operator to see the change")
    wanted = sum(int(i.get("replicas", 1)) for i in spec.get("instances") or [])
    updated = sum(int(i.get("updatedReplicas", 0)) for i in instances)
    if updated < wanted:
        return Health(PROGRESSING, f"rolling out: {updated}/{wanted} instances updated")
    return _pods(ready, wanted, was_healthy, "instances")


def _pxc_cluster(live: Mapping[str, Any], was_healthy: bool) -> Health:
    spec, status = live.get("spec") or {}, live.get("status") or {}
    state = str(status.get("state") or "")
    nodes = status.get("pxc") or {}
    counts = f"{nodes.get('ready', 0)}/{nodes.get('size', (spec.get('pxc') or {}).get('size', '?'))} nodes ready"
    if spec.get("pause"):
        return Health(PAUSED, "paused") if state == "paused" else Health(PROGRESSING, f"pausing ({state or 'pending'})")
    if state == "ready":
        return Health(HEALTHY, counts)
    if state == "error":
        messages = status.get("message") or []
        detail = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
        return Health(DEGRADED, shorten(f"operator state error: {detail or counts}", 200))
    if state in ("", "initializing", "stopping", "paused"):
        if state == "initializing" and was_healthy and _generation_seen(live):
            return Health(DEGRADED, counts)
        return Health(PROGRESSING, f"operator state {state or 'pending'}: {counts}")
    return Health(UNKNOWN, f"operator state {shorten(state, 40)}")


_READERS = {
    "Deployment": _deployment,
    "PostgresCluster": _postgres_cluster,
    "PerconaXtraDBCluster": _pxc_cluster,
}


def desired_objects(spec: DeploymentSpec, paused: bool = False) -> list[Obj]:
    """What a run of ``spec`` leaves on the cluster: its objects, the workload paused if it is."""
    objects = objects_for(spec)
    if not paused:
        return objects
    target, patch, _subresource = pause_patch(spec, paused=True)
    key = _key(target)
    return [apply_merge_patch(obj, patch) if _key(obj) == key else obj for obj in objects]


def sync_of(desired: Iterable[Obj], live: Mapping[Key, Obj]) -> Sync:
    """In sync when every desired object exists and holds every field Eyrie sets (server defaults
    and fields others add do not count, see :mod:`.compare`). The reason names the objects and
    fields, never values.

    >>> config = {"kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"x": "1"}}
    >>> sync_of([config], {("ConfigMap", "n", "a"): {**config, "metadata": {**config["metadata"], "uid": "u"}}})
    Sync(state='in_sync', reason='')
    >>> sync_of([config], {("ConfigMap", "n", "a"): {**config, "data": {"x": "2"}}})
    Sync(state='out_of_sync', reason='ConfigMap a: data.x')
    >>> sync_of([config], {})
    Sync(state='out_of_sync', reason='ConfigMap a: missing')
    """
    problems = []
    for obj in desired:
        comparison = compare(obj, live.get(_key(obj)), create_only=is_create_only(obj))
        name = f"{obj['kind']} {obj['metadata']['name']}"
        if comparison.action == CREATE:
            problems.append(f"{name}: missing")
        elif comparison.action == CHANGE:
            paths = [change.path for change in comparison.changes]
            more = f" and {len(paths) - PATHS_SHOWN} more" if len(paths) > PATHS_SHOWN else ""
            problems.append(f"{name}: {', '.join(paths[:PATHS_SHOWN])}{more}")
    return Sync(OUT_OF_SYNC, "; ".join(problems)) if problems else Sync(IN_SYNC)


def _key(obj: Mapping[str, Any]) -> Key:
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace", "") if obj["kind"] != "Namespace" else ""
    return obj["kind"], namespace, metadata.get("name", "")


def list_failure(error: KubeError, kind: str) -> str:
    """What a failed list of ``kind`` means for the deployments that need it."""
    if error.status is None:
        return f"cluster unreachable: {error.message.partition(': ')[2] or error.message}"
    if isinstance(error, NotFound):
        return f"the cluster does not serve {kind} objects (is its operator installed?)"
    if error.status in (401, 403):
        return f"no permission to list {kind} objects (HTTP {error.status})"
    return shorten(error.message)


def survey(kube: Operations, targets: Iterable[Target]) -> dict[Any, tuple[Health, Sync]]:
    """{target key: (health, sync)} of ``targets`` (deployments of the cluster of ``kube``).

    Lists each kind the targets use once, cluster-wide with Eyrie's label selector. When the
    cluster cannot be reached, the kinds left are not tried (each would wait for the same
    connection to fail).
    """
    by_key = {target.key: target for target in targets}
    wanted = {key: desired_objects(target.spec, target.paused) for key, target in by_key.items()}
    live: dict[Key, Obj] = {}
    failed: dict[str, str] = {}
    unreachable = ""
    for kind in sorted({obj["kind"] for objects in wanted.values() for obj in objects}):
        if unreachable:
            failed[kind] = unreachable
            continue
        try:
            items = kube.list_objects(kind, SELECTOR)
        except KubeError as error:
            failed[kind] = list_failure(error, kind)
            unreachable = failed[kind] if error.status is None else ""
            continue
        # Items of a list carry no kind or apiVersion: they are the list's.
        typed = ({**item, "apiVersion": resource_for(kind).api_version, "kind": kind} for item in items)
        live.update({_key(item): item for item in typed})
    answers = {}
    for key, objects in wanted.items():
        target = by_key[key]
        work = workload(target.spec)
        if work["kind"] in failed:
            health = Health(UNKNOWN, failed[work["kind"]])
        else:
            health = health_of(live.get(_key(work)), target.previous)
        reasons = sorted({failed[obj["kind"]] for obj in objects if obj["kind"] in failed})
        sync = Sync(UNKNOWN, "; ".join(reasons)) if reasons else sync_of(objects, live)
        answers[key] = (health, sync)
    return answers

"""Read a live object's status into one plain summary.

``ready`` means "settled in the state that was asked for": pods up and
current for a running Deployment, none left for one scaled to 0, a Job
succeeded, a database cluster ready (or fully stopped while paused).
``phase`` says which state that is, for a health view.  ``failed`` marks a
state that waiting cannot fix (a Job out of retries).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import shorten
from .resources import ObjectRef, ref

Summary = dict[str, Any]
_Part = dict[str, Any]


def summarize(live: Mapping[str, Any]) -> Summary:
    """Status summary of an object as read from the cluster."""
    status = live.get("status") or {}
    summary = _base(ref(live), exists=True)
    summary["conditions"] = [
        {
            "type": condition.get("type", ""),
            "status": condition.get("status", ""),
            "reason": condition.get("reason", ""),
            "message": shorten(str(condition.get("message", ""))),
        }
        for condition in status.get("conditions") or []
    ]
    by_kind = _BY_KIND.get(live["kind"], _present)
    summary.update(by_kind(live.get("spec") or {}, status, live.get("metadata") or {}))
    return summary


def missing(target: ObjectRef) -> Summary:
    """Summary of an object that does not exist."""
    summary = _base(target, exists=False)
    summary["phase"] = "Missing"
    return summary


def _base(target: ObjectRef, exists: bool) -> Summary:
    return {
        "kind": target.resource.kind,
        "name": target.name,
        "namespace": target.namespace,
        "exists": exists,
        "ready": False,
        "failed": False,
        "phase": "",
        "replicas": None,
        "ready_replicas": None,
        "conditions": [],
    }


def _present(spec: Mapping[str, Any], status: Mapping[str, Any], meta: Mapping[str, Any]) -> _Part:
    # Secrets, Services, claims...: existing is all they do.
    return {"ready": True, "phase": "Present"}


def _deployment(spec: Mapping[str, Any], status: Mapping[str, Any], meta: Mapping[str, Any]) -> _Part:
    replicas = int(spec.get("replicas", 1))
    ready_replicas = int(status.get("readyReplicas", 0))
    # Right after a change the status still describes the previous generation.
    generation = int(meta.get("generation", 0))
    current = int(status.get("observedGeneration", generation)) >= generation
    if replicas == 0:
        ready = current and int(status.get("replicas", 0)) == 0
        phase = "Stopped" if ready else "Stopping"
    else:
        updated = int(status.get("updatedReplicas", 0))
        ready = current and ready_replicas >= replicas and updated >= replicas
        phase = "Ready" if ready else "Progressing"
    return {"ready": ready, "phase": phase, "replicas": replicas, "ready_replicas": ready_replicas}


def _job(spec: Mapping[str, Any], status: Mapping[str, Any], meta: Mapping[str, Any]) -> _Part:
    succeeded = int(status.get("succeeded", 0)) >= int(spec.get("completions", 1))
    failed = not succeeded and any(
        condition.get("type") == "Failed" and condition.get("status") == "True"
        for condition in status.get("conditions") or []
    )
    phase = "Succeeded" if succeeded else "Failed" if failed else "Running"
    return {"ready": succeeded, "failed": failed, "phase": phase}


def _postgres_cluster(spec: Mapping[str, Any], status: Mapping[str, Any], meta: Mapping[str, Any]) -> _Part:
    replicas = sum(int(instance.get("replicas", 1)) for instance in spec.get("instances") or [])
    ready_replicas = sum(int(instance.get("readyReplicas", 0)) for instance in status.get("instances") or [])
    if spec.get("shutdown"):
        ready, phase = ready_replicas == 0, "Stopped" if ready_replicas == 0 else "Stopping"
    else:
        ready = replicas > 0 and ready_replicas >= replicas
        phase = "Ready" if ready else "Progressing"
    return {"ready": ready, "phase": phase, "replicas": replicas, "ready_replicas": ready_replicas}


def _pxc_cluster(spec: Mapping[str, Any], status: Mapping[str, Any], meta: Mapping[str, Any]) -> _Part:
    # The operator sums it up in status.state: initializing, ready, paused, stopping, error.
    state = str(status.get("state", ""))
    wanted = "paused" if spec.get("pause") else "ready"
    return {
        "ready": state == wanted,
        "phase": state.capitalize() or "Pending",
        "replicas": (spec.get("pxc") or {}).get("size"),
        "ready_replicas": (status.get("pxc") or {}).get("ready"),
    }


_BY_KIND: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], _Part]] = {
    "Deployment": _deployment,
    "Job": _job,
    "PostgresCluster": _postgres_cluster,
    "PerconaXtraDBCluster": _pxc_cluster,
}

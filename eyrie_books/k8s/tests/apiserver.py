"""What a real API server does to an object before it stores it, for the kmock test server.

kmock stores what it is sent.  A real API server, for its built-in kinds,
drops empty lists and maps (Go's ``omitempty``), fills defaults (a
Deployment's strategy, a container's pull policy, a Service's clusterIP...),
and for every kind writes ``uid``, ``resourceVersion``,
``creationTimestamp`` and a ``generation`` that grows only when the spec
changes.  :func:`stored` does the same, so that tests see what Eyrie reads
back from a real cluster (and a comparison that only works on what was sent
fails here too).
"""
from __future__ import annotations

import base64
import copy
import datetime
import itertools
import uuid
from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]

BUILT_IN_GROUPS = frozenset({"v1", "apps/v1", "batch/v1", "networking.k8s.io/v1"})
# Go maps (dropped when empty); Go structs stay even when empty ({} for emptyDir, securityContext).
_MAPS = frozenset({
    "labels", "annotations", "data", "stringData", "binaryData", "matchLabels", "nodeSelector",
    "limits", "requests", "selector",
})
# Kinds whose metadata.generation follows spec changes.
_GENERATION_KINDS = frozenset({"Deployment", "Job", "Ingress"})
_RESOURCE_VERSIONS = itertools.count(1000)
_CLUSTER_IPS = itertools.count(10)


def stored(obj: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> Obj:
    """``obj`` (created, or ``old`` after a write) as the API server stores it."""
    result = copy.deepcopy(dict(obj))
    built_in = result.get("apiVersion") in BUILT_IN_GROUPS
    if built_in:
        result = _prune(result)
        _DEFAULTS.get(result.get("kind", ""), _nothing)(result)
    meta = result.setdefault("metadata", {})
    old_meta = (old or {}).get("metadata", {})
    for key in ("uid", "creationTimestamp", "generation"):
        if key in old_meta:
            meta[key] = old_meta[key]
    meta.setdefault("uid", str(uuid.uuid4()))
    meta.setdefault("creationTimestamp", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if "spec" in result and (not built_in or result.get("kind") in _GENERATION_KINDS):
        generation = int(meta.get("generation", 0))
        meta["generation"] = generation + 1 if old is None or old.get("spec") != result["spec"] else generation
    if old is None or _without_version(old) != _without_version(result):
        meta["resourceVersion"] = str(next(_RESOURCE_VERSIONS))
    return result


def merge_patch_between(old: Mapping[str, Any], new: Mapping[str, Any]) -> Obj:
    """The JSON merge patch that turns ``old`` into ``new`` exactly (None removes a key)."""
    patch: Obj = {key: None for key in old if key not in new}
    for key, value in new.items():
        if key in old and isinstance(value, Mapping) and isinstance(old[key], Mapping):
            inner = merge_patch_between(old[key], value)
            if inner:
                patch[key] = inner
        elif key not in old or old[key] != value:
            patch[key] = value
    return patch


def _without_version(obj: Mapping[str, Any]) -> Obj:
    meta = {key: value for key, value in obj.get("metadata", {}).items() if key != "resourceVersion"}
    return {**obj, "metadata": meta}


def _prune(value: Any, key: str = "") -> Any:
    """Drop None values, empty lists and empty maps, as Go's ``omitempty`` does."""
    if isinstance(value, Mapping):
        result = {}
        for name, item in value.items():
            item = _prune(item, name)
            if item is None or item == [] or (item == {} and name in _MAPS):
                continue
            result[name] = item
        return result
    if isinstance(value, list):
        return [_prune(item, key) for item in value]
    return value


def _nothing(obj: Obj) -> None:
    """A kind without defaults here."""


def _deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {"maxUnavailable": "25%", "maxSurge": "25%"})
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _pod_template(spec)


def _job(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    for key, value in (("parallelism", 1), ("completions", 1), ("backoffLimit", 6),
                       ("completionMode", "NonIndexed"), ("suspend", False)):
        spec.setdefault(key, value)
    _pod_template(spec)


def _pod_template(spec: Obj) -> None:
    pod = spec.setdefault("template", {}).setdefault("spec", {})
    for key, value in (("restartPolicy", "Always"), ("dnsPolicy", "ClusterFirst"),
                       ("schedulerName", "default-scheduler"), ("terminationGracePeriodSeconds", 30),
                       ("securityContext", {})):
        pod.setdefault(key, value)
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        image = container.get("image", "")
        tag = image.rpartition("/")[2].partition("@")[0]
        latest = ":" not in tag or tag.endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
        for port in container.get("ports", []):
            port.setdefault("protocol", "TCP")
        for probe in (container.get(name) for name in ("readinessProbe", "livenessProbe", "startupProbe")):
            if probe:
                for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                                   ("failureThreshold", 3)):
                    probe.setdefault(key, value)
                if "httpGet" in probe:
                    probe["httpGet"].setdefault("scheme", "HTTP")
    for volume in pod.get("volumes", []):
        for source in ("configMap", "secret"):
            if source in volume:
                volume[source].setdefault("defaultMode", 420)


def _service(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    ip = f"10.96.{next(_CLUSTER_IPS) % 250}.{next(_CLUSTER_IPS) % 250 + 1}"
    spec.setdefault("clusterIP", ip)
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    for key, value in (("sessionAffinity", "None"), ("ipFamilies", ["IPv4"]), ("ipFamilyPolicy", "SingleStack"),
                       ("internalTrafficPolicy", "Cluster")):
        spec.setdefault(key, value)
    for port in spec.get("ports", []):
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))


def _ingress(obj: Obj) -> None:
    obj.setdefault("status", {"loadBalancer": {}})


def _secret(obj: Obj) -> None:
    obj.setdefault("type", "Opaque")
    text = obj.pop("stringData", None) or {}
    if text:
        obj.setdefault("data", {}).update({key: base64.b64encode(value.encode()).decode()
                                           for key, value in text.items()})


def _claim(obj: Obj) -> None:
    obj.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
    obj.setdefault("status", {"phase": "Pending"})


def _namespace(obj: Obj) -> None:
    obj.setdefault("metadata", {}).setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    obj.setdefault("spec", {"finalizers": ["kubernetes"]})
    obj.setdefault("status", {"phase": "Active"})


_DEFAULTS = {
    "Deployment": _deployment,
    "Job": _job,
    "Service": _service,
    "Ingress": _ingress,
    "Secret": _secret,
    "PersistentVolumeClaim": _claim,
    "Namespace": _namespace,
}

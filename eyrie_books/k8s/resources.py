"""The kinds this layer manages and where they live in the API.

One table (:data:`RESOURCES`) says, per kind, its API group/version, plural
and scope.  :func:`api_path` is the one function that turns an object
reference into a URL path; the dry-run client records it and the tests check
that the real client sends exactly the same paths.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resource:
    """Where objects of one kind are served."""

    api_version: str  # "v1", "apps/v1", "pxc.percona.com/v1"
    kind: str
    plural: str
    namespaced: bool = True
    scalable: bool = False  # has a "scale" subresource

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


RESOURCES: dict[str, Resource] = {
    resource.kind: resource
    for resource in (
        Resource("v1", "Namespace", "namespaces", namespaced=False),
        Resource("v1", "Secret", "secrets"),
        Resource("v1", "ConfigMap", "configmaps"),
        Resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
        Resource("v1", "Service", "services"),
        Resource("apps/v1", "Deployment", "deployments", scalable=True),
        Resource("batch/v1", "Job", "jobs"),
        Resource("networking.k8s.io/v1", "Ingress", "ingresses"),
        Resource("postgres-operator.crunchydata.com/v1beta1", "PostgresCluster", "postgresclusters"),
        Resource("pxc.percona.com/v1", "PerconaXtraDBCluster", "perconaxtradbclusters"),
    )
}


@dataclass(frozen=True)
class ObjectRef:
    """Enough to address one object: its resource, namespace and name."""

    resource: Resource
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.resource.namespaced else self.name
        return f"{self.resource.kind} {where}"


def resource_for(kind: str) -> Resource:
    """The table entry of ``kind``; ValueError for kinds this layer does not manage."""
    try:
        return RESOURCES[kind]
    except KeyError:
        raise ValueError(f"unsupported kind {kind!r}") from None


def ref(obj: Mapping[str, Any]) -> ObjectRef:
    """The reference of a built (or read) object."""
    resource = resource_for(obj["kind"])
    metadata = obj["metadata"]
    namespace = metadata.get("namespace", "") if resource.namespaced else ""
    return ObjectRef(resource, namespace, metadata["name"])


def api_path(target: ObjectRef, *, collection: bool = False, subresource: str = "") -> str:
    """URL path of ``target`` (or of its collection, where objects are created)."""
    resource = target.resource
    prefix = f"/apis/{resource.api_version}" if resource.group else f"/api/{resource.version}"
    if resource.namespaced and target.namespace:  # without one: the list of all namespaces
        prefix += f"/namespaces/{target.namespace}"
    path = f"{prefix}/{resource.plural}"
    if not collection:
        path += f"/{target.name}"
        if subresource:
            path += f"/{subresource}"
    return path

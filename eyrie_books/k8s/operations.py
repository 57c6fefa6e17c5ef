"""Operations on a cluster: ensure, read, delete, scale, pause/resume, wait, status.

The logic lives once, in :class:`Operations`, on top of a single primitive
``_send(verb, target, body, subresource)``.  Two classes provide it:

* :class:`Kube` sends through the official ``kubernetes`` client on the
  ``ApiClient`` it is given, picking the typed API by kind (``CoreV1Api``,
  ``AppsV1Api``, ``BatchV1Api``, ``NetworkingV1Api``) and
  ``CustomObjectsApi`` for the operators' resources.  Responses come back as
  plain dicts; failures as :mod:`.errors` through :func:`~.errors.translate`.
* :class:`DryRunKube` sends nothing: it records ``(method, path, body)`` with
  :func:`~.resources.api_path` and answers from what it was sent before.

``ensure`` is idempotent: it reads the live object, creates it when missing,
and otherwise sends the smallest merge patch, or nothing when the live object
already holds every desired field (:mod:`.compare`).  Every write is a JSON
merge patch.
"""
from __future__ import annotations

import copy
import json
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, NamedTuple

import urllib3.exceptions
from kubernetes.client import (
    ApiClient,
    AppsV1Api,
    BatchV1Api,
    CoreV1Api,
    CustomObjectsApi,
    NetworkingV1Api,
    VersionApi,
)
from kubernetes.client.exceptions import ApiException

from .builders import Obj, is_create_only, pause_patch
from .compare import patch_for
from .errors import Conflict, NotFound, PermanentError, RetryableError, WaitTimeout, translate
from .patching import apply_merge_patch
from .readiness import Summary, missing, summarize
from .resources import ObjectRef, api_path, ref, resource_for
from .spec import DeploymentSpec, check_dns_label, check_dns_subdomain, check_integer

Outcome = Literal["created", "patched", "unchanged"]
Verb = Literal["create", "read", "patch", "delete"]

MERGE_PATCH = "application/merge-patch+json"
VERSION_PATH = "/version/"  # as the client sends it
HTTP_METHODS: dict[Verb, str] = {"create": "POST", "read": "GET", "patch": "PATCH", "delete": "DELETE"}


class PlannedRequest(NamedTuple):
    """One request as a dry run records it."""

    method: str
    path: str
    body: dict[str, Any] | None


class Operations(ABC):
    """Everything a book step does to a cluster, over one ``_send`` primitive."""

    @abstractmethod
    def _send(self, verb: Verb, target: ObjectRef, body: Obj | None = None, subresource: str = "") -> Obj:
        """Send one request about ``target``; return the decoded response."""

    @abstractmethod
    def check_connection(self) -> dict[str, Any]:
        """The API server's version information (proves the credentials work)."""

    def list_objects(self, kind: str, label_selector: str) -> list[Obj]:
        """Every object of ``kind`` in all namespaces that ``label_selector`` selects, in one request
        (health refreshes: a real cluster or a dry run; not a preview)."""
        raise NotImplementedError(f"{type(self).__name__} does not list objects")

    def ensure(self, obj: Obj, create_only: bool = False) -> Outcome:
        """Make ``obj`` exist with its fields; "created", "patched" or "unchanged".

        Read first: an object that already holds every field Eyrie sets gets no write at all
        (see :mod:`.compare`). ``create_only`` leaves an existing object as it is (generated secrets).
        """
        target = ref(obj)
        live = self.read(obj)
        if live is None:
            try:
                self._send("create", target, obj)
                return "created"
            except Conflict as conflict:  # created meanwhile, or refused: read it back
                try:
                    live = self._send("read", target)
                except NotFound as exc:
                    raise RetryableError(f"{conflict}; then not found when read back", 409) from exc
        if live.get("metadata", {}).get("deletionTimestamp"):
            raise RetryableError(f"{target} is being deleted: it will be created again once gone", 409)
        if create_only:
            return "unchanged"
        patch = patch_for(obj, live)
        if not patch:
            return "unchanged"
        self._send("patch", target, patch)
        return "patched"

    def ensure_all(self, objs: Iterable[Obj]) -> list[tuple[str, Outcome]]:
        """Ensure each object in order, create-only where the builders say so."""
        return [(str(ref(obj)), self.ensure(obj, create_only=is_create_only(obj))) for obj in objs]

    def read(self, obj: Obj) -> Obj | None:
        """The live object, or None when it does not exist."""
        try:
            return self._send("read", ref(obj))
        except NotFound:
            return None

    def delete(self, obj: Obj, propagation: str = "Foreground") -> bool:
        """Delete ``obj``; False when it was already gone."""
        try:
            self._send("delete", ref(obj), {"propagationPolicy": propagation})
        except NotFound:
            return False
        return True

    def scale(self, kind: str, namespace: str, name: str, replicas: int) -> Obj:
        """Set the replicas of a scalable object through its ``scale`` subresource."""
        resource = resource_for(kind)
        if not resource.scalable:
            raise ValueError(f"{kind} cannot be scaled")
        check_dns_label("namespace", namespace)
        check_dns_subdomain("name", name)
        check_integer("replicas", replicas, 0)
        target = ObjectRef(resource, namespace, name)
        return self._send("patch", target, {"spec": {"replicas": replicas}}, "scale")

    def pause(self, spec: DeploymentSpec) -> Obj:
        """Stop the deployment's pods, keeping its data (scale to 0, or the operator's switch)."""
        return self._pause(spec, paused=True)

    def resume(self, spec: DeploymentSpec) -> Obj:
        """Undo :meth:`pause`: back to ``spec.replicas``, or the operator's switch off."""
        return self._pause(spec, paused=False)

    def _pause(self, spec: DeploymentSpec, paused: bool) -> Obj:
        """Read first: a workload already paused (or running) gets no write."""
        target, patch, subresource = pause_patch(spec, paused)
        live = self.read(target)
        if live is not None and not patch_for(patch, live):
            return live
        return self._send("patch", ref(target), patch, subresource)

    def job_log(self, job: Obj, tail: int = 40) -> str:
        """The last ``tail`` lines printed by the newest pod of ``job`` ('' when it has none)."""
        return ""

    def status(self, obj: Obj) -> Summary:
        """Plain summary of the live object (see :mod:`.readiness`)."""
        live = self.read(obj)
        return missing(ref(obj)) if live is None else summarize(live)

    def check_ready(self, obj: Obj) -> Summary:
        """One look at ``obj``: its summary, ready or not; PermanentError if it failed (a failed Job:
        waiting cannot fix it). For a caller that waits between looks without holding a thread."""
        summary = self.status(obj)
        if summary["failed"]:
            raise PermanentError(f"{ref(obj)} failed ({_conditions_text(summary)})")
        return summary

    def wait_ready(self, obj: Obj, timeout: float, poll: float = 2.0) -> Summary:
        """Poll until ``obj`` is ready; WaitTimeout (retryable) after ``timeout`` seconds.

        A state that waiting cannot fix (a failed Job) raises PermanentError.
        """
        deadline = time.monotonic() + timeout
        while True:
            summary = self.check_ready(obj)
            if summary["ready"]:
                return summary
            if time.monotonic() + poll > deadline:
                raise WaitTimeout(
                    f"{ref(obj)} not ready after {timeout:g}s (phase {summary['phase']})",
                    retry_after=poll,
                )
            time.sleep(poll)


class Kube(Operations):
    """Operations on a real cluster through ``api_client``."""

    # Typed APIs by apiVersion; any other apiVersion is a custom resource.
    _TYPED_APIS: dict[str, Callable[[ApiClient], Any]] = {
        "v1": CoreV1Api,
        "apps/v1": AppsV1Api,
        "batch/v1": BatchV1Api,
        "networking.k8s.io/v1": NetworkingV1Api,
    }

    def __init__(self, api_client: ApiClient, timeout: float = 30.0) -> None:
        self.api_client = api_client
        self.timeout = timeout  # seconds, per request

    def check_connection(self) -> dict[str, Any]:
        return self._call("API server", VersionApi(self.api_client).get_code)

    def list_objects(self, kind: str, label_selector: str) -> list[Obj]:
        resource = resource_for(kind)
        typed_api = self._TYPED_APIS.get(resource.api_version)
        if typed_api is None:
            method = CustomObjectsApi(self.api_client).list_cluster_custom_object
            args = [resource.group, resource.version, resource.plural]
        else:
            suffix = "_for_all_namespaces" if resource.namespaced else ""
            method, args = getattr(typed_api(self.api_client), f"list_{_snake(kind)}{suffix}"), []
        items = self._call(f"list of {resource.plural}", method, *args, label_selector=label_selector).get("items")
        return [item for item in items or [] if isinstance(item, dict)]

    def job_log(self, job: Obj, tail: int = 40) -> str:
        namespace, name = job["metadata"]["namespace"], job["metadata"]["name"]
        core = CoreV1Api(self.api_client)
        pods = self._call(f"pods of Job {name}", core.list_namespaced_pod, namespace,
                          label_selector=f"job-name={name}").get("items") or []
        if not pods:
            return ""
        newest = max(pods, key=lambda pod: pod.get("metadata", {}).get("creationTimestamp") or "")
        pod = newest["metadata"]["name"]
        try:
            response = core.read_namespaced_pod_log(
                pod, namespace, tail_lines=tail, limit_bytes=64 * 1024,
                _preload_content=False, _request_timeout=self.timeout,
            )
            return bytes(response.data).decode(errors="replace")
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise translate(exc, f"log of pod {pod}") from exc

    def _send(self, verb: Verb, target: ObjectRef, body: Obj | None = None, subresource: str = "") -> Obj:
        method, args = self._api_method(verb, target, subresource)
        kwargs: dict[str, Any] = {} if body is None else {"body": body}
        if verb == "patch":
            # For a dict the client would pick a strategic merge patch, which custom
            # resources refuse (415). kmock treats every PATCH as a merge patch anyway,
            # so the tests exercise the same semantics a real server applies.
            kwargs["_content_type"] = MERGE_PATCH
        return self._call(str(target), method, *args, **kwargs)

    def _call(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Obj:
        try:
            response = method(
                *args, _preload_content=False, _request_timeout=self.timeout, **kwargs
            )
            # Read here: a server that stalls or breaks after its headers fails the body read.
            body = response.data
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise translate(exc, what) from exc
        try:
            decoded = json.loads(body or b"{}")
        except ValueError as exc:
            raise RetryableError(f"{what}: the API server sent no JSON") from exc
        return decoded if isinstance(decoded, dict) else {}

    def _api_method(
        self, verb: Verb, target: ObjectRef, subresource: str
    ) -> tuple[Callable[..., Any], list[str]]:
        """The client method for ``verb`` on ``target`` and its positional arguments."""
        resource = target.resource
        named = [] if verb == "create" else [target.name]
        where = [target.namespace] if resource.namespaced else []
        suffix = f"_{subresource}" if subresource else ""
        typed_api = self._TYPED_APIS.get(resource.api_version)
        if typed_api is None:
            scope = "namespaced" if resource.namespaced else "cluster"
            action = "get" if verb == "read" else verb
            name = f"{action}_{scope}_custom_object{suffix}"
            args = [resource.group, resource.version, *where, resource.plural, *named]
            return getattr(CustomObjectsApi(self.api_client), name), args
        scope = "namespaced_" if resource.namespaced else ""
        name = f"{verb}_{scope}{_snake(resource.kind)}{suffix}"
        return getattr(typed_api(self.api_client), name), [*named, *where]


class DryRunKube(Operations):
    """Sends nothing; records each request and answers like an empty cluster would.

    What it created is remembered (and patched, deleted) so later answers
    stay consistent within one instance.  Nothing runs in a dry run, so every
    object it holds counts as ready.
    """

    def __init__(self) -> None:
        self.requests: list[PlannedRequest] = []
        self._objects: dict[str, Obj] = {}

    def check_connection(self) -> dict[str, Any]:
        self.requests.append(PlannedRequest("GET", VERSION_PATH, None))
        return {"gitVersion": "dry-run", "platform": "dry-run"}

    def status(self, obj: Obj) -> Summary:
        summary = super().status(obj)
        summary["ready"] = summary["exists"]
        return summary

    def list_objects(self, kind: str, label_selector: str) -> list[Obj]:
        resource = resource_for(kind)
        path = api_path(ObjectRef(resource, "", ""), collection=True)
        self.requests.append(PlannedRequest("GET", f"{path}?labelSelector={label_selector}", None))
        wanted = dict(part.split("=", 1) for part in label_selector.split(",") if part)
        return [
            copy.deepcopy(obj) for obj in self._objects.values()
            if obj.get("kind") == kind
            and all(obj.get("metadata", {}).get("labels", {}).get(k) == v for k, v in wanted.items())
        ]

    def _send(self, verb: Verb, target: ObjectRef, body: Obj | None = None, subresource: str = "") -> Obj:
        path = api_path(target, collection=verb == "create", subresource=subresource)
        self.requests.append(PlannedRequest(HTTP_METHODS[verb], path, copy.deepcopy(body)))
        key = api_path(target)
        if verb == "create":
            if key in self._objects:
                raise Conflict(f"{target}: HTTP 409 AlreadyExists", 409)
            self._objects[key] = copy.deepcopy(body or {})
            return copy.deepcopy(self._objects[key])
        if key not in self._objects:
            raise NotFound(f"{target}: HTTP 404 NotFound", 404)
        if verb == "delete":
            return self._objects.pop(key)
        if verb == "patch":
            # Like a real server: a scale patch changes the object's spec.replicas.
            self._objects[key] = apply_merge_patch(self._objects[key], copy.deepcopy(body or {}))
        return copy.deepcopy(self._objects[key])


def _snake(kind: str) -> str:
    """"PersistentVolumeClaim" -> "persistent_volume_claim", as the client names methods."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()


def _conditions_text(summary: Mapping[str, Any]) -> str:
    reasons = [
        f"{c['type']}: {c['reason'] or c['message']}" for c in summary["conditions"] if c["status"] == "True"
    ]
    return "; ".join(reasons) or summary["phase"]

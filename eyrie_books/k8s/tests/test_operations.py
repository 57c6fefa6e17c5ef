"""Operations end to end against the kmock API server emulator."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ..builders import Obj, generic, objects_for, odoo, pgo, pxc, workload
from ..compare import desired_fields
from ..errors import InvalidSpec, PermanentError, RetryableError, WaitTimeout
from ..operations import MERGE_PATCH, Kube
from ..patching import contains
from ..spec import TYPES
from .factories import NAMESPACE, make_spec
from .kmock_server import SERVER_VERSION, MockCluster


def _pause_state(type_: str, live: Obj) -> Any:
    """The field that pause/resume switches, per type."""
    key = {"odoo": "replicas", "none": "replicas", "pgo": "shutdown", "pxc": "pause"}[type_]
    return live["spec"][key]


@pytest.mark.parametrize("type_", TYPES)
def test_lifecycle_create_rerun_pause_resume_delete(kube: Kube, cluster: MockCluster, type_: str) -> None:
    spec = make_spec(type_, replicas=2)
    objs = objects_for(spec)

    assert [outcome for _, outcome in kube.ensure_all(objs)] == ["created"] * len(objs)
    for obj in objs:  # as an API server stores it: defaults filled in, nothing of Eyrie's lost
        assert contains(kube.read(obj), desired_fields(obj))

    before_rerun = len(cluster.requests())
    rerun = kube.ensure_all(objects_for(spec))  # built again: fresh random passwords too
    assert [outcome for _, outcome in rerun] == ["unchanged"] * len(objs)
    assert [method for method, _, _ in cluster.requests()[before_rerun:] if method != "GET"] == []  # no write
    for obj in objs:
        assert contains(kube.read(obj), desired_fields(obj))  # generated secrets kept their first values

    kube.pause(spec)
    paused = kube.read(workload(spec))
    assert paused is not None
    assert _pause_state(type_, paused) == {"odoo": 0, "none": 0, "pgo": True, "pxc": True}[type_]
    kube.resume(spec)
    resumed = kube.read(workload(spec))
    assert resumed is not None
    assert _pause_state(type_, resumed) == {"odoo": 2, "none": 2, "pgo": False, "pxc": False}[type_]

    for obj in reversed(objs):
        assert kube.delete(obj) is True
    for obj in objs:
        assert kube.read(obj) is None
        assert kube.delete(obj) is False  # already gone is fine


def test_pause_scales_through_the_scale_subresource(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("odoo")
    kube.ensure(odoo.deployment(spec))
    kube.pause(spec)
    method, path, body = cluster.requests()[-1]
    assert (method, path, body) == (
        "PATCH",
        f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/web/scale",
        {"spec": {"replicas": 0}},
    )


def test_ensure_patches_only_the_changed_fields_as_a_merge_patch(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("none")
    assert kube.ensure(generic.deployment(spec)) == "created"
    changed = generic.deployment(dataclasses.replace(spec, image="nginx:1.28", version="1.0.1"))

    assert kube.ensure(changed) == "patched"

    method, path, body = cluster.requests()[-1]
    assert (method, path) == ("PATCH", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/app")
    assert body == {
        "metadata": {"annotations": {"eyrie.io/version": "1.0.1"}},
        "spec": {"template": {"spec": {"containers": changed["spec"]["template"]["spec"]["containers"]}}},
    }
    assert list(cluster.emulator)[-1].headers["Content-Type"] == MERGE_PATCH
    live = kube.read(changed)
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert kube.ensure(changed) == "unchanged"


def test_ensure_ignores_server_defaults_and_status(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("none")
    obj = generic.deployment(spec)
    kube.ensure(obj)
    container = dict(obj["spec"]["template"]["spec"]["containers"][0])
    container["terminationMessagePath"] = "/dev/termination-log"  # as a real server adds
    cluster.set_status(obj, {"replicas": 1})
    cluster.emulator.objects["apps/v1/deployments", NAMESPACE, "app"].patch(
        {"spec": {"progressDeadlineSeconds": 600, "template": {"spec": {"containers": [container]}}}}
    )
    assert kube.ensure(obj) == "unchanged"


def test_generated_secret_is_never_regenerated(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("pxc")
    first = pxc.users_secret(spec)
    assert kube.ensure(first, create_only=True) == "created"
    second = pxc.users_secret(spec)
    assert second["data"] != first["data"]

    assert kube.ensure(second, create_only=True) == "unchanged"

    assert [method for method, _, _ in cluster.requests()] == ["GET", "POST", "GET"]  # read, no write
    live = kube.read(second)
    assert live is not None and live["data"] == first["data"]


def test_a_refused_create_is_not_taken_for_an_existing_object(kube: Kube, cluster: MockCluster) -> None:
    secret = pxc.users_secret(make_spec("pxc"))
    cluster.refuse("POST", f"/api/v1/namespaces/{NAMESPACE}/secrets", 409,
                   {"kind": "Status", "reason": "Conflict", "message": "try again"})
    with pytest.raises(RetryableError, match="HTTP 409 Conflict: try again; then not found when read back"):
        kube.ensure(secret, create_only=True)
    assert kube.read(secret) is None
    assert kube.ensure(secret, create_only=True) == "created"


def test_a_terminating_object_is_not_taken_for_an_existing_one(kube: Kube, cluster: MockCluster) -> None:
    secret = pxc.users_secret(make_spec("pxc"))
    secret["metadata"]["finalizers"] = ["example.com/hold"]
    kube.ensure(secret, create_only=True)
    assert kube.delete(secret)  # stays, with a deletionTimestamp, until its finalizer is removed
    with pytest.raises(RetryableError, match="is being deleted"):
        kube.ensure(secret, create_only=True)


def test_scale(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("none")
    kube.ensure(generic.deployment(spec))
    kube.scale("Deployment", NAMESPACE, "app", 3)
    live = kube.read(generic.deployment(spec))
    assert live is not None and live["spec"]["replicas"] == 3

    sent = len(cluster.requests())
    with pytest.raises(InvalidSpec, match="replicas"):
        kube.scale("Deployment", NAMESPACE, "app", -1)
    with pytest.raises(InvalidSpec, match="namespace"):
        kube.scale("Deployment", "Not A Namespace", "app", 1)
    with pytest.raises(ValueError, match="Service cannot be scaled"):
        kube.scale("Service", NAMESPACE, "app", 1)
    assert len(cluster.requests()) == sent  # rejected before sending


def test_delete_asks_for_foreground_propagation(kube: Kube, cluster: MockCluster) -> None:
    obj = odoo.filestore(make_spec("odoo"))
    kube.ensure(obj)
    assert kube.delete(obj) is True
    assert cluster.requests()[-1] == (
        "DELETE",
        f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims/web-filestore",
        {"propagationPolicy": "Foreground"},
    )


def test_status_of_a_missing_object(kube: Kube) -> None:
    summary = kube.status(odoo.deployment(make_spec("odoo")))
    assert summary["exists"] is False
    assert summary["ready"] is False
    assert summary["phase"] == "Missing"
    assert (summary["kind"], summary["namespace"], summary["name"]) == ("Deployment", NAMESPACE, "web")


def test_status_reports_replicas_and_conditions(kube: Kube, cluster: MockCluster) -> None:
    obj = odoo.deployment(make_spec("odoo"))
    kube.ensure(obj)
    cluster.set_status(obj, {
        "readyReplicas": 0,
        "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                        "message": "Deployment does not have minimum availability."}],
    })
    summary = kube.status(obj)
    assert summary["exists"] is True
    assert (summary["ready"], summary["phase"]) == (False, "Progressing")
    assert (summary["replicas"], summary["ready_replicas"]) == (1, 0)
    assert summary["conditions"] == [{
        "type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
        "message": "Deployment does not have minimum availability.",
    }]


@pytest.mark.parametrize(
    ("obj", "status"),
    [
        (odoo.deployment(make_spec("odoo")), {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}),
        (odoo.init_job(make_spec("odoo")), {"succeeded": 1}),
        (pgo.postgres_cluster(make_spec("pgo")), {"instances": [{"name": "instance1", "readyReplicas": 2}]}),
        (pxc.pxc_cluster(make_spec("pxc")), {"state": "ready", "pxc": {"ready": 3}}),
    ],
    ids=["deployment", "job", "postgrescluster", "pxc"],
)
def test_wait_ready_returns_once_ready(kube: Kube, cluster: MockCluster, obj: Obj, status: dict[str, Any]) -> None:
    kube.ensure(obj)
    assert kube.status(obj)["ready"] is False
    cluster.set_status(obj, status)
    summary = kube.wait_ready(obj, timeout=1, poll=0.01)
    assert summary["ready"] is True


def test_wait_ready_times_out_as_retryable(kube: Kube) -> None:
    obj = pgo.postgres_cluster(make_spec("pgo"))
    kube.ensure(obj)
    with pytest.raises(WaitTimeout) as info:
        kube.wait_ready(obj, timeout=0.05, poll=0.01)
    assert str(info.value) == "PostgresCluster eyrie-acme/db not ready after 0.05s (phase Progressing)"
    assert isinstance(info.value, RetryableError)
    assert info.value.retry_after == 0.01


def test_wait_ready_fails_permanently_on_a_failed_job(kube: Kube, cluster: MockCluster) -> None:
    job = odoo.init_job(make_spec("odoo"))
    kube.ensure(job)
    cluster.set_status(job, {"failed": 3, "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "backoff limit reached"},
    ]})
    with pytest.raises(PermanentError, match=r"^Job eyrie-acme/web-db-init failed \(Failed: BackoffLimitExceeded\)$"):
        kube.wait_ready(job, timeout=1, poll=0.01)


def test_check_connection_returns_the_server_version(kube: Kube) -> None:
    assert kube.check_connection() == SERVER_VERSION


def test_odoo_database_is_initialised_before_the_server_starts(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("odoo")
    kube.ensure_all(objects_for(dataclasses.replace(spec, replicas=0)))
    job = odoo.init_job(spec)
    assert kube.ensure(job) == "created"
    cluster.set_status(job, {"succeeded": 1})
    assert kube.wait_ready(job, timeout=1, poll=0.01)["phase"] == "Succeeded"

    kube.resume(spec)

    assert kube.ensure_all(objects_for(spec)) == [
        (f"Namespace {NAMESPACE}", "unchanged"),
        (f"ConfigMap {NAMESPACE}/web-config", "unchanged"),
        (f"PersistentVolumeClaim {NAMESPACE}/web-filestore", "unchanged"),
        (f"Deployment {NAMESPACE}/web", "unchanged"),  # resumed to spec.replicas already
        (f"Service {NAMESPACE}/web", "unchanged"),
        (f"Ingress {NAMESPACE}/web", "unchanged"),
    ]

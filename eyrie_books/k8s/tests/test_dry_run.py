"""The dry run records exactly what the real client sends, and sends nothing."""
from __future__ import annotations

import pytest

from ..builders import Obj, generic, objects_for, odoo, workload
from ..errors import NotFound
from ..operations import DryRunKube, Kube, Operations, PlannedRequest
from ..spec import TYPES, DeploymentSpec
from .factories import NAMESPACE, make_spec
from .kmock_server import MockCluster


def _lifecycle(ops: Operations, spec: DeploymentSpec, objs: list[Obj]) -> None:
    ops.check_connection()
    ops.ensure_all(objs)
    ops.ensure_all(objs)
    ops.pause(spec)
    ops.resume(spec)
    if workload(spec)["kind"] == "Deployment":
        ops.scale("Deployment", NAMESPACE, spec.name, 1)
    ops.status(workload(spec))
    for obj in reversed(objs):
        ops.delete(obj)
    ops.delete(objs[0])


@pytest.mark.parametrize("type_", TYPES)
def test_dry_run_plans_the_requests_a_real_cluster_receives(kube: Kube, cluster: MockCluster, type_: str) -> None:
    spec = make_spec(type_)
    # Built once, so both runs send the same generated passwords.
    objs = objects_for(spec) + ([odoo.init_job(spec)] if type_ == "odoo" else [])
    dry = DryRunKube()

    _lifecycle(kube, spec, objs)
    _lifecycle(dry, spec, objs)

    assert [tuple(request) for request in dry.requests] == cluster.requests()


def test_dry_run_records_and_sends_nothing(cluster: MockCluster) -> None:
    spec = make_spec("odoo")
    dry = DryRunKube()
    namespace = objects_for(spec)[0]

    assert dry.ensure(namespace) == "created"
    assert dry.ensure(namespace) == "unchanged"
    with pytest.raises(NotFound):  # as from a real server: the Deployment was never created
        dry.pause(spec)

    assert dry.requests == [  # read first; the second ensure sends no write
        PlannedRequest("GET", f"/api/v1/namespaces/{NAMESPACE}", None),
        PlannedRequest("POST", "/api/v1/namespaces", namespace),
        PlannedRequest("GET", f"/api/v1/namespaces/{NAMESPACE}", None),
        PlannedRequest("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/web", None),
        PlannedRequest("PATCH", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/web/scale",
                       {"spec": {"replicas": 0}}),
    ]
    assert cluster.requests() == []


def test_dry_run_answers_consistently() -> None:
    spec = make_spec("none")
    dry = DryRunKube()
    deployment = generic.deployment(spec)

    assert dry.read(deployment) is None
    dry.ensure(deployment)
    assert dry.read(deployment) == deployment
    dry.pause(spec)
    paused = dry.read(deployment)
    assert paused is not None and paused["spec"]["replicas"] == 0
    assert dry.wait_ready(deployment, timeout=0.1, poll=0.01)["ready"] is True
    assert dry.delete(deployment) is True
    assert dry.status(deployment)["exists"] is False
    assert dry.check_connection()["gitVersion"] == "dry-run"


def test_dry_run_keeps_what_it_recorded() -> None:
    spec = make_spec("odoo")
    dry = DryRunKube()
    job = odoo.init_job(spec)
    dry.ensure(job)
    job["spec"]["backoffLimit"] = 99
    assert dry.requests[1].body is not None and dry.requests[1].body["spec"]["backoffLimit"] == 2

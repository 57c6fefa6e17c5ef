"""Health from each operator's status, sync against what a run applies, and a survey of many
deployments on kmock: few requests, and readable states when the cluster fails."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from ..builders import Obj, generic, odoo, pgo, pxc
from ..connection import api_client_from_token
from ..health import (
    DEGRADED,
    HEALTHY,
    IN_SYNC,
    MISSING,
    OUT_OF_SYNC,
    PAUSED,
    PROGRESSING,
    UNKNOWN,
    Target,
    desired_objects,
    health_of,
    survey,
)
from ..operations import DryRunKube, Kube
from ..resources import ref
from ..spec import DeploymentSpec
from .factories import make_spec
from .kmock_server import TOKEN, MockCluster, free_port


def _live(obj: Obj, status: dict[str, Any], generation: int = 1, **spec: Any) -> Obj:
    return {**obj, "metadata": {**obj["metadata"], "generation": generation},
            "spec": {**obj["spec"], **spec}, "status": status}


DEPLOYMENT = odoo.deployment(make_spec("odoo"))
POSTGRES = pgo.postgres_cluster(make_spec("pgo"))
PXC = pxc.pxc_cluster(make_spec("pxc"))
ROLLED_OUT = {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1}
INSTANCES = [{"name": "instance1", "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2}]


@pytest.mark.parametrize(
    ("live", "previous", "state", "reason"),
    [
        (None, None, MISSING, "not found"),
        (_live(DEPLOYMENT, {}), None, PROGRESSING, "0/1 pods updated"),
        (_live(DEPLOYMENT, ROLLED_OUT), None, HEALTHY, "1/1 pods ready"),
        (_live(DEPLOYMENT, ROLLED_OUT, generation=2), HEALTHY, PROGRESSING, "controller"),
        (_live(DEPLOYMENT, {**ROLLED_OUT, "readyReplicas": 0}), None, PROGRESSING, "0/1 pods ready"),
        (_live(DEPLOYMENT, {**ROLLED_OUT, "readyReplicas": 0}), HEALTHY, DEGRADED, "0/1 pods ready"),
        (_live(DEPLOYMENT, {**ROLLED_OUT, "replicas": 2}), None, PROGRESSING, "old pods"),
        (_live(DEPLOYMENT, {"conditions": [{"type": "Progressing", "status": "False",
                                            "reason": "ProgressDeadlineExceeded", "message": "too slow"}]}),
         None, DEGRADED, "rollout stuck: too slow"),
        (_live(DEPLOYMENT, {"conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                            "message": "quota exceeded"}]}), None, DEGRADED, "quota exceeded"),
        (_live(DEPLOYMENT, {"replicas": 1}, replicas=0), HEALTHY, PROGRESSING, "stopping"),
        (_live(DEPLOYMENT, {}, replicas=0), HEALTHY, PAUSED, "scaled to 0"),
        (_live(POSTGRES, {}), None, PROGRESSING, "operator to report"),
        (_live(POSTGRES, {"observedGeneration": 1, "instances": INSTANCES}), None, HEALTHY, "2/2 instances"),
        (_live(POSTGRES, {"observedGeneration": 1, "instances": [{**INSTANCES[0], "updatedReplicas": 1}]}),
         HEALTHY, PROGRESSING, "1/2 instances updated"),
        (_live(POSTGRES, {"observedGeneration": 1, "instances": [{**INSTANCES[0], "readyReplicas": 1}]}),
         HEALTHY, DEGRADED, "1/2 instances ready"),
        (_live(POSTGRES, {"observedGeneration": 1, "instances": INSTANCES}, shutdown=True), HEALTHY,
         PROGRESSING, "shutting down"),
        (_live(POSTGRES, {"observedGeneration": 1, "instances": [{"name": "instance1"}]}, shutdown=True), HEALTHY,
         PAUSED, "shut down"),
        (_live(PXC, {"state": "initializing", "pxc": {"ready": 1, "size": 3}}), None, PROGRESSING, "1/3 nodes"),
        (_live(PXC, {"state": "initializing", "pxc": {"ready": 2, "size": 3}}), HEALTHY, DEGRADED, "2/3 nodes"),
        (_live(PXC, {"state": "ready", "pxc": {"ready": 3, "size": 3}}), None, HEALTHY, "3/3 nodes ready"),
        (_live(PXC, {"state": "error", "message": ["pxc: crash"]}), HEALTHY, DEGRADED, "error: pxc: crash"),
        (_live(PXC, {"state": "stopping"}, pause=True), HEALTHY, PROGRESSING, "pausing"),
        (_live(PXC, {"state": "paused"}, pause=True), HEALTHY, PAUSED, "paused"),
        (_live(PXC, {"state": "sleeping"}), None, UNKNOWN, "operator state sleeping"),
    ],
)
def test_health_of_each_kind(live: Obj | None, previous: str | None, state: str, reason: str) -> None:
    health = health_of(live, previous)
    assert (health.state, reason in health.reason) == (state, True), health


# --- survey on kmock ---------------------------------------------------------------------------


def _specs() -> dict[str, DeploymentSpec]:
    return {kind: make_spec(kind, namespace=f"ns-{kind}", deployment_id=index)
            for index, kind in enumerate(("odoo", "pgo", "pxc", "none"), start=1)}


def _deployed(kube: Kube, specs: Mapping[Any, DeploymentSpec]) -> None:
    for spec in specs.values():
        kube.ensure_all(desired_objects(spec))


def test_a_fresh_deployment_is_in_sync_and_a_hand_edit_is_drift(kube: Kube, cluster: MockCluster) -> None:
    specs = _specs()
    _deployed(kube, specs)
    answers = survey(kube, [Target(kind, spec) for kind, spec in specs.items()])
    assert {kind: sync.state for kind, (_health, sync) in answers.items()} == dict.fromkeys(specs, IN_SYNC)
    # Someone scales the app and changes its image behind Eyrie's back; removes the odoo Service.
    app = generic.deployment(specs["none"])
    live = copy.deepcopy(cluster.stored(app))
    assert live is not None
    live["spec"]["replicas"] = 5
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:evil"
    kube._send("patch", ref(app), {"spec": {"replicas": 5, "template": live["spec"]["template"]}})
    kube.delete(odoo.service(specs["odoo"]))
    answers = survey(kube, [Target(kind, spec) for kind, spec in specs.items()])
    sync = {kind: answer[1] for kind, answer in answers.items()}
    assert sync["none"].state == OUT_OF_SYNC and "spec.replicas" in sync["none"].reason, sync["none"]
    assert "spec.template" in sync["none"].reason and "nginx:evil" not in sync["none"].reason
    assert sync["odoo"].state == OUT_OF_SYNC and f"Service {specs['odoo'].name}: missing" in sync["odoo"].reason
    assert (sync["pgo"].state, sync["pxc"].state) == (IN_SYNC, IN_SYNC)
    # Applying the spec again (what Re-deploy does) clears the drift.
    _deployed(kube, specs)
    answers = survey(kube, [Target(kind, spec) for kind, spec in specs.items()])
    assert {kind: answer[1].state for kind, answer in answers.items()} == dict.fromkeys(specs, IN_SYNC)


def test_survey_lists_each_kind_once_whatever_the_number_of_deployments(kube: Kube, cluster: MockCluster) -> None:
    specs = {n: make_spec("none", name=f"app{n}", namespace=f"ns-{n}", deployment_id=n) for n in range(12)}
    _deployed(kube, specs)
    before = len(cluster.requests())
    answers = survey(kube, [Target(n, spec) for n, spec in specs.items()])
    sent = cluster.requests()[before:]
    kinds = {obj["kind"] for obj in desired_objects(specs[0])}
    assert len(sent) == len(kinds) and all(method == "GET" for method, _path, _body in sent), sent
    assert "/apis/apps/v1/deployments" in {path for _method, path, _body in sent}
    assert {health.state for health, _sync in answers.values()} == {PROGRESSING}


def test_health_follows_the_status_the_controllers_write(kube: Kube, cluster: MockCluster) -> None:
    specs = _specs()
    _deployed(kube, specs)
    cluster.set_status(odoo.deployment(specs["odoo"]), ROLLED_OUT)
    cluster.set_status(pgo.postgres_cluster(specs["pgo"]), {"instances": INSTANCES})
    cluster.set_status(pxc.pxc_cluster(specs["pxc"]), {"state": "error", "message": ["node down"]})
    answers = survey(kube, [Target(kind, spec, previous=HEALTHY) for kind, spec in specs.items()])
    assert {kind: answer[0].state for kind, answer in answers.items()} == {
        "odoo": HEALTHY, "pgo": HEALTHY, "pxc": DEGRADED, "none": PROGRESSING}
    kube.delete(odoo.deployment(specs["odoo"]))
    kube.pause(specs["pgo"])
    cluster.set_status(pgo.postgres_cluster(specs["pgo"]), {"instances": [{"name": "instance1"}]})
    answers = survey(kube, [Target(kind, spec, paused=kind == "pgo") for kind, spec in specs.items()])
    assert (answers["odoo"][0].state, answers["pgo"][0].state, answers["pgo"][1].state) == (MISSING, PAUSED, IN_SYNC)


def test_an_unreachable_cluster_is_unknown_after_one_request() -> None:
    client = api_client_from_token(f"http://127.0.0.1:{free_port()}", TOKEN)
    answers = survey(Kube(client, timeout=2), [Target(kind, spec) for kind, spec in _specs().items()])
    for health, sync in answers.values():
        assert (health.state, sync.state) == (UNKNOWN, UNKNOWN)
        assert health.reason.startswith("cluster unreachable"), health


def test_forbidden_and_missing_apis_are_unknown_for_the_deployments_that_need_them(
    kube: Kube, cluster: MockCluster,
) -> None:
    specs = _specs()
    _deployed(kube, specs)
    cluster.refuse("GET", "/apis/apps/v1/deployments", 403,
                   {"kind": "Status", "reason": "Forbidden", "message": "deployments is forbidden", "code": 403})
    cluster.refuse("GET", "/apis/pxc.percona.com/v1/perconaxtradbclusters", 404,
                   {"kind": "Status", "reason": "NotFound", "code": 404})
    answers = survey(kube, [Target(kind, spec) for kind, spec in specs.items()])
    assert answers["odoo"][0] == answers["none"][0]
    assert answers["odoo"][0].state == UNKNOWN and "no permission to list Deployment" in answers["odoo"][0].reason
    assert answers["pxc"][0].state == UNKNOWN and "operator installed" in answers["pxc"][0].reason
    assert answers["pgo"][0].state == PROGRESSING and answers["pgo"][1].state == IN_SYNC


def test_dry_run_lists_what_it_holds() -> None:
    kube = DryRunKube()
    spec = make_spec("none")
    kube.ensure_all(desired_objects(spec))
    kube.requests.clear()
    [(health, sync)] = survey(kube, [Target(1, spec)]).values()
    assert sync.state == IN_SYNC and health.state == PROGRESSING
    assert len(kube.requests) == len({obj["kind"] for obj in desired_objects(spec)})
    assert all(request.method == "GET" and "labelSelector=" in request.path for request in kube.requests)


def test_on_an_empty_cluster_every_deployment_is_missing(kube: Kube) -> None:
    answers = survey(kube, [Target(kind, spec) for kind, spec in _specs().items()])
    for health, sync in answers.values():
        assert (health.state, sync.state) == (MISSING, OUT_OF_SYNC), (health, sync)

"""Compare only what Eyrie sets: server defaults and server-owned fields are no difference."""
from __future__ import annotations

import copy

import pytest

from ..builders import common, objects_for, odoo, pxc
from ..compare import CHANGE, CREATE, HIDDEN, UNCHANGED, compare, masked, patch_for
from ..operations import Kube
from ..spec import TYPES
from .factories import make_spec
from .kmock_server import MockCluster


def test_missing_object_is_created_with_secret_values_hidden() -> None:
    secret = pxc.users_secret(make_spec("pxc"))
    result = compare(secret, None)
    assert result.action == CREATE
    assert set(result.patch["data"].values()) == {HIDDEN}
    assert secret["data"] != result.patch["data"]  # the object itself is left alone


def test_server_defaults_and_empty_values_are_no_difference() -> None:
    deployment = odoo.deployment(make_spec("odoo"))
    desired = copy.deepcopy(deployment)
    desired["spec"]["template"]["spec"]["tolerations"] = []
    desired["spec"]["template"]["spec"]["containers"][0]["workingDir"] = ""
    live = copy.deepcopy(deployment)
    live["metadata"].update(uid="1", resourceVersion="7", generation=3)
    live["spec"]["revisionHistoryLimit"] = 10
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    live["status"] = {"readyReplicas": 1}
    assert compare(desired, live).action == UNCHANGED
    assert patch_for(desired, live) == {}


def test_a_change_is_the_engine_patch_with_one_line_per_field() -> None:
    deployment = odoo.deployment(make_spec("odoo"))
    live = copy.deepcopy(deployment)
    live["spec"]["replicas"] = 3
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "odoo:18"
    live["metadata"]["labels"]["app.kubernetes.io/instance"] = "old"
    result = compare(deployment, live)
    assert result.action == CHANGE
    assert result.patch == patch_for(deployment, live)
    assert {change.path: (change.live, change.desired) for change in result.changes} == {
        "spec.replicas": (3, 1),
        "spec.template.spec.containers[0].image": ("odoo:18", deployment["spec"]["template"]["spec"]
                                                   ["containers"][0]["image"]),
        'metadata.labels["app.kubernetes.io/instance"]': ("old", "web"),
    }


def test_quantities_compare_by_value_not_by_spelling() -> None:
    """An API server stores quantities in canonical form: "0.5" CPU reads back as "500m" and
    "1024Mi" as "1Gi". That is no difference; a changed amount is one, sent as it was typed."""
    desired = odoo.deployment(make_spec("odoo", resources={"requests": {"cpu": "0.5", "memory": "1024Mi"},
                                                          "limits": {"cpu": "2"}}))
    live = copy.deepcopy(desired)
    live["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2000m"}}
    assert compare(desired, live).action == UNCHANGED
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] = "512Mi"
    result = compare(desired, live)
    assert [(change.path, change.live, change.desired) for change in result.changes] == [
        ("spec.template.spec.containers[0].resources.requests.memory", "512Mi", "1024Mi")]
    claim = common.persistent_volume_claim(make_spec("none", storage_size="1024Mi"), "data")
    stored = copy.deepcopy(claim)
    stored["spec"]["resources"]["requests"]["storage"] = "1Gi"
    assert compare(claim, stored).action == UNCHANGED


def test_a_cleared_list_is_a_change() -> None:
    desired = {"kind": "ConfigMap", "metadata": {"name": "c"}, "spec": {"items": []}}
    live = {"kind": "ConfigMap", "metadata": {"name": "c"}, "spec": {"items": [1]}}
    result = compare(desired, live)
    assert result.action == CHANGE and result.patch == {"spec": {"items": []}}


def test_secret_values_are_compared_but_never_shown() -> None:
    secret = pxc.users_secret(make_spec("pxc"))
    live = copy.deepcopy(secret)
    key = next(iter(live["data"]))
    live["data"][key] = "b2xk"
    result = compare(secret, live)
    assert result.action == CHANGE
    assert [change.as_dict() for change in result.changes] == [
        {"path": f"data.{key}", "live": HIDDEN, "desired": HIDDEN},
    ]
    assert result.patch == {"data": {key: HIDDEN}}
    assert "b2xk" not in repr(result.as_dict()) and secret["data"][key] not in repr(result.as_dict())
    assert compare(secret, live, create_only=True).action == UNCHANGED
    assert masked("ConfigMap", {"data": {"a": "1"}}) == {"data": {"a": "1"}}


@pytest.mark.parametrize("type_", TYPES)
def test_stored_objects_compare_unchanged(kube: Kube, cluster: MockCluster, type_: str) -> None:
    """As the API server stores them (defaults filled, empty values dropped), nothing to send."""
    for obj in objects_for(make_spec(type_)):
        kube.ensure(obj)
        assert compare(obj, kube.read(obj)).action == UNCHANGED, obj["kind"]

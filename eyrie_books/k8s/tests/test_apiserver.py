"""The test API server stores objects as a real one does: defaults, no empty values, generation."""
from __future__ import annotations

import copy

import pytest

from ..builders import generic, objects_for, odoo
from ..connection import api_client_from_token
from ..operations import Kube
from ..spec import TYPES
from .factories import NAMESPACE, make_spec
from .kmock_server import TOKEN, LoopThread, MockCluster, serve


def test_a_deployment_gets_the_defaults_of_a_real_api_server(kube: Kube, cluster: MockCluster) -> None:
    deployment = generic.deployment(make_spec("none"))
    deployment["spec"]["template"]["spec"]["tolerations"] = []
    deployment["spec"]["template"]["metadata"]["annotations"] = {}
    kube.ensure(deployment)

    live = kube.read(deployment)
    assert live is not None
    meta, spec = live["metadata"], live["spec"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    pod = spec["template"]["spec"]
    assert (pod["restartPolicy"], pod["dnsPolicy"], pod["schedulerName"]) == ("Always", "ClusterFirst",
                                                                                "default-scheduler")
    assert (pod["terminationGracePeriodSeconds"], pod["securityContext"]) == (30, {})
    assert "tolerations" not in pod and "annotations" not in spec["template"]["metadata"]  # empty: dropped
    container = pod["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"  # nginx:1.27 has a tag
    assert (container["terminationMessagePath"], container["terminationMessagePolicy"]) == (
        "/dev/termination-log", "File")
    assert cluster.requests()[-2][2] == deployment  # recorded as sent


@pytest.mark.parametrize(("image", "policy"), [
    ("nginx", "Always"), ("nginx:latest", "Always"), ("registry:5000/app:1.2", "IfNotPresent"),
    ("registry:5000/app", "Always"),
])
def test_the_pull_policy_follows_the_tag(kube: Kube, image: str, policy: str) -> None:
    deployment = generic.deployment(make_spec("none", image=image))
    kube.ensure(deployment)
    live = kube.read(deployment)
    assert live is not None and live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_service_secret_and_claim_defaults(kube: Kube) -> None:
    spec = make_spec("odoo")
    service, claim = odoo.service(spec), odoo.filestore(spec)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": NAMESPACE},
              "stringData": {"password": "pw"}}
    del service["spec"]["ports"][0]["targetPort"]
    for obj in (service, claim, secret):
        kube.ensure(obj)
    live_service, live_claim, live_secret = (kube.read(obj) or {} for obj in (service, claim, secret))
    assert live_service["spec"]["clusterIP"].startswith("10.96.")
    assert live_service["spec"]["clusterIPs"] == [live_service["spec"]["clusterIP"]]
    assert (live_service["spec"]["sessionAffinity"], live_service["spec"]["ipFamilies"]) == ("None", ["IPv4"])
    assert live_service["spec"]["ports"][0]["targetPort"] == live_service["spec"]["ports"][0]["port"]
    assert live_claim["spec"]["volumeMode"] == "Filesystem"
    assert live_secret["type"] == "Opaque" and live_secret["data"] == {"password": "cHc="}
    assert "stringData" not in live_secret


def test_generation_follows_spec_changes_only(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("odoo")
    deployment = odoo.deployment(spec)
    kube.ensure(deployment)
    first = kube.read(deployment) or {}

    relabelled = copy.deepcopy(deployment)
    relabelled["metadata"]["labels"]["extra"] = "x"
    assert kube.ensure(relabelled) == "patched"
    second = kube.read(deployment) or {}
    assert second["metadata"]["generation"] == 1
    assert second["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]
    assert second["metadata"]["uid"] == first["metadata"]["uid"]

    kube.pause(spec)  # the scale subresource changes spec.replicas
    third = kube.read(deployment) or {}
    assert third["metadata"]["generation"] == 2
    assert third["spec"]["strategy"] == {"type": "Recreate"}  # defaults kept, Eyrie's own values too


@pytest.mark.parametrize("type_", TYPES)
def test_an_unchanged_redeploy_sends_no_write(kube: Kube, cluster: MockCluster, type_: str) -> None:
    spec = make_spec(type_)
    objs = objects_for(spec) + ([odoo.init_job(spec)] if type_ == "odoo" else [])
    kube.ensure_all(objs)
    written = len(cluster.writes())

    again = objects_for(spec) + ([odoo.init_job(spec)] if type_ == "odoo" else [])  # fresh passwords too
    assert {outcome for _, outcome in kube.ensure_all(again)} == {"unchanged"}
    assert cluster.writes()[written:] == []


def test_a_changed_field_is_the_only_write(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("pxc")
    kube.ensure_all(objects_for(spec))
    written = len(cluster.writes())
    bigger = [obj for obj in objects_for(make_spec("pxc", settings={**(spec.settings or {}), "size": 5}))
              if obj["kind"] == "PerconaXtraDBCluster"]
    assert [outcome for _, outcome in kube.ensure_all(bigger)] == ["patched"]
    assert [(method, body) for method, _, body in cluster.writes()[written:]] == [
        ("PATCH", {"spec": {"pxc": {"size": 5}}})]


def test_a_server_without_history_keeps_its_objects_and_counts_what_it_forgets(loop_thread: LoopThread) -> None:
    """The benchmarks' server: kmock looks for each request among all those it holds, so it forgets
    them once answered; what it stores stays."""
    context = serve(history=False)
    cluster = loop_thread.run(context.__aenter__())
    client = api_client_from_token(cluster.url, TOKEN)
    try:
        kube = Kube(client, timeout=2)
        deployment = generic.deployment(make_spec("none"))
        kube.ensure(deployment)
        for _ in range(3):
            assert (kube.read(deployment) or {})["metadata"]["generation"] == 1
        assert (cluster.answered("GET"), cluster.answered("POST")) == (4, 1)  # ensure reads first
        assert list(cluster.emulator) == []
        with pytest.raises(RuntimeError, match="forgets its requests"):
            cluster.requests()
    finally:
        client.close()
        loop_thread.run(context.__aexit__(None, None, None))

"""PreviewKube reads from the cluster and records what it would write, sending none of it."""
from __future__ import annotations

from typing import Any

from ..builders import generic, objects_for, pxc
from ..compare import HIDDEN
from ..operations import DryRunKube, Kube
from ..preview import PreviewKube
from .factories import make_spec
from .kmock_server import MockCluster


def _by_kind(preview: PreviewKube) -> dict[str, dict[str, Any]]:
    return {entry["kind"]: entry for entry in preview.entries}


def test_create_change_unchanged_delete_and_no_write(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("none")
    objs = objects_for(spec)
    kube.ensure_all(objs[:-1])  # everything but the Ingress
    written = len(cluster.writes())

    preview = PreviewKube(kube)
    preview.ensure_all(objects_for(make_spec("none", image="nginx:1.28")))
    preview.pause(spec)
    preview.delete(objs[0])
    entries = _by_kind(preview)

    assert entries["Ingress"]["action"] == "create"
    assert entries["Service"]["action"] == "unchanged"
    assert entries["Namespace"]["action"] == "delete"
    workload = entries["Deployment"]
    assert workload["action"] == "change"
    assert {line["path"]: (line["live"], line["desired"]) for line in workload["changes"]} == {
        "spec.template.spec.containers[0].image": ("nginx:1.27", "nginx:1.28"),
        "spec.replicas": (1, 0),
    }
    assert cluster.writes()[written:] == []


def test_secret_values_stay_hidden_and_created_objects_are_seen_later(cluster: MockCluster, kube: Kube) -> None:
    spec = make_spec("pxc")
    preview = PreviewKube(kube)
    preview.ensure(pxc.users_secret(spec), create_only=True)
    preview.ensure(pxc.pxc_cluster(spec))
    preview.resume(spec)  # acts on the cluster the preview "created": nothing to change
    entries = _by_kind(preview)
    assert set(entries["Secret"]["patch"]["data"].values()) == {HIDDEN}
    assert entries["PerconaXtraDBCluster"]["action"] == "create"
    assert cluster.writes() == []


def test_a_dry_run_source_holds_what_was_sent() -> None:
    spec = make_spec("none")
    dry = DryRunKube()
    dry.ensure(generic.deployment(spec))
    preview = PreviewKube(dry)
    preview.ensure(generic.deployment(spec))
    preview.ensure(generic.service(spec) or {})
    assert [entry["action"] for entry in preview.entries] == ["unchanged", "create"]
    assert [request.method for request in dry.requests if request.method != "GET"] == ["POST"]

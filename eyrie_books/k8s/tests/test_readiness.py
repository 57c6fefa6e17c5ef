"""Status summaries per kind, from live objects as an API server returns them."""
from __future__ import annotations

from typing import Any

import pytest

from ..builders import Obj, odoo, pgo, pxc
from ..readiness import summarize
from .factories import make_spec


def _live(obj: Obj, status: dict[str, Any], **spec: Any) -> Obj:
    return {**obj, "spec": {**obj["spec"], **spec}, "status": status}


DEPLOYMENT = odoo.deployment(make_spec("odoo"))
JOB = odoo.init_job(make_spec("odoo"))
POSTGRES = pgo.postgres_cluster(make_spec("pgo"))
PXC = pxc.pxc_cluster(make_spec("pxc"))


@pytest.mark.parametrize(
    ("live", "ready", "phase"),
    [
        (_live(DEPLOYMENT, {}), False, "Progressing"),
        (_live(DEPLOYMENT, {"readyReplicas": 1, "updatedReplicas": 1}), True, "Ready"),
        (_live(DEPLOYMENT, {"readyReplicas": 1, "updatedReplicas": 0}), False, "Progressing"),
        (_live({**DEPLOYMENT, "metadata": {**DEPLOYMENT["metadata"], "generation": 2}},
               {"observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 1}), False, "Progressing"),
        (_live(DEPLOYMENT, {"replicas": 1}, replicas=0), False, "Stopping"),
        (_live(DEPLOYMENT, {}, replicas=0), True, "Stopped"),
        (_live(JOB, {"active": 1}), False, "Running"),
        (_live(JOB, {"succeeded": 1}), True, "Succeeded"),
        (_live(POSTGRES, {"instances": [{"name": "instance1", "readyReplicas": 1}]}), False, "Progressing"),
        (_live(POSTGRES, {"instances": [{"name": "instance1", "readyReplicas": 2}]}), True, "Ready"),
        (_live(POSTGRES, {"instances": [{"name": "instance1", "readyReplicas": 1}]}, shutdown=True), False, "Stopping"),
        (_live(POSTGRES, {"instances": [{"name": "instance1", "readyReplicas": 0}]}, shutdown=True), True, "Stopped"),
        (_live(PXC, {"state": "initializing"}), False, "Initializing"),
        (_live(PXC, {"state": "ready", "pxc": {"ready": 3}}), True, "Ready"),
        (_live(PXC, {"state": "ready"}, pause=True), False, "Ready"),
        (_live(PXC, {"state": "paused"}, pause=True), True, "Paused"),
        (_live(PXC, {}), False, "Pending"),
        (odoo.service(make_spec("odoo")), True, "Present"),
    ],
)
def test_summary_ready_and_phase(live: Obj, ready: bool, phase: str) -> None:
    summary = summarize(live)
    assert (summary["ready"], summary["phase"], summary["failed"]) == (ready, phase, False)
    assert summary["exists"] is True


def test_failed_job_is_failed() -> None:
    summary = summarize(_live(JOB, {"failed": 3, "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "m" * 500},
    ]}))
    assert (summary["ready"], summary["failed"], summary["phase"]) == (False, True, "Failed")
    assert summary["conditions"][0]["reason"] == "BackoffLimitExceeded"
    assert len(summary["conditions"][0]["message"]) <= 200


def test_replica_counts() -> None:
    postgres = summarize(_live(POSTGRES, {"instances": [{"name": "instance1", "readyReplicas": 1}]}))
    assert (postgres["replicas"], postgres["ready_replicas"]) == (2, 1)
    mysql = summarize(_live(PXC, {"state": "ready", "pxc": {"ready": 3}}))
    assert (mysql["replicas"], mysql["ready_replicas"]) == (3, 3)

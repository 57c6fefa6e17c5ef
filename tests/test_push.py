"""Push to deploy end to end: signed webhook deliveries over HTTP to a real Odoo server whose
queue_job runner performs the runs they start."""

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from .test_rpc import dry_run_cluster, group_of_type, settle

SECRET = "e2e-webhook-secret"
RUN = uuid.uuid4().hex[:8]  # names of this run's records: the module can run again on a database


@pytest.fixture(scope="module")
def repository(rpc):
    return rpc("eyrie.repository", "create", {
        "name": f"pushed {RUN}", "url": f"https://git.example.com/e2e/pushed-{RUN}.git", "new_webhook_secret": SECRET,
    })


@pytest.fixture(scope="module")
def deployed(rpc, repository):
    scope = rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0]
    deployment = rpc("eyrie.deployment", "create", {
        "name": f"push {RUN}", "group_id": group_of_type(rpc, "none"), "scope_id": scope,
        "cluster_ids": [(6, 0, dry_run_cluster(rpc))], "image": "nginx:1.27", "repository_id": repository,
        "branch": "main", "deploy_on_push": True,
    })
    rpc("eyrie.deployment", "action_initialize", [deployment])
    assert settle(rpc, deployment) == "done"
    rpc("eyrie.deployment", "action_deploy", [deployment])
    assert settle(rpc, deployment) == "done"
    return deployment


def deliver(server, repository, body, headers):
    request = urllib.request.Request(f"{server}/_eyrie/hooks/{repository}", data=body,
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def deliver_huge(server, repository, size):
    """The status answered to a body of ``size`` bytes: the server answers before reading it and
    closes, so the rest of the body may meet a closed connection (as a real sender's would)."""
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(server).netloc, timeout=30)
    connection.putrequest("POST", f"/_eyrie/hooks/{repository}")
    for name, value in (("Content-Type", "application/json"), ("Content-Length", str(size)),
                        ("X-GitHub-Event", "push")):
        connection.putheader(name, value)
    connection.endheaders()
    try:
        for _ in range(size // 65536):
            connection.send(b" " * 65536)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        return connection.getresponse().status
    finally:
        connection.close()


def push(server, repository, commit, service="github", secret=SECRET, delivery=None):
    body = json.dumps({"ref": "refs/heads/main", "after": commit}).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    delivery = delivery or str(uuid.uuid4())
    headers = {
        "github": {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery,
                   "X-Hub-Signature-256": f"sha256={signature}"},
        "gitlab": {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": delivery, "X-Gitlab-Token": secret},
        "gitea": {"X-Gitea-Event": "push", "X-Gitea-Delivery": delivery, "X-Gitea-Signature": signature},
    }[service]
    return deliver(server, repository, body, headers)


def state(rpc, deployment):
    [values] = rpc("eyrie.deployment", "read", [deployment], ["commit_ref", "version_count", "current_version_id"])
    runs = rpc("eyrie.job", "search_read", [("deployment_id", "=", deployment), ("action", "=", "deploy")],
               ["state", "version_id"], order="id")
    return values, runs


@pytest.mark.parametrize("service", ["github", "gitlab", "gitea"])
def test_a_signed_push_deploys_its_commit(rpc, server, repository, deployed, service):
    commit = hashlib.sha1(service.encode()).hexdigest()
    before, runs_before = state(rpc, deployed)
    status, text = push(server, repository, commit, service)
    assert status == 200, text
    assert settle(rpc, deployed) == "done"
    after, runs = state(rpc, deployed)
    assert after["commit_ref"] == commit
    assert after["version_count"] == before["version_count"] + 1
    assert len(runs) == len(runs_before) + 1
    assert runs[-1]["version_id"][0] == after["current_version_id"][0]
    assert runs[-1]["state"] == "done"


def test_a_burst_of_pushes_ends_with_the_last_commit_deployed(rpc, server, repository, deployed):
    before, runs_before = state(rpc, deployed)
    commits = [hashlib.sha1(f"burst {n}".encode()).hexdigest() for n in range(10)]
    for commit in commits:
        status, text = push(server, repository, commit)
        assert status == 200, text
    assert settle(rpc, deployed) == "done"
    rpc.wait(lambda: not rpc("eyrie.deployment", "read", [deployed], ["push_pending"])[0]["push_pending"]
             and settle(rpc, deployed) == "done", what="the pushed version deployed")
    after, runs = state(rpc, deployed)
    assert after["commit_ref"] == commits[-1]
    assert after["version_count"] == before["version_count"] + 10, "every push makes a version"
    new_runs = runs[len(runs_before):]
    assert 1 <= len(new_runs) <= 10
    assert {run["state"] for run in new_runs} == {"done"}
    assert new_runs[-1]["version_id"][0] == after["current_version_id"][0], "the last run applies the last push"


def test_forged_replayed_and_oversized_deliveries_change_nothing(rpc, server, repository, deployed):
    before = state(rpc, deployed)
    assert push(server, repository, "a" * 40, secret="forged")[0] == 401
    assert push(server, repository, "b" * 40, service="gitlab", secret="forged")[0] == 401
    status, _text = push(server, repository, "c" * 40, delivery="e2e-once")
    assert status == 200
    assert settle(rpc, deployed) == "done"
    once = state(rpc, deployed)
    assert push(server, repository, "c" * 40, delivery="e2e-once")[0] == 409
    assert deliver_huge(server, repository, 10 * 1024 * 1024) == 413
    assert settle(rpc, deployed) == "done"
    assert state(rpc, deployed) == once
    assert once[0]["version_count"] == before[0]["version_count"] + 1

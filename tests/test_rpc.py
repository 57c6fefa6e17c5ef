"""Drive a running Eyrie by XML-RPC and by Odoo 19's JSON-2 API, as automation would."""

import json
import time
import urllib.error
import urllib.request
import xmlrpc.client

import pytest


@pytest.fixture(scope="module")
def json2(server, db, api_key):
    def call(model, method, **params):
        request = urllib.request.Request(
            f"{server}/json/2/{model}/{method}",
            data=json.dumps(params).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"bearer {api_key}",
                "X-Odoo-Database": db,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return {"http_status": error.code, **json.load(error)}

    return call


def settle(call, deployment, timeout=60):
    """Wait for the deployment's book run to end, as automation would before its next action."""
    deadline = time.monotonic() + timeout
    def state():
        return call("eyrie.deployment", "read", [deployment], ["run_state"])[0]["run_state"]

    while (current := state()) in ("queued", "running"):
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.2)
    return current


def dry_run_cluster(call):
    return call("eyrie.cluster", "search", [("dry_run", "=", True)], limit=1)


def group_of_type(call, kind):
    ids = call("eyrie.deployment.group", "search", [("type", "=", kind)], limit=1)
    assert ids, f"the demo data has no {kind} group"
    return ids[0]


def database_of(call, group):
    """A PostgreSQL deployment of the project of ``group`` (an Odoo deployment's database)."""
    [project] = call("eyrie.deployment.group", "read", [group], ["project_id"])
    ids = call("eyrie.deployment", "search", [("type", "=", "pgo"), ("project_id", "=", project["project_id"][0])],
               limit=1)
    assert ids, "the demo data has no PostgreSQL deployment next to its Odoo group"
    return ids[0]


def test_xmlrpc_lifecycle(rpc):
    group = group_of_type(rpc, "odoo")
    scope = rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0]
    database = database_of(rpc, group)
    clusters = rpc("eyrie.deployment", "read", [database], ["cluster_ids"])[0]["cluster_ids"]  # runs where it does
    deployment = rpc("eyrie.deployment", "create", {
        "name": "rpc-shop", "group_id": group, "scope_id": scope, "cluster_ids": [(6, 0, clusters)],
        "image": "ghcr.io/acme/shop:1.0", "branch": "main", "database_id": database,
    })
    rpc("eyrie.deployment", "write", [deployment], {"image": "ghcr.io/acme/shop:1.1"})
    rpc("eyrie.deployment", "action_initialize", [deployment])
    assert settle(rpc, deployment) == "done"
    rpc("eyrie.deployment", "action_deploy", [deployment])
    assert settle(rpc, deployment) == "done"
    [record] = rpc("eyrie.deployment", "read", [deployment], ["state", "type", "version_ids"])
    assert (record["state"], record["type"]) == ("deploy", "odoo")
    versions = rpc("eyrie.deployment.version", "search_read", [("deployment_id", "=", deployment)],
                      ["number", "image", "changes"], order="number")
    assert [(v["number"], v["image"]) for v in versions] == [(1, "ghcr.io/acme/shop:1.0"), (2, "ghcr.io/acme/shop:1.1")]
    assert versions[1]["changes"] == "Image: ghcr.io/acme/shop:1.0 → ghcr.io/acme/shop:1.1"
    assert sorted(record["version_ids"]) == sorted(v["id"] for v in versions)

    # Forbidden moves and writes come back as clear faults and change nothing.
    with pytest.raises(xmlrpc.client.Fault, match=r"Cannot move .* from Deploy to Initialize"):
        rpc("eyrie.deployment", "action_initialize", [deployment])
    with pytest.raises(xmlrpc.client.Fault, match="only through its actions"):
        rpc("eyrie.deployment", "write", [deployment], {"state": "draft"})
    with pytest.raises(xmlrpc.client.Fault, match="takes its type from its group"):
        rpc("eyrie.deployment", "write", [deployment], {"type": "pgo"})
    with pytest.raises(xmlrpc.client.Fault, match="not a container image"):
        rpc("eyrie.deployment", "write", [deployment], {"image": "Not An Image"})
    [record] = rpc("eyrie.deployment", "read", [deployment], ["state", "type", "image"])
    assert (record["state"], record["type"], record["image"]) == ("deploy", "odoo", "ghcr.io/acme/shop:1.1")
    assert rpc("eyrie.deployment.group", "read", [group], ["type"])[0]["type"] == "odoo"

    rpc("eyrie.deployment", "action_drop", [deployment])
    assert settle(rpc, deployment) == "done"
    assert rpc("eyrie.deployment", "read", [deployment], ["state"])[0]["state"] == "drop"


def test_xmlrpc_duplicate_name_is_a_clear_error(rpc):
    group = group_of_type(rpc, "none")
    scope = rpc("eyrie.scope", "search", [], limit=1)[0]
    values = {"name": "rpc-dup", "group_id": group, "scope_id": scope}
    rpc("eyrie.deployment", "create", values)
    with pytest.raises(xmlrpc.client.Fault, match="A deployment with this name exists in the group"):
        rpc("eyrie.deployment", "create", values)


def test_json2_lifecycle(json2):
    group = json2("eyrie.deployment.group", "search", domain=[("type", "=", "pgo")], limit=1)[0]
    scope = json2("eyrie.scope", "search", domain=[("allow_drop", "=", False)], limit=1)[0]
    clusters = json2("eyrie.cluster", "search", domain=[("dry_run", "=", True)], limit=1)
    [deployment] = json2("eyrie.deployment", "create", vals_list=[{
        "name": "json2-db", "group_id": group, "scope_id": scope, "cluster_ids": [(6, 0, clusters)],
        "image": "registry.example.com/crunchy-postgres:16",
    }])
    new_image = {"image": "registry.example.com/crunchy-postgres:17"}
    assert json2("eyrie.deployment", "write", ids=[deployment], vals=new_image) is True

    def read(model, method, ids, fields):
        return json2(model, method, ids=ids, fields=fields)

    for action in ("action_initialize", "action_deploy", "action_pause"):
        assert json2("eyrie.deployment", action, ids=[deployment]) is True
        assert settle(read, deployment) == "done"
    fields = ["state", "type", "version_ids", "allow_drop"]
    [record] = json2("eyrie.deployment", "read", ids=[deployment], fields=fields)
    assert (record["state"], record["type"], record["allow_drop"]) == ("pause", "pgo", False)
    assert len(record["version_ids"]) == 2

    refused = json2("eyrie.deployment", "action_drop", ids=[deployment])
    assert refused["http_status"] == 422
    assert "does not allow dropping" in refused["message"]
    assert json2("eyrie.deployment", "read", ids=[deployment], fields=["state"])[0]["state"] == "pause"


def test_json2_needs_a_valid_key(server, db):
    request = urllib.request.Request(
        f"{server}/json/2/eyrie.deployment/search", data=b'{"domain": []}',
        headers={"Content-Type": "application/json", "Authorization": "bearer not-a-key", "X-Odoo-Database": db},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 401

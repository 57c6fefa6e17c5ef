"""Drive a running Eyrie by XML-RPC and by Odoo 19's JSON-2 API, as automation would."""

import json
import urllib.error
import urllib.request
import xmlrpc.client

import pytest

from .conftest import ADMIN


@pytest.fixture(scope="module")
def rpc(server, db):
    uid = xmlrpc.client.ServerProxy(f"{server}/xmlrpc/2/common").authenticate(db, *ADMIN, {})
    assert uid, "admin could not log in by XML-RPC"
    models = xmlrpc.client.ServerProxy(f"{server}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args, **kwargs):
        return models.execute_kw(db, uid, ADMIN[1], model, method, list(args), kwargs)

    return call


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


def group_of_type(call, kind):
    ids = call("eyrie.deployment.group", "search", [("type", "=", kind)], limit=1)
    assert ids, f"the demo data has no {kind} group"
    return ids[0]


def test_xmlrpc_lifecycle(rpc):
    group = group_of_type(rpc, "odoo")
    scope = rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0]
    deployment = rpc("eyrie.deployment", "create", {
        "name": "rpc-shop", "group_id": group, "scope_id": scope,
        "image": "ghcr.io/acme/shop:1.0", "branch": "main",
    })
    rpc("eyrie.deployment", "write", [deployment], {"image": "ghcr.io/acme/shop:1.1"})
    rpc("eyrie.deployment", "action_initialize", [deployment])
    rpc("eyrie.deployment", "action_deploy", [deployment])
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
    [deployment] = json2("eyrie.deployment", "create", vals_list=[{
        "name": "json2-db", "group_id": group, "scope_id": scope,
        "image": "registry.example.com/crunchy-postgres:16",
    }])
    new_image = {"image": "registry.example.com/crunchy-postgres:17"}
    assert json2("eyrie.deployment", "write", ids=[deployment], vals=new_image) is True
    assert json2("eyrie.deployment", "action_initialize", ids=[deployment]) is True
    assert json2("eyrie.deployment", "action_deploy", ids=[deployment]) is True
    assert json2("eyrie.deployment", "action_pause", ids=[deployment]) is True
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

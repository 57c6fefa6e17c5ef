"""A generic app's secret variables over XML-RPC on a running Odoo: an Eyrie user writes them and
never reads them back, a version says only "changed", and the app's Secret on the cluster (kmock)
holds them, changed by the next run."""

import base64
import xmlrpc.client

import pytest

from .books import READY, kmock_deployment, run_state, steps_of, unique, workload_of
from .conftest import Rpc

SECRET = "rpc-app-secret-5a7c19e2"
PASSWORD = "eyrie-user-password-91d3"


def as_user(server, db, login):
    """An XML-RPC client of ``server`` logged in as ``login`` (password PASSWORD)."""
    uid = xmlrpc.client.ServerProxy(f"{server}/xmlrpc/2/common").authenticate(db, login, PASSWORD, {})
    assert uid, f"{login} could not log in by XML-RPC"

    def call(model, method, *args, **kwargs):
        proxy = xmlrpc.client.ServerProxy(f"{server}/xmlrpc/2/object", allow_none=True)
        return proxy.execute_kw(db, uid, PASSWORD, model, method, list(args), kwargs)

    return call


def stored_variables(rpc, mock, deployment):
    """The app's secret variables as the cluster keeps them."""
    workload = workload_of(rpc, deployment)
    secret = mock.stored({"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": f"{workload['metadata']['name']}-secrets", "namespace": workload["metadata"]["namespace"]}})
    return {key: base64.b64decode(value).decode() for key, value in (secret or {}).get("data", {}).items()}


def test_secret_variables_are_write_only_over_rpc(odoo_server, db, mock):
    admin = Rpc(odoo_server.url, db)
    [group] = admin("ir.model.data", "search_read", [("module", "=", "eyrie"), ("name", "=", "group_eyrie_user")],
                    ["res_id"])
    login = unique("secret-writer").replace(" ", "-")
    admin("res.users", "create", {"name": login, "login": login, "password": PASSWORD,
                                  "group_ids": [(6, 0, [group["res_id"]])]})
    user = as_user(odoo_server.url, db, login)
    deployment = kmock_deployment(admin, mock, unique("secret app"), initialize=False)

    user("eyrie.deployment", "write", [deployment], {"new_env_secrets": f"API_KEY={SECRET}\nTOKEN=t-1"})
    [record] = user("eyrie.deployment", "read", [deployment], ["new_env_secrets", "env_secret_names"])
    assert (record["new_env_secrets"], record["env_secret_names"]) == (False, "API_KEY, TOKEN")
    assert "env_secrets" not in user("eyrie.deployment", "fields_get", [], attributes=["string"])
    with pytest.raises(xmlrpc.client.Fault, match="not have enough rights to access the field \"env_secrets\""):
        user("eyrie.deployment", "read", [deployment], ["env_secrets"])
    with pytest.raises(xmlrpc.client.Fault, match="not have enough rights to access the field \"env_secrets\""):
        user("eyrie.deployment.version", "search_read", [("deployment_id", "=", deployment)], ["env_secrets"])
    changes = user("eyrie.deployment.version", "search_read", [("deployment_id", "=", deployment)], ["changes"],
                   order="number")
    assert changes[-1]["changes"] == "Secret Environment Variables: changed"
    with pytest.raises(xmlrpc.client.Fault, match="line 1 is not NAME=value") as refused:
        user("eyrie.deployment", "write", [deployment], {"new_env_secrets": f"{SECRET} alone"})
    assert SECRET not in refused.value.faultString

    admin("eyrie.deployment", "action_initialize", [deployment])
    admin.wait(lambda: run_state(admin, deployment) == "done", what="the init run")
    assert stored_variables(admin, mock, deployment) == {"API_KEY": SECRET, "TOKEN": "t-1"}

    # A removed variable leaves the Secret with the next run.
    user("eyrie.deployment", "write", [deployment], {"new_env_secrets": "-TOKEN"})
    admin("eyrie.deployment", "action_deploy", [deployment])
    [job] = admin("eyrie.job", "search", [("deployment_id", "=", deployment), ("action", "=", "deploy")])
    admin.wait(lambda: any(s["kind"] == "wait_ready" and s["state"] == "running" for s in steps_of(admin, job)),
               what="the deploy run to wait for the rollout")
    mock.set_status(workload_of(admin, deployment), READY)
    admin.wait(lambda: run_state(admin, deployment) == "done", what="the deploy run")
    assert stored_variables(admin, mock, deployment) == {"API_KEY": SECRET}

    texts = [str(user("eyrie.deployment", "read", [deployment], [])),
             str(user("eyrie.deployment.version", "search_read", [("deployment_id", "=", deployment)], ["changes"])),
             str(admin("eyrie.job.step", "search_read", [("job_id.deployment_id", "=", deployment)], ["log", "error"])),
             odoo_server.log.read_text()]
    assert [text for text in texts if SECRET in text] == []

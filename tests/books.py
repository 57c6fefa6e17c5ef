"""What the end-to-end book tests share: an XML-RPC client of the running server, deployments on a
kmock API server, and reading what their runs and steps say."""

import time
import xml.parsers.expat
import xmlrpc.client

from eyrie_books.k8s.tests.kmock_server import TOKEN

# The status of a rolled-out Deployment of one replica, as its controllers would write it.
READY = {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}

# What the client of a test sees while the server is down or restarting (killed while answering,
# it leaves an empty body, which the XML-RPC parser refuses).
CONNECTION_ERRORS = (OSError, xmlrpc.client.ProtocolError, xml.parsers.expat.ExpatError)


def unique(name):
    """``name``, made unique on a database the tests ran on before."""
    return f"{name} {time.time_ns() % 10**12}"


def kmock_deployment(rpc, mock, name, initialize=True, group=None):
    """A generic deployment on a (non dry-run) cluster served by ``mock``, initialized unless told;
    in ``group``, or the first group of generic deployments."""
    cluster = rpc("eyrie.cluster", "search", [("api_server", "=", mock.url)]) or [rpc("eyrie.cluster", "create", {
        "name": f"kmock {mock.url}", "dry_run": False, "auth_method": "token",
        "api_server": mock.url, "token": TOKEN,
    })]
    group = group or rpc("eyrie.deployment.group", "search", [("type", "=", "none")], limit=1)[0]
    scope = rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0]
    deployment = rpc("eyrie.deployment", "create", {
        "name": name, "group_id": group, "scope_id": scope, "cluster_ids": [(6, 0, cluster)],
        "image": "nginx:1.27", "port": 80,
    })
    if initialize:
        rpc("eyrie.deployment", "action_initialize", [deployment])
        rpc.wait(lambda: run_state(rpc, deployment) == "done", what="the init run")
    return deployment


def workload_of(rpc, deployment):
    """The deployment's Kubernetes Deployment (the cluster of these tests adds no namespace prefix)."""
    [record] = rpc("eyrie.deployment", "read", [deployment], ["slug", "namespace"])
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": record["slug"], "namespace": record["namespace"]}}


def run_state(rpc, deployment):
    return rpc("eyrie.deployment", "read", [deployment], ["run_state"])[0]["run_state"]


def steps_of(rpc, job):
    return rpc("eyrie.job.step", "search_read", [("job_id", "=", job)], ["kind", "state", "attempt", "log"],
               order="sequence")

"""What the end-to-end book tests share: an XML-RPC client of the running server, deployments on a
kmock API server, and reading what their runs and steps say."""

import contextlib
import time
import xml.parsers.expat
import xmlrpc.client

import psycopg2

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


def workload_path(workload):
    """Where the client reads the workload: each look of a wait step sends one GET there."""
    metadata = workload["metadata"]
    return f"/apis/apps/v1/namespaces/{metadata['namespace']}/deployments/{metadata['name']}"


def looks(mock, workload):
    """The reads of the workload since it was created (``ensure`` reads it once before creating it)."""
    requests = mock.requests()
    collection = workload_path(workload).rpartition("/")[0]
    created = next((index for index, (method, path, _body) in enumerate(requests)
                    if (method, path) == ("POST", collection)), len(requests))
    return sum((method, path) == ("GET", workload_path(workload)) for method, path, _body in requests[created:])


def run_state(rpc, deployment):
    return rpc("eyrie.deployment", "read", [deployment], ["run_state"])[0]["run_state"]


def steps_of(rpc, job):
    return rpc("eyrie.job.step", "search_read", [("job_id", "=", job)], ["kind", "state", "attempt", "log"],
               order="sequence")


def wait_sweepable(db, queue_job_id, timeout=60):
    """Until queue_job's dead-job sweep would requeue the job (its runner requeues a job enqueued more
    than 10 s ago that no worker holds): the sweep's own condition, read from the database while the
    server is down, rather than a sleep of its length."""
    deadline = time.monotonic() + timeout
    with contextlib.closing(psycopg2.connect(dbname=db)) as conn:
        conn.autocommit = True
        while True:
            with conn.cursor() as cr:
                cr.execute("SELECT state, date_enqueued, date_enqueued < now() AT TIME ZONE 'utc' - INTERVAL '10 sec'"
                           " FROM queue_job WHERE id = %s", [queue_job_id])
                row = cr.fetchone()
            if row and row[2]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"queue job {queue_job_id} not due for the dead-job sweep after {timeout} s: "
                                     f"(state, date_enqueued) = {row and row[:2]}")
            time.sleep(0.2)


def queue_job_of(rpc, step):
    return rpc("eyrie.job.step", "read", [step], ["queue_job_id"])[0]["queue_job_id"][0]

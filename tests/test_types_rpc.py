"""Every type runs as created, over XML-RPC on a running Odoo with its queue_job runner.

A deployment of each of the four types, created with only the fields of the user's chapter (name,
scope, clusters, repository and branch, image) and each type's defaults, goes draft → initialize →
deploy → pause → deploy → drop with every run ending done: on the dry-run cluster, and on a
Kubernetes API server (kmock), whose controllers and PGO the test plays. An Odoo deployment and a
generic one are wired to a PGO deployment: on kmock their users end up in the PostgresCluster, and
their Deployments read the credentials copied into their namespaces and the primary's host. Bad input is refused with a
clear message and changes nothing.
"""

import base64
import contextlib
import time
import uuid
import xmlrpc.client

import kmock
import pytest

from eyrie.tests.git_server import GitServer
from eyrie_books.k8s import operators
from eyrie_books.k8s.tests.kmock_server import TOKEN

from .test_rpc import dry_run_cluster, group_of_type

RUN = uuid.uuid4().hex[:6]  # this run's names: the module can run again on a database
PGO_PASSWORD = f"pgo-made-{RUN}-password"
ACTIVE = ("queued", "running")


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _decode(data):
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


# --- the cluster's controllers and PGO, played on kmock ------------------------------------------


def _live_objects(mock):
    """(key, object) of what kmock stores and has not deleted."""
    return [(key, obj.raw) for key, obj in list(mock.emulator.objects.items()) if not obj.deleted]


def _status(obj):
    """What the controllers of ``obj`` report once they have done what its spec asks (or None)."""
    spec = obj.get("spec") or {}
    if obj["kind"] == "Deployment":
        replicas = spec.get("replicas", 1)
        return {"replicas": replicas, "readyReplicas": replicas, "updatedReplicas": replicas}
    if obj["kind"] == "Job":
        return {"succeeded": 1}
    if obj["kind"] == "PostgresCluster":
        ready = 0 if spec.get("shutdown") else sum(item.get("replicas", 1) for item in spec.get("instances") or [])
        return {"instances": [{"name": operators.PGO_INSTANCE_NAME, "readyReplicas": ready}]}
    if obj["kind"] == "PerconaXtraDBCluster":
        return {"state": "paused" if spec.get("pause") else "ready"}
    return None


def play_cluster(mock):
    """One pass of the controllers: each workload and Job reports what its spec asks as done, and
    PGO writes a Secret for each user a PostgresCluster lists."""
    for key, obj in _live_objects(mock):
        status = _status(obj)
        if status is not None and obj.get("status") != status:
            mock.emulator.objects[key].patch({"status": status})
    play_pgo(mock)


def play_pgo(mock):
    """One pass of PGO alone: a Secret for each user a PostgresCluster lists."""
    for _key, obj in _live_objects(mock):
        if obj["kind"] != "PostgresCluster":
            continue
        namespace, cluster = obj["metadata"]["namespace"], obj["metadata"]["name"]
        for user in obj["spec"].get("users") or []:
            secret = {"apiVersion": "v1", "kind": "Secret",
                      "metadata": {"name": f"{cluster}-pguser-{user['name']}", "namespace": namespace}}
            if mock.stored(secret) is None:
                secret["data"] = {
                    "host": _b64(f"{cluster}-primary.{namespace}.svc"), "port": _b64("5432"),
                    "user": _b64(user["name"]), "password": _b64(PGO_PASSWORD),
                    "dbname": _b64((user.get("databases") or [user["name"]])[0]),
                }
                secrets = kmock.resource(group="", version="v1", plural="secrets")
                mock.emulator.objects[secrets, namespace, secret["metadata"]["name"]] = secret


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def repository(rpc, tmp_path_factory):
    """A repository with an Odoo addon on its main branch, served by git's own HTTP backend."""
    with GitServer(tmp_path_factory.mktemp("git")) as server:
        work = server.repository("shop")
        GitServer.commit(work, "shop addon", files={"shop/__manifest__.py": "{'name': 'Shop'}\n"})
        yield rpc("eyrie.repository", "create", {"name": f"shop {RUN}", "url": f"{server.url}/shop.git"})


@pytest.fixture(scope="module")
def kmock_cluster(rpc, mock):
    return rpc("eyrie.cluster", "create", {
        "name": f"kmock types {RUN}", "slug": f"kt{RUN}", "dry_run": False, "auth_method": "token",
        "api_server": mock.url, "token": TOKEN,
    })


@pytest.fixture(scope="module")
def groups(rpc):
    """A group of each type, all in the project of the first Odoo group (a database is its app's)."""
    odoo = group_of_type(rpc, "odoo")
    [project] = rpc("eyrie.deployment.group", "read", [odoo], ["project_id"])
    found = {"odoo": odoo}
    for kind in ("pgo", "pxc", "none"):
        ids = rpc("eyrie.deployment.group", "search",
                  [("type", "=", kind), ("project_id", "=", project["project_id"][0])], limit=1)
        found[kind] = ids[0] if ids else rpc("eyrie.deployment.group", "create", {
            "name": f"{kind} {RUN}", "slug": f"{kind}{RUN}", "type": kind, "project_id": project["project_id"][0],
        })
    return found


@pytest.fixture(scope="module")
def scope(rpc):
    return rpc("eyrie.scope", "search", [("allow_drop", "=", True)], limit=1)[0]


def chapter(rpc, groups, scope, kind, cluster, name, **vals):
    """A deployment made with the chapter's fields only (and the app's database)."""
    return rpc("eyrie.deployment", "create", {
        "name": f"{name} {RUN}", "group_id": groups[kind], "scope_id": scope, "cluster_ids": [(6, 0, [cluster])],
        **vals,
    })


def move(rpc, deployment, method, mock=None, timeout=120):
    """Press ``method`` and wait for its runs to end (playing the cluster meanwhile): they must be done."""
    rpc("eyrie.deployment", method, [deployment])
    deadline = time.monotonic() + timeout
    while True:
        if mock is not None:
            play_cluster(mock)
        [record] = rpc("eyrie.deployment", "read", [deployment], ["run_state", "run_error", "state", "name"])
        if record["run_state"] not in ACTIVE:
            break
        assert time.monotonic() < deadline, f"{record['name']}: {method} still {record['run_state']}"
        time.sleep(0.3)
    assert record["run_state"] == "done", f"{record['name']}: {method} ended {record['run_state']}: " \
                                          f"{record['run_error']}"
    return record["state"]


LIFECYCLE = (("action_initialize", "initialize"), ("action_deploy", "deploy"), ("action_pause", "pause"),
             ("action_deploy", "deploy"))


@contextlib.contextmanager
def run_types(rpc, groups, scope, repository, cluster, mock=None):
    where = "kmock" if mock else "dry"
    """Every type through its lifecycle on ``cluster``, up to (database, its Odoo app, its generic
    app, the generic app of the MySQL database) for the caller's checks; then each is dropped. The
    apps come once their database runs: their books add their users."""
    database = chapter(rpc, groups, scope, "pgo", cluster, f"{where} db")
    for method, state in LIFECYCLE[:2]:
        assert move(rpc, database, method, mock) == state
    app = chapter(rpc, groups, scope, "odoo", cluster, f"{where} shop", image="odoo:19.0", repository_id=repository,
                  branch="main", database_id=database)
    mysql = chapter(rpc, groups, scope, "pxc", cluster, f"{where} mysql")
    worker = chapter(rpc, groups, scope, "none", cluster, f"{where} worker", image="busybox:1.36",
                     database_id=mysql)
    reporter = chapter(rpc, groups, scope, "none", cluster, f"{where} reporter", image="busybox:1.36",
                       database_id=database)
    for deployment in (app, mysql, worker, reporter):
        for method, state in LIFECYCLE:
            assert move(rpc, deployment, method, mock) == state, method
    yield database, app, reporter, worker
    for deployment in (app, worker, mysql, reporter):  # an app before its database
        assert move(rpc, deployment, "action_drop", mock) == "drop"
    for method, state in (*LIFECYCLE[2:], ("action_drop", "drop")):
        assert move(rpc, database, method, mock) == state
    for deployment in (database, app, mysql, worker, reporter):
        runs = rpc("eyrie.job", "search_read", [("deployment_id", "=", deployment)], ["state", "action"])
        assert {run["state"] for run in runs} == {"done"}, runs


def test_every_type_runs_as_created_on_the_dry_run_cluster(rpc, groups, scope, repository):
    with run_types(rpc, groups, scope, repository, dry_run_cluster(rpc)[0]) as (database, app, reporter, worker):
        for user in (app, reporter, worker):
            init = rpc("eyrie.job", "search", [("deployment_id", "=", user), ("action", "=", "init")])
            steps = rpc("eyrie.job.step", "search_read", [("job_id", "in", init)], ["kind", "state", "log"])
            wiring = {step["kind"]: step for step in steps if "database" in step["kind"]}
            assert {kind: step["state"] for kind, step in wiring.items()} == {
                "add_database_user": "done", "copy_database_credentials": "done"}
            assert "dry run, would send: PATCH" in wiring["add_database_user"]["log"]
        assert rpc("eyrie.deployment", "read", [database], ["state"])[0]["state"] == "deploy"


def test_every_type_runs_as_created_on_a_kubernetes_api_server(rpc, mock, groups, scope, repository,
                                                               kmock_cluster):
    with run_types(rpc, groups, scope, repository, kmock_cluster, mock) as (database, app, reporter, worker):
        [db] = rpc("eyrie.deployment", "read", [database], ["slug", "namespace"])
        cluster_name = operators.short_name(db["slug"], operators.PGO_CLUSTER_NAME_MAX)
        postgres = mock.stored({"apiVersion": "postgres-operator.crunchydata.com/v1beta1", "kind": "PostgresCluster",
                                "metadata": {"name": cluster_name, "namespace": db["namespace"]}})
        primary = f"{cluster_name}-primary.{db['namespace']}.svc"
        copies = []
        for user in rpc("eyrie.deployment", "read", [app, reporter], ["slug", "namespace"]):
            assert {"name": user["slug"], "databases": [user["slug"]]} in postgres["spec"]["users"]
            copy = {"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": f"{user['slug']}-database", "namespace": user["namespace"]}}
            assert _decode(mock.stored(copy)["data"]) == {
                "host": primary, "port": "5432", "user": user["slug"], "password": PGO_PASSWORD,
                "dbname": user["slug"]}
            copies.append(copy)
            workload = mock.stored({"apiVersion": "apps/v1", "kind": "Deployment",
                                    "metadata": {"name": user["slug"], "namespace": user["namespace"]}})
            env = {item["name"]: item.get("value") or item["valueFrom"]["secretKeyRef"]
                   for item in workload["spec"]["template"]["spec"]["containers"][0]["env"]}
            assert env["PGHOST"] == primary
            assert env["PGPASSWORD"] == {"name": f"{user['slug']}-database", "key": "password"}
            assert env["PGUSER"] == {"name": f"{user['slug']}-database", "key": "user"}
            assert env["PGDATABASE"] == user["slug"]
            init = rpc("eyrie.job", "search", [("deployment_id", "=", user["id"]), ("action", "=", "init")])
            [added] = rpc("eyrie.job.step", "search_read",
                          [("job_id", "in", init), ("kind", "=", "add_database_user")], ["log"])
            assert f"user {user['slug']} added" in added["log"]
        # The generic app of the MySQL database: its user in spec.users, MySQL variables.
        [user] = rpc("eyrie.deployment", "read", [worker], ["slug", "namespace", "database_id"])
        [mysql] = rpc("eyrie.deployment", "read", [user["database_id"][0]], ["slug", "namespace"])
        mysql_name = operators.short_name(mysql["slug"], operators.PXC_CLUSTER_NAME_MAX)
        pxc = mock.stored({"apiVersion": "pxc.percona.com/v1", "kind": "PerconaXtraDBCluster",
                           "metadata": {"name": mysql_name, "namespace": mysql["namespace"]}})
        assert [item["name"] for item in pxc["spec"]["users"]] == [user["slug"]]
        copy = {"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": f"{user['slug']}-database", "namespace": user["namespace"]}}
        values = _decode(mock.stored(copy)["data"])
        haproxy = f"{mysql_name}-haproxy.{mysql['namespace']}.svc"
        assert {key: value for key, value in values.items() if key != "password"} == {
            "host": haproxy, "port": "3306", "user": user["slug"], "dbname": operators.pxc_database_name(user["slug"])}
        copies.append(copy)
        workload = mock.stored({"apiVersion": "apps/v1", "kind": "Deployment",
                                "metadata": {"name": user["slug"], "namespace": user["namespace"]}})
        env = {item["name"]: item.get("value") or item["valueFrom"]["secretKeyRef"]
               for item in workload["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["MYSQL_HOST"] == haproxy
        assert env["MYSQL_PASSWORD"] == {"name": f"{user['slug']}-database", "key": "password"}
        assert env["MYSQL_DATABASE"] == operators.pxc_database_name(user["slug"])  # the slug's dashes as _
    # The app's drop took its user and its copy back; the database's drop took the rest.
    assert [copy for copy in copies if mock.stored(copy) is not None] == []
    assert mock.stored(postgres) is None
    removed = [body for method, path, body in mock.requests()
               if method == "PATCH" and path.endswith(f"/postgresclusters/{cluster_name}") and "users" in str(body)]
    assert removed[-1]["spec"]["users"] == []
    logs = rpc("eyrie.job.step", "search_read", [("job_id.deployment_id", "in", [app, reporter])], ["log", "error"])
    assert not [step for step in logs if PGO_PASSWORD in f"{step['log']}{step['error']}"]


# --- bad input -----------------------------------------------------------------------------------


def test_bad_input_is_refused_changing_nothing(rpc, groups, scope, kmock_cluster):
    dry = dry_run_cluster(rpc)[0]
    database = chapter(rpc, groups, scope, "pgo", dry, "refusing db")
    before = rpc("eyrie.deployment", "search_count", [])

    def refused(vals, message, kind="odoo"):
        with pytest.raises(xmlrpc.client.Fault, match=message):
            chapter(rpc, groups, scope, kind, vals.pop("cluster", dry), "refused", image="odoo:19.0", **vals)
        assert rpc("eyrie.deployment", "search_count", []) == before

    # An even PXC size, and a single node, without the unsafe (dev only) choice: refused at the move.
    even = chapter(rpc, groups, scope, "pxc", dry, "even mysql", pxc_size=4)
    with pytest.raises(xmlrpc.client.Fault, match=r"fix its field “PXC Size”.*must be odd"):
        rpc("eyrie.deployment", "action_initialize", [even])
    assert rpc("eyrie.deployment", "read", [even], ["state", "job_ids"])[0] == {"id": even, "state": "draft",
                                                                                "job_ids": []}
    # A database of another project.
    project = rpc("eyrie.project", "create", {"name": f"Elsewhere {RUN}", "slug": f"else{RUN}"})
    other_group = rpc("eyrie.deployment.group", "create", {"name": "db", "slug": "db", "project_id": project,
                                                           "type": "pgo"})
    foreign = rpc("eyrie.deployment", "create", {"name": f"foreign {RUN}", "group_id": other_group,
                                                 "scope_id": scope, "cluster_ids": [(6, 0, [dry])]})
    before = rpc("eyrie.deployment", "search_count", [])
    refused({"database_id": foreign}, "must be a PostgreSQL deployment of its project")
    # A MySQL (PXC) database for an Odoo app: Odoo runs on PostgreSQL only, said so.
    refused({"database_id": even}, "only a PostgreSQL deployment")
    # A wired app on a cluster its database is not on.
    refused({"database_id": database, "cluster": kmock_cluster}, "where its database .* does not")
    # A missing database: nothing to connect to, refused at the move, naming the field.
    app = chapter(rpc, groups, scope, "odoo", dry, "no database", image="odoo:19.0")
    with pytest.raises(xmlrpc.client.Fault, match=r"fix its field “Database”"):
        rpc("eyrie.deployment", "action_initialize", [app])
    assert rpc("eyrie.deployment", "read", [app], ["state"])[0]["state"] == "draft"
    # Nothing of these reached a queue.
    assert rpc("eyrie.job", "search_count", [("deployment_id", "in", [even, app, database])]) == 0


def test_the_demo_shows_an_odoo_deployment_wired_to_a_running_database(rpc):
    """The demo data (this database is installed with it): an Odoo deployment and its PGO database,
    both deployed on the dry-run cluster by books that ran to done, the app's with its database steps."""
    apps = rpc("eyrie.deployment", "search_read", [("type", "=", "odoo"), ("database_id", "!=", False),
                                                   ("state", "=", "deploy"), ("name", "not like", RUN)],
               ["database_id", "job_ids", "cluster_ids"])
    wired = []
    for app in apps:
        [database] = rpc("eyrie.deployment", "read", [app["database_id"][0]], ["state", "job_ids"])
        runs = rpc("eyrie.job", "read", app["job_ids"] + database["job_ids"], ["state", "dry_run", "action"])
        steps = rpc("eyrie.job.step", "search_read", [("job_id", "in", app["job_ids"])], ["kind", "state"])
        if database["state"] == "deploy" and all(run["dry_run"] for run in runs) and {"done"} == {
                run["state"] for run in runs if run["action"] in ("init", "deploy")} and {
                step["kind"] for step in steps if step["state"] == "done"} >= {
                "add_database_user", "copy_database_credentials"}:
            wired.append(app["id"])
    assert wired, f"no demo Odoo deployment runs wired to a running database: {apps}"

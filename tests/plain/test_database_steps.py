"""The database steps of an app wired to a PGO deployment, against the kmock API server and on
a dry run: they wait for the cluster and for the operator's Secret, copy it into the app's
namespace (the values never logged), point the app at the primary, and take it all back."""

import base64

import pytest

from eyrie_books import steps
from eyrie_books.k8s import Kube, api_client_from_token, builders, database
from eyrie_books.k8s.builders import odoo
from eyrie_books.k8s.errors import InvalidSpec
from eyrie_books.k8s.operations import DryRunKube
from eyrie_books.k8s.spec import DatabaseLink
from eyrie_books.k8s.tests.factories import NAMESPACE, make_spec
from eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster

LINK = DatabaseLink(namespace="eyrie-db", cluster="shop-db", user="web", database="acme")
PASSWORD = "s3cret-pw-from-pgo"
OTHER = {"name": "report", "databases": ["acme"], "options": "NOLOGIN"}


@pytest.fixture
def cluster():
    with RunningCluster() as running:
        yield running.cluster


@pytest.fixture
def kube(cluster):
    client = api_client_from_token(cluster.url, TOKEN)
    yield Kube(client, timeout=2)
    client.close()


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _cluster(users):
    cluster = database.database_cluster(LINK)
    cluster["spec"] = {"postgresVersion": 16, "users": users}
    return cluster


def _operator_secret():
    """What PGO writes for the user: the host of its own choosing, the rest the app needs."""
    secret = database.user_secret(LINK)
    secret["data"] = {
        "host": _b64("shop-db-replicas.eyrie-db.svc"), "port": _b64("5432"), "user": _b64("web"),
        "password": _b64(PASSWORD), "dbname": _b64("acme"), "uri": _b64(f"postgresql://web:{PASSWORD}@x/acme"),
    }
    return secret


def _users(kube):
    return list(kube.read(database.database_cluster(LINK))["spec"]["users"])


def _run(key, kube, spec, **params):
    lines = []
    steps.run_step(key, kube, spec, {"poll": 1, **params}, lines.append)
    return lines


def test_the_steps_wire_the_app_once_the_operator_made_its_secret(kube, cluster):
    spec = make_spec("odoo", settings={}, database=LINK)
    with pytest.raises(steps.NotReady, match="PostgresCluster eyrie-db/shop-db: Missing"):
        _run("add_database_user", kube, spec)
    kube.ensure(_cluster([OTHER]))
    assert _run("add_database_user", kube, spec) == ["PostgresCluster eyrie-db/shop-db: user web added (database acme)"]
    assert _users(kube)[-1] == {"name": "web", "databases": ["acme"]}

    with pytest.raises(steps.NotReady, match="Secret eyrie-db/shop-db-pguser-web: Missing"):
        _run("copy_database_credentials", kube, spec)
    kube.ensure(_operator_secret())  # the operator made the role
    lines = _run("copy_database_credentials", kube, spec, waiting=True)
    assert lines == ["Secret web-database: created"]
    copy = kube.read({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web-database",
                                                                          "namespace": NAMESPACE}})
    assert copy is not None
    assert {key: base64.b64decode(value).decode() for key, value in copy["data"].items()} == {
        "host": "shop-db-primary.eyrie-db.svc", "port": "5432", "user": "web", "password": PASSWORD, "dbname": "acme",
    }
    assert _run("copy_database_credentials", kube, spec) == ["Secret web-database: unchanged"]

    env = {item["name"]: item for item in odoo.deployment(spec)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["PGHOST"] == {"name": "PGHOST", "value": "shop-db-primary.eyrie-db.svc"}
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "web-database", "key": "password"}
    assert env["PGDATABASE"] == {"name": "PGDATABASE", "value": "acme"}

    assert _run("remove_database_user", kube, spec) == [
        "PostgresCluster eyrie-db/shop-db: user web removed", "Secret web-database: deleted"]
    assert _users(kube) == [OTHER]
    assert _run("remove_database_user", kube, spec) == [
        "PostgresCluster eyrie-db/shop-db: user web not listed", "Secret web-database: already gone"]


# A slug's dash in the database name: MySQL gets "_" (the operator writes it unquoted).
MYSQL = DatabaseLink(namespace="eyrie-db", cluster="shop-mysql", user="web", database="acme-shop", engine="pxc")
MYSQL_OTHER = {"name": "report", "dbs": ["acme"], "grants": ["SELECT"]}


def test_the_steps_wire_a_generic_app_to_a_pxc_user_with_a_password_generated_once(kube, cluster):
    spec = make_spec("none", name="web", database=MYSQL)
    mysql = {**database.database_cluster(MYSQL), "spec": {"crVersion": "1.19.0", "users": [MYSQL_OTHER]}}
    password_secret = database.user_secret(MYSQL)
    with pytest.raises(steps.NotReady, match="PerconaXtraDBCluster eyrie-db/shop-mysql: Missing"):
        _run("add_database_user", kube, spec)
    generated = kube.read(password_secret)["data"]  # made first: the operator reads it when it sees the user
    kube.ensure(mysql)
    assert _run("add_database_user", kube, spec) == [
        "Secret shop-mysql-user-web: unchanged",
        "PerconaXtraDBCluster eyrie-db/shop-mysql: user web added (database acme_shop)"]
    entry = {"name": "web", "dbs": ["acme_shop"], "hosts": ["%"], "grants": ["ALL PRIVILEGES"],
             "passwordSecretRef": {"name": "shop-mysql-user-web", "key": "password"}}
    assert list(kube.read(mysql)["spec"]["users"]) == [MYSQL_OTHER, entry]
    password = base64.b64decode(generated["password"]).decode()
    assert len(password) >= 24
    assert _run("add_database_user", kube, spec) == [
        "Secret shop-mysql-user-web: unchanged",
        "PerconaXtraDBCluster eyrie-db/shop-mysql: user web already listed (database acme_shop)"]
    assert kube.read(password_secret)["data"] == generated  # created once, never rewritten

    lines = _run("copy_database_credentials", kube, spec)
    assert lines == ["Secret web-database: created"] and not any(password in line for line in lines)
    copy = kube.read(database.credentials_secret(spec, {}))
    assert {key: base64.b64decode(value).decode() for key, value in copy["data"].items()} == {
        "host": "shop-mysql-haproxy.eyrie-db.svc", "port": "3306", "user": "web", "password": password,
        "dbname": "acme_shop",
    }
    env = {item["name"]: item.get("value") or item["valueFrom"]["secretKeyRef"]["key"]
           for item in builders.workload(spec)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env == {"MYSQL_HOST": "shop-mysql-haproxy.eyrie-db.svc", "MYSQL_PORT": "port", "MYSQL_USER": "user",
                   "MYSQL_PASSWORD": "password", "MYSQL_DATABASE": "acme_shop"}

    assert _run("remove_database_user", kube, spec) == [
        "PerconaXtraDBCluster eyrie-db/shop-mysql: user web removed", "Secret web-database: deleted",
        "Secret shop-mysql-user-web: deleted"]
    assert list(kube.read(mysql)["spec"]["users"]) == [MYSQL_OTHER]
    assert kube.read(password_secret) is None


def test_a_pxc_cluster_without_haproxy_is_reached_through_its_pxc_service():
    link = DatabaseLink(namespace="eyrie-db", cluster="shop-mysql", user="web", database="acme", engine="pxc",
                        haproxy=False)
    assert link.host == "shop-mysql-pxc.eyrie-db.svc"


def test_odoo_is_refused_a_pxc_database():
    with pytest.raises(InvalidSpec, match="odoo runs on PostgreSQL only"):
        make_spec("odoo", settings={}, database=MYSQL)


def test_the_steps_do_nothing_for_an_app_without_a_database_deployment(kube, cluster):
    spec = make_spec("odoo")
    for key in ("add_database_user", "copy_database_credentials", "remove_database_user"):
        assert _run(key, kube, spec)[0].startswith("No database deployment")
    assert cluster.requests() == []


@pytest.mark.parametrize("key", ["add_database_user", "copy_database_credentials", "remove_database_user"])
@pytest.mark.parametrize("spec", [make_spec("odoo", settings={}, database=LINK),
                                  make_spec("none", name="web", database=MYSQL)], ids=["pgo", "pxc"])
def test_the_steps_complete_on_a_dry_run(key, spec):
    kube = DryRunKube()
    lines = _run(key, kube, spec)
    assert lines and not any("nothing" in line for line in lines)
    assert kube.requests

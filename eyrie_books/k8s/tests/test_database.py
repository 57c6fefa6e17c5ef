"""An app wired to a PGO database, against the kmock API server: its user in the cluster's
``spec.users`` (other users kept, concurrent writers not lost). The steps that use this are
tested in ``tests/plain/test_database_steps.py``."""
from __future__ import annotations

import base64
from typing import Any

import pytest

from .. import database
from ..builders import Obj, workload
from ..errors import Conflict
from ..operations import Kube
from ..spec import DatabaseLink
from . import validation
from .factories import make_spec
from .kmock_server import MockCluster

LINK = DatabaseLink(namespace="eyrie-db", cluster="shop-db", user="web", database="acme")
PASSWORD = "s3cret-pw-from-pgo"
OTHER = {"name": "report", "databases": ["acme"], "options": "NOLOGIN"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _cluster(users: list[dict[str, Any]], **metadata: Any) -> Obj:
    cluster = database.database_cluster(LINK)
    cluster["metadata"].update(metadata)
    cluster["spec"] = {"postgresVersion": 16, "users": users}
    return cluster


def _operator_secret() -> Obj:
    """What PGO writes for the user: the host of its own choosing, the rest the app needs."""
    secret = database.user_secret(LINK)
    secret["data"] = {
        "host": _b64("shop-db-replicas.eyrie-db.svc"), "port": _b64("5432"), "user": _b64("web"),
        "password": _b64(PASSWORD), "dbname": _b64("acme"), "uri": _b64(f"postgresql://web:{PASSWORD}@x/acme"),
    }
    return secret


def _users(kube: Kube) -> list[dict[str, Any]]:
    live = kube.read(database.database_cluster(LINK))
    assert live is not None
    return list(live["spec"]["users"])


def test_add_user_keeps_the_other_users_and_is_idempotent(kube: Kube, cluster: MockCluster) -> None:
    kube.ensure(_cluster([OTHER]))
    assert database.add_user(kube, LINK) is True
    assert _users(kube) == [OTHER, {"name": "web", "databases": ["acme"]}]
    before = len(cluster.requests())
    assert database.add_user(kube, LINK) is False
    assert [method for method, _path, _body in cluster.requests()[before:]] == ["GET"]


def test_add_user_adds_its_database_to_a_user_of_that_name(kube: Kube) -> None:
    kube.ensure(_cluster([{"name": "web", "databases": ["legacy"]}]))
    assert database.add_user(kube, LINK) is True
    assert _users(kube) == [{"name": "web", "databases": ["legacy", "acme"]}]


def test_the_write_carries_the_resource_version_it_read(kube: Kube, cluster: MockCluster) -> None:
    kube.ensure(_cluster([OTHER]))
    live = kube.read(database.database_cluster(LINK))
    assert live is not None
    database.add_user(kube, LINK)
    [patch] = [body for method, _path, body in cluster.requests() if method == "PATCH"]
    assert patch["metadata"] == {"resourceVersion": live["metadata"]["resourceVersion"]}


class _RacingKube(Kube):
    """Another app adds its user right after this one reads the cluster: the API server then
    refuses this one's write (409), as it would for the stale resourceVersion."""

    def __init__(self, kube: Kube, cluster: MockCluster, rival: DatabaseLink) -> None:
        super().__init__(kube.api_client, timeout=kube.timeout)
        self.mock, self.rival, self.raced = cluster, rival, False

    def read(self, obj: Obj) -> Obj | None:
        live = super().read(obj)
        if not self.raced and obj["kind"] == "PostgresCluster":
            self.raced = True
            assert database.add_user(Kube(self.api_client), self.rival) is True
            self.mock.refuse("PATCH", "/apis/postgres-operator.crunchydata.com/v1beta1/namespaces/eyrie-db/"
                                      "postgresclusters/shop-db", 409, {"kind": "Status", "reason": "Conflict",
                                                                        "code": 409})
        return live


def test_two_apps_adding_users_at_once_lose_neither(kube: Kube, cluster: MockCluster) -> None:
    kube.ensure(_cluster([OTHER]))
    rival = DatabaseLink(LINK.namespace, LINK.cluster, "shop", "shop")
    assert database.add_user(_RacingKube(kube, cluster, rival), LINK) is True
    assert _users(kube) == [OTHER, {"name": "shop", "databases": ["shop"]}, {"name": "web", "databases": ["acme"]}]
    assert cluster.pending_faults() == []


def test_conflicts_without_end_are_left_to_the_caller(kube: Kube, cluster: MockCluster) -> None:
    kube.ensure(_cluster([]))
    path = "/apis/postgres-operator.crunchydata.com/v1beta1/namespaces/eyrie-db/postgresclusters/shop-db"

    class Contested(Kube):
        def patch(self, obj: Obj, patch: Obj) -> Obj:
            cluster.refuse("PATCH", path, 409, {"kind": "Status", "reason": "Conflict", "code": 409})
            return super().patch(obj, patch)

    with pytest.raises(Conflict, match="changed by others 5 times"):
        database.add_user(Contested(kube.api_client), LINK)
    assert _users(kube) == []


def test_remove_user_keeps_the_others(kube: Kube) -> None:
    kube.ensure(_cluster([OTHER, {"name": "web", "databases": ["acme"]}]))
    assert database.remove_user(kube, LINK) is True
    assert _users(kube) == [OTHER]
    assert database.remove_user(kube, LINK) is False


def test_without_the_cluster_nothing_is_written(kube: Kube, cluster: MockCluster) -> None:
    assert database.add_user(kube, LINK) is None
    assert database.remove_user(kube, LINK) is None
    assert {method for method, _path, _body in cluster.requests()} == {"GET"}


def test_applying_the_database_again_keeps_the_users_its_apps_added(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("pgo", name=LINK.cluster, namespace=LINK.namespace)  # lists the user "odoo"
    kube.ensure(workload(spec))
    assert database.add_user(kube, LINK) is True
    kube.patch(workload(spec), {"spec": {"users": [OTHER, *_users(kube)]}})  # another tool's user, first
    before = len(cluster.requests())
    merged = database.with_live_users(kube, spec)
    assert kube.ensure(workload(merged)) == "unchanged"
    assert [method for method, _path, _body in cluster.requests()[before:]] == ["GET", "GET"]  # no write
    assert [user["name"] for user in _users(kube)] == ["report", "odoo", "web"]
    # What the database deployment lists is written over what the live item says of it.
    changed = make_spec("pgo", name=LINK.cluster, namespace=LINK.namespace,
                        settings={"users": [{"name": "odoo", "databases": ["acme", "acme2"]}]})
    assert kube.ensure(workload(database.with_live_users(kube, changed))) == "patched"
    assert _users(kube) == [OTHER, {"name": "odoo", "databases": ["acme", "acme2"]},
                            {"name": "web", "databases": ["acme"]}]
    # Without a live cluster the spec is applied as it is.
    assert database.with_live_users(kube, make_spec("pgo", name="new-db")) == make_spec("pgo", name="new-db")


MYSQL = DatabaseLink(namespace="eyrie-db", cluster="shop-mysql", user="web", database="acme", engine="pxc")


def _pxc_users(kube: Kube) -> list[dict[str, Any]]:
    live = kube.read(database.database_cluster(MYSQL))
    assert live is not None
    return list(live["spec"]["users"])


def test_a_pxc_user_is_added_once_and_removed_keeping_the_others(kube: Kube) -> None:
    other = {"name": "web", "dbs": ["legacy"], "grants": ["SELECT"]}
    kube.ensure({**database.database_cluster(MYSQL), "spec": {"crVersion": "1.19.0", "users": [OTHER]}})
    assert database.add_user(kube, MYSQL) is True
    assert _pxc_users(kube) == [OTHER, database.user_entry(MYSQL)]
    assert database.add_user(kube, MYSQL) is False
    assert database.remove_user(kube, MYSQL) is True
    assert _pxc_users(kube) == [OTHER]
    # A user of that name listed by someone else is left as it is (its password is theirs).
    kube.patch(database.database_cluster(MYSQL), {"spec": {"users": [other]}})
    assert database.add_user(kube, MYSQL) is False
    assert _pxc_users(kube) == [other]


def test_applying_a_pxc_database_again_keeps_the_users_its_apps_added(kube: Kube) -> None:
    spec = make_spec("pxc", name=MYSQL.cluster, namespace=MYSQL.namespace)
    kube.ensure(workload(spec))
    assert database.add_user(kube, MYSQL) is True
    assert kube.ensure(workload(database.with_live_users(kube, spec))) == "unchanged"
    assert _pxc_users(kube) == [database.user_entry(MYSQL)]


def test_a_pxc_app_gets_the_database_the_operator_creates() -> None:
    """The operator writes a user's dbs unquoted into its SQL: a slug's dash becomes "_", in the
    user's item and in the app's copy of its credentials alike."""
    link = DatabaseLink(namespace="eyrie-db", cluster="shop-mysql", user="acme-shop", database="acme-shop",
                        engine="pxc")
    link.validate()
    assert database.user_entry(link)["dbs"] == ["acme_shop"]
    spec = make_spec("none", database=link)
    copy = database.credentials_secret(spec, {"data": {"password": _b64(PASSWORD)}})
    assert base64.b64decode(copy["data"]["dbname"]).decode() == "acme_shop"
    assert base64.b64decode(copy["data"]["user"]).decode() == "acme-shop"  # quoted by the operator
    cluster = workload(make_spec("pxc", name=link.cluster, settings={"users": [database.user_entry(link)]}))
    assert validation.operator_rule_errors(cluster) == []

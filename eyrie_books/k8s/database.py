"""An app wired to a PGO database deployment: its user in the ``PostgresCluster``, and its copy
of the credentials the operator writes for that user.

PGO makes a role and its databases for each item of the cluster's ``spec.users`` and writes their
credentials into the Secret ``<cluster>-pguser-<user>``, in the cluster's namespace. A pod reads
Secrets of its own namespace only, so the app gets a copy in its namespace
(:func:`credentials_secret`), whose ``host`` is the cluster's primary Service.

Several apps share one database, and other tools may list users too: each app adds or removes
only its own item, and writes the list it read back with the ``resourceVersion`` it read. An API
server refuses that write (409) when someone else wrote the cluster in between; the list is then
read again and the write retried (:func:`add_user`, :func:`remove_user`).
"""
from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from typing import Any

from .builders import common, pgo
from .builders.common import Obj
from .errors import Conflict
from .operations import Operations
from .spec import DatabaseLink, DeploymentSpec

# Reads and writes of the user list before a run of conflicts is left to the caller's retries.
CONFLICT_ATTEMPTS = 5
# The keys of PGO's user Secret the app's copy keeps (``host`` is set to the primary's).
COPIED_KEYS = ("port", "user", "password", "dbname")

Users = list[dict[str, Any]]


def postgres_cluster(link: DatabaseLink) -> Obj:
    """The database's ``PostgresCluster``, as far as an app names it."""
    return {"apiVersion": pgo.API_VERSION, "kind": "PostgresCluster",
            "metadata": {"name": link.cluster, "namespace": link.namespace}}


def user_secret(link: DatabaseLink) -> Obj:
    """The Secret PGO writes for the app's user."""
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": pgo.user_secret_name(link.cluster, link.user), "namespace": link.namespace}}


def user_entry(link: DatabaseLink) -> dict[str, Any]:
    """The app's item of ``spec.users``: a user named after the app, owning its database."""
    return {"name": link.user, "databases": [link.database]}


def credentials_secret(spec: DeploymentSpec, operator_secret: Obj) -> Obj:
    """The copy, in the app's namespace, of the operator's Secret ``operator_secret`` (as read)."""
    assert spec.database is not None
    data = operator_secret.get("data") or {}
    copied = {key: data[key] for key in COPIED_KEYS if key in data}
    copied["host"] = base64.b64encode(spec.database.primary_host.encode()).decode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": common.metadata(spec, common.database_secret_name(spec)),
        "type": "Opaque",
        "data": copied,
    }


def add_user(kube: Operations, link: DatabaseLink) -> bool | None:
    """Add the app's user to the cluster's ``spec.users`` (its database to an item of the same
    name); False when it is there already, None when the cluster does not exist."""
    entry = user_entry(link)

    def added(users: Users) -> Users:
        for index, user in enumerate(users):
            if user.get("name") == link.user:
                databases = list(user.get("databases") or [])
                if link.database in databases:
                    return users
                return [*users[:index], {**user, "databases": [*databases, link.database]}, *users[index + 1:]]
        return [*users, entry]

    return _update_users(kube, link, added)


def remove_user(kube: Operations, link: DatabaseLink) -> bool | None:
    """Take the app's user out of the cluster's ``spec.users``; False when it was not there,
    None when the cluster does not exist."""
    return _update_users(kube, link, lambda users: [user for user in users if user.get("name") != link.user])


def _update_users(kube: Operations, link: DatabaseLink, change: Callable[[Users], Users]) -> bool | None:
    """Write ``change(users)`` over the cluster's users if it differs: True, False if it does not,
    None without the cluster."""
    cluster = postgres_cluster(link)
    for _attempt in range(CONFLICT_ATTEMPTS):
        live = kube.read(cluster)
        if live is None:
            return None
        users = list((live.get("spec") or {}).get("users") or [])
        wanted = change(users)
        if wanted == users:
            return False
        patch: Obj = {"spec": {"users": wanted}}
        version = (live.get("metadata") or {}).get("resourceVersion")
        if version:
            patch["metadata"] = {"resourceVersion": version}
        try:
            kube.patch(cluster, patch)
        except Conflict:
            continue  # another writer came first: read its list and try again
        return True
    raise Conflict(f"PostgresCluster {link.namespace}/{link.cluster}: changed by others {CONFLICT_ATTEMPTS} times "
                   "while its users were written", 409)


def dry_run_objects(spec: DeploymentSpec, listed: bool) -> list[Obj]:
    """What a dry run of a database step finds on the cluster: the database's cluster (with the
    app's user when ``listed``, and then the app's copy), and the operator's Secret, without values."""
    assert spec.database is not None
    cluster = postgres_cluster(spec.database)
    cluster["spec"] = {"users": [user_entry(spec.database)] if listed else []}
    secret = user_secret(spec.database)
    return [cluster, secret, *([credentials_secret(spec, secret)] if listed else [])]


def with_live_users(kube: Operations, spec: DeploymentSpec) -> DeploymentSpec:
    """``spec`` of a PGO deployment, its users merged into those its live cluster lists: users are
    added and removed by the apps' own books (and may be by other tools), so applying the cluster
    again never drops one. The live order is kept (no write when nothing else changed)."""
    live = kube.read(pgo.postgres_cluster(spec))
    live_users = ((live or {}).get("spec") or {}).get("users") or []
    if not live_users:
        return spec
    wanted = {user["name"]: dict(user) for user in spec.setting("users") or []}
    merged = [wanted.pop(user.get("name"), user) for user in live_users]
    return dataclasses.replace(spec, settings={**(spec.settings or {}), "users": [*merged, *wanted.values()]})

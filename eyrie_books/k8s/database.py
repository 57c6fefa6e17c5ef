"""An app wired to a database deployment: its user in the ``PostgresCluster`` (PGO) or the
``PerconaXtraDBCluster`` (PXC), and its copy of that user's credentials.

PGO makes a role and its databases for each item of the cluster's ``spec.users`` and writes their
credentials into the Secret ``<cluster>-pguser-<user>``, in the cluster's namespace. A pod reads
Secrets of its own namespace only, so the app gets a copy in its namespace
(:func:`credentials_secret`), whose ``host`` is the cluster's primary Service.

The PXC operator makes a user (and its databases) for each item of its ``spec.users``, with the
password read from the Secret the item names, in the cluster's namespace: the app's books
generate that Secret once (:func:`password_secret`) and copy it with the HAProxy Service as host.

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

from .builders import common, pgo, pxc
from .builders.common import Obj
from .errors import Conflict
from .operations import Operations
from .spec import DatabaseLink, DeploymentSpec

# Reads and writes of the user list before a run of conflicts is left to the caller's retries.
CONFLICT_ATTEMPTS = 5
# The keys of PGO's user Secret the app's copy keeps (``host`` is set to the primary's).
COPIED_KEYS = ("port", "user", "password", "dbname")
PXC_PORT = "3306"  # the MySQL port of the operator's HAProxy and PXC Services

Users = list[dict[str, Any]]


def database_cluster(link: DatabaseLink) -> Obj:
    """The database's cluster object, as far as an app names it."""
    if link.engine == "pxc":
        return {"apiVersion": pxc.API_VERSION, "kind": "PerconaXtraDBCluster",
                "metadata": {"name": link.cluster, "namespace": link.namespace}}
    return {"apiVersion": pgo.API_VERSION, "kind": "PostgresCluster",
            "metadata": {"name": link.cluster, "namespace": link.namespace}}


def user_secret(link: DatabaseLink) -> Obj:
    """The Secret of the app's user: PGO's (it writes it), or the password's for PXC."""
    name = (pxc.user_password_secret_name(link.cluster, link.user) if link.engine == "pxc"
            else pgo.user_secret_name(link.cluster, link.user))
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": link.namespace}}


def password_secret(spec: DeploymentSpec) -> Obj:
    """The PXC user's password, generated (apply it create-only) in the database's namespace."""
    assert spec.database is not None
    secret = common.generated_secret(spec, user_secret(spec.database)["metadata"]["name"], ["password"])
    secret["metadata"]["namespace"] = spec.database.namespace
    return secret


def user_entry(link: DatabaseLink) -> dict[str, Any]:
    """The app's item of ``spec.users``: a user named after the app, owning its database."""
    if link.engine == "pxc":
        return pxc.user_entry(link.cluster, link.user, link.database)
    return {"name": link.user, "databases": [link.database]}


def credentials_secret(spec: DeploymentSpec, user_secret_read: Obj) -> Obj:
    """The copy, in the app's namespace, of the Secret ``user_secret_read`` of its user (as read)."""
    link = spec.database
    assert link is not None
    data = user_secret_read.get("data") or {}
    if link.engine == "pxc":
        copied = {key: base64.b64encode(value.encode()).decode()
                  for key, value in (("port", PXC_PORT), ("user", link.user), ("dbname", link.database_name))}
        if "password" in data:
            copied["password"] = data["password"]
    else:
        copied = {key: data[key] for key in COPIED_KEYS if key in data}
    copied["host"] = base64.b64encode(link.host.encode()).decode()
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
            if user.get("name") == link.user and link.engine == "pxc":
                return users  # its own item, or another's of that name: kept as it is
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
    cluster = database_cluster(link)
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
    raise Conflict(f"{cluster['kind']} {link.namespace}/{link.cluster}: changed by others {CONFLICT_ATTEMPTS} times "
                   "while its users were written", 409)


def dry_run_objects(spec: DeploymentSpec, listed: bool) -> list[Obj]:
    """What a dry run of a database step finds on the cluster: the database's cluster (with the
    app's user when ``listed``, and then the app's copy), and the operator's Secret, without values."""
    assert spec.database is not None
    cluster = database_cluster(spec.database)
    cluster["spec"] = {"users": [user_entry(spec.database)] if listed else []}
    secret = user_secret(spec.database)
    return [cluster, secret, *([credentials_secret(spec, secret)] if listed else [])]


def with_live_users(kube: Operations, spec: DeploymentSpec) -> DeploymentSpec:
    """``spec`` of a PGO or PXC deployment, its users merged into those its live cluster lists: users are
    added and removed by the apps' own books (and may be by other tools), so applying the cluster
    again never drops one. The live order is kept (no write when nothing else changed)."""
    live = kube.read(pxc.pxc_cluster(spec) if spec.type == "pxc" else pgo.postgres_cluster(spec))
    live_users = ((live or {}).get("spec") or {}).get("users") or []
    if not live_users:
        return spec
    wanted = {user["name"]: dict(user) for user in spec.setting("users") or []}
    merged = [wanted.pop(user.get("name"), user) for user in live_users]
    return dataclasses.replace(spec, settings={**(spec.settings or {}), "users": [*merged, *wanted.values()]})

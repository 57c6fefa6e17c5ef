"""What the database operators Eyrie drives accept, from their own sources.

Facts read from the operator releases Eyrie targets; each names where it comes from, so a move to
a newer release updates them in one place (and the CRD schemas the tests check against, see
``tests/schemas/README.md``).

* Crunchy PGO v5.8.9 (``CrunchyData/postgres-operator``).
* Percona Operator for MySQL based on PXC v1.19.0 (``percona/percona-xtradb-cluster-operator``).
"""
from __future__ import annotations

import hashlib
import re

# --- PGO ------------------------------------------------------------------------------------
# The majors PGO 5.8 ships a default image for (RELATED_IMAGE_POSTGRES_<major> in
# config/manager/manager.yaml): without ``spec.image`` any other version has no image to run.
PGO_POSTGRES_VERSIONS = (15, 16, 17, 18)
# 16, not the newest: a cluster built without the setting before keeps its major (PGO refuses to
# change postgresVersion in place; a major upgrade is a PGUpgrade).
PGO_DEFAULT_POSTGRES_VERSION = 16
PGO_INSTANCE_NAME = "instance1"
# PostgresInstanceSetSpec.Name: "The combined length of this and the cluster name must be 46
# characters or less" (pkg/apis/.../v1beta1/postgrescluster_types.go).
PGO_CLUSTER_NAME_MAX = 46 - len(PGO_INSTANCE_NAME)
# spec.users items: the fields the CRD keeps (anything else would be pruned).
PGO_USER_KEYS = frozenset({"name", "databases", "options", "password"})
PGO_MAX_USERS = 64
# spec.users[].options: CRD pattern ^[^;]*$, maxLength 200, and the CEL rules "cannot assign
# password" and "cannot contain comments".
PGO_USER_OPTIONS_MAX = 200
PGO_USER_OPTIONS_REFUSED = re.compile(r"(?i:PASSWORD)|--|/\*|\*/|;")

# --- PXC ------------------------------------------------------------------------------------
# deploy/cr.yaml of v1.19.0: the release's own crVersion and images.
PXC_CR_VERSION = "1.19.0"
PXC_IMAGE = "percona/percona-xtradb-cluster:8.4.7-7.1"
PXC_HAPROXY_IMAGE = "percona/haproxy:2.8.17"
# pkg/apis/pxc/v1/pxc_types.go: Validate() refuses "cluster name (…) too long" past
# clusterNameMaxLen = 22.
PXC_CLUSTER_NAME_MAX = 22
# checkSafeDefaults() (crVersion >= 1.15.0, cluster not paused): "PXC size must be at least 3",
# "at most 5" (maxSafePXCSize), "an odd number" unless spec.unsafeFlags.pxcSize; "HAProxy size
# must be at least 2" (minSafeProxySize) unless spec.unsafeFlags.proxySize.
PXC_SAFE_SIZES = (3, 5)
PXC_MIN_SAFE_PROXY_SIZE = 2
# validateVersion(): crVersion must parse as a version; Eyrie sends releases, x.y.z.
PXC_CR_VERSION_PATTERN = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\Z")
# spec.users (since v1.16.0), reconcileCustomUsers() and upsertUserQuery() of
# pkg/controller/pxc/users_custom.go: names in users.UserNames (pkg/pxc/users/users.go) are skipped
# as reserved; MySQL's CREATE USER refuses names over 32 characters; each of ``dbs`` goes into
# "CREATE DATABASE IF NOT EXISTS %s" and "GRANT %s ON %s.*" unquoted, so only a plain identifier
# (at most 64 characters, not all digits) works there.
# "clustercheck" too: a system user until v1.14.0, which a cluster made before may still have.
PXC_RESERVED_USERS = frozenset({"root", "operator", "monitor", "xtrabackup", "replication", "proxyadmin",
                                "pmmserver", "pmmserverkey", "pmmservertoken", "clustercheck"})
PXC_USER_NAME_MAX = 32
PXC_DATABASE_NAME = re.compile(r"^(?![0-9]+\Z)[0-9A-Za-z_$]{1,64}\Z")


def pxc_database_name(name: str) -> str:
    """The MySQL database of an app's database name ``name``: dashes (a slug's) as underscores,
    which the operator need not quote (:data:`PXC_DATABASE_NAME`).

    >>> pxc_database_name("acme-shop")
    'acme_shop'
    """
    return name.replace("-", "_")


def short_name(name: str, limit: int) -> str:
    """``name`` if it fits ``limit``, else a readable prefix of it and a hash of all of it.

    Stable (the same name always gives the same result) and distinct for distinct names (up to
    the hash), so objects named from it are found again on every run.

    >>> short_name("acme-shop", 22)
    'acme-shop'
    >>> short_name("acme-shop-production-mysql", 22)
    'acme-shop-prod-9a74de2'
    >>> len(short_name("a" * 63, 22))
    22
    """
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:7]
    prefix = name[: limit - len(digest) - 1].rstrip("-")
    return f"{prefix}-{digest}"

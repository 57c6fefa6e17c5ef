"""What one Eyrie deployment looks like, checked before anything is sent.

A :class:`DeploymentSpec` is plain data built by the Odoo side from its
records.  It validates itself on construction and raises
:class:`~.errors.InvalidSpec` naming the field, so a bad name, a missing
image or a setting the operators would refuse is reported before any request
reaches a cluster (the operators' own rules are in :mod:`.operators`).

``settings`` carries the values that only one deployment type understands;
every one is optional unless said otherwise:

* ``odoo``: ``db_secret`` (a PGO user secret such as
  ``<cluster>-pguser-<user>``, keys host/port/user/password/dbname) *or*
  ``db_host`` + ``db_user`` + ``db_password_secret`` (a Secret with key
  ``password``) and optional ``db_port``: one of the two is required;
  ``db_name`` (defaults to the secret's ``dbname``, or the deployment name);
  ``workers`` (default 2); ``options`` (extra ``odoo.conf`` options, text by
  text; Eyrie's own keep their values); ``fs_group`` (default 101, the uid/gid of the
  official Odoo image).
* ``pgo``: ``postgres_version`` (one of ``PGO_POSTGRES_VERSIONS``, default
  ``PGO_DEFAULT_POSTGRES_VERSION``), ``instances`` (default 1),
  ``backup_size`` (default: ``storage_size``), ``users`` (a list of
  ``{"name": ..., "databases": [...], "options": ..., "password": {...}}``,
  the fields of PGO's ``spec.users``).  ``image`` is optional: PGO's own
  image for the version.  A name too long for PGO gets a shortened cluster
  name (see ``builders.pgo.cluster_name``).
* ``pxc``: ``cr_version`` (default ``PXC_CR_VERSION``), ``size`` (default 3;
  odd, 3 to 5), ``haproxy`` (default True), ``haproxy_size`` (default 3; at
  least 2), ``haproxy_image`` (default ``PXC_HAPROXY_IMAGE``), ``unsafe``
  (default False; True allows any size from 1, dev only, through the
  operator's ``unsafeFlags``), ``users`` (items of the operator's
  ``spec.users``: ``{"name": ..., "dbs": [...], "grants": [...], ...}``).  ``image`` is the PXC image (default
  ``PXC_IMAGE``).  A name too long for the operator gets a shortened cluster
  name (see ``builders.pxc.cluster_name``).
* ``none``: nothing; ``image``, ``port``, ``env`` (plain values, a
  ConfigMap), ``secret_env`` (a Secret), ``command``, ``args`` and
  ``volume_path`` (a claim of ``storage_size`` mounted there) describe the
  app.  Without a ``port`` it runs as a worker: no Service, no Ingress.

An app whose database is a PGO deployment (or, for ``none``, a PXC one)
carries a :class:`DatabaseLink` (``database``) instead of database settings:
its books add its user to that ``PostgresCluster`` (``PerconaXtraDBCluster``)
and copy its credentials into the app's namespace (see :mod:`.database`). An ``odoo`` app on an external PostgreSQL
carries its password in ``db_password``: the secrets step writes it into the
Secret named by ``db_password_secret``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import operators
from .errors import InvalidSpec

TYPES = ("odoo", "pgo", "pxc", "none")

# Suffixes that builders append to ``name``; the longest must still fit 63 chars.
NAME_SUFFIXES = (
    "-filestore", "-registry", "-secrets", "-db-init", "-config", "-source", "-update", "-database", "-data",
)

# \Z, not $: "$" also matches before a trailing newline.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?\Z")
_OPTION_KEY = re.compile(r"^[a-z_][a-z0-9_]*\Z")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*\Z")
# What a commit ref may be in the fetch script's environment: a commit id, a tag or a branch name
# (git check-ref-format's characters, no spaces or control characters).
_GIT_REF = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9._/]{0,254}\Z")
_ABSOLUTE_PATH = re.compile(r"^/[-A-Za-z0-9._/]*\Z")
DEFAULT_GIT_IMAGE = "alpine/git:2.45.2"
# Settings the builders turn into whole numbers (int()), with their minimum: checked here, or a
# string or a list would fail the run with a TypeError instead of naming the setting.
INTEGER_SETTINGS = {
    "odoo": {"db_port": 1, "fs_group": 0},
    "pgo": {"instances": 1, "postgres_version": 1},
    "pxc": {"size": 1, "haproxy_size": 1},
}
BOOLEAN_SETTINGS = {"pxc": ("haproxy", "unsafe")}
# Settings written into objects as text: a number or a list there would be refused by the API server.
# The fields of an item of the PXC operator's spec.users.
_PXC_USER_FIELDS = {"name", "dbs", "hosts", "grants", "withGrantOption", "passwordSecretRef"}
TEXT_SETTINGS = {"odoo": ("db_host", "db_user", "db_name")}


def is_dns_label(value: str) -> bool:
    """True for an RFC 1123 label: ``[a-z0-9]([-a-z0-9]*[a-z0-9])?``, at most 63."""
    return len(value) <= 63 and bool(_DNS_LABEL.match(value))


def check_dns_label(field_name: str, value: str) -> None:
    """Raise :class:`InvalidSpec` unless ``value`` is an RFC 1123 label."""
    if not is_dns_label(value):
        raise InvalidSpec(
            field_name,
            f"{value!r} must be at most 63 characters of a-z, 0-9 and '-', "
            "starting and ending with a letter or digit",
        )


def check_dns_subdomain(field_name: str, value: Any) -> None:
    """Raise :class:`InvalidSpec` unless ``value`` is an RFC 1123 subdomain (a Secret name, a host)."""
    if not isinstance(value, str) or len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise InvalidSpec(field_name, f"{value!r} is not a lowercase DNS name")


def check_integer(field_name: str, value: Any, minimum: int) -> None:
    """Raise :class:`InvalidSpec` unless ``value`` is an int (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidSpec(field_name, f"{value!r} must be an integer >= {minimum}")


@dataclass(frozen=True)
class RegistryCredentials:
    """Login to a private image registry; becomes an image pull secret."""

    server: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Source:
    """The repository code a deployment runs, fetched at ``commit`` (see ``builders.source``).

    ``path`` is where the app's container finds it (``none``); Odoo finds it on its addons path.
    Credentials: a ``token`` (https), or an ``ssh_key`` with the server's ``known_hosts``.
    """

    url: str
    commit: str
    branch: str = ""
    username: str = "git"
    token: str = field(default="", repr=False)
    ssh_key: str = field(default="", repr=False)
    known_hosts: str = ""
    image: str = DEFAULT_GIT_IMAGE
    path: str = ""

    def validate(self, deployment_type: str) -> None:
        if not self.url or any(char.isspace() for char in self.url):
            raise InvalidSpec("source.url", f"{self.url!r} is not a clone URL")
        for name in ("commit", "branch"):
            value = getattr(self, name)
            if (value or name == "commit") and not _GIT_REF.match(value):
                raise InvalidSpec(f"source.{name}", f"{value!r} is not a commit id, tag or branch")
        if self.ssh_key and not self.known_hosts.strip():
            raise InvalidSpec("source.known_hosts", "an SSH key needs the server's known host keys")
        if not self.image.strip():
            raise InvalidSpec("source.image", "the image that fetches the code is required")
        if deployment_type == "none" and not _ABSOLUTE_PATH.match(self.path):
            raise InvalidSpec("source.path", f"{self.path!r} must be an absolute path in the container")
        if deployment_type not in ("odoo", "none"):
            raise InvalidSpec("source", f"a {deployment_type!r} deployment runs no repository code")


@dataclass(frozen=True)
class DatabaseLink:
    """An app's user in the cluster of its database deployment: the cluster (name and namespace
    on this Kubernetes cluster), its engine (``pgo``: a ``PostgresCluster``; ``pxc``: a
    ``PerconaXtraDBCluster``, reached through HAProxy unless ``haproxy`` is off), the user (the
    app's name) and the database it owns."""

    namespace: str
    cluster: str
    user: str
    database: str
    engine: str = "pgo"
    haproxy: bool = True

    @property
    def host(self) -> str:
        """The DNS name of the Service the app connects to: PGO's ``<cluster>-primary``; the PXC
        operator's ``<cluster>-haproxy``, or ``<cluster>-pxc`` (its Service of the PXC pods) when
        the cluster runs no HAProxy (Eyrie enables no ProxySQL)."""
        if self.engine == "pxc":
            return f"{self.cluster}-{'haproxy' if self.haproxy else 'pxc'}.{self.namespace}.svc"
        return f"{self.cluster}-primary.{self.namespace}.svc"

    @property
    def database_name(self) -> str:
        """The database the user owns as its engine names it (a PXC one as its operator can
        create it, see ``operators.pxc_database_name``)."""
        return operators.pxc_database_name(self.database) if self.engine == "pxc" else self.database

    def validate(self) -> None:
        check_dns_label("database.namespace", self.namespace)
        check_dns_label("database.cluster", self.cluster)
        if self.engine not in ("pgo", "pxc"):
            raise InvalidSpec("database.engine", f"{self.engine!r} is not pgo or pxc")
        limit = operators.PXC_CLUSTER_NAME_MAX if self.engine == "pxc" else operators.PGO_CLUSTER_NAME_MAX
        if len(self.cluster) > limit:
            raise InvalidSpec("database.cluster", f"{self.cluster!r} is longer than its operator allows")
        check_dns_label("database.user", self.user)
        if self.engine == "pxc":
            self._validate_pxc()
        elif not 0 < len(self.database) <= 63:
            raise InvalidSpec("database.database", f"{self.database!r} is empty or too long")

    def _validate_pxc(self) -> None:
        """What the PXC operator and MySQL refuse of a user (see ``operators.PXC_RESERVED_USERS``)."""
        if self.user in operators.PXC_RESERVED_USERS:
            raise InvalidSpec("database.user", f"{self.user!r} is a user the PXC operator reserves")
        if len(self.user) > operators.PXC_USER_NAME_MAX:
            raise InvalidSpec("database.user", f"{self.user!r} is longer than MySQL's "
                              f"{operators.PXC_USER_NAME_MAX} characters")
        if not operators.PXC_DATABASE_NAME.match(self.database_name):
            raise InvalidSpec("database.database", f"{self.database!r} is not a MySQL database name: "
                              "letters, digits, _ and $ (- becomes _), at most 64, not only digits")


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of one type in one namespace (see the module doc)."""

    name: str
    namespace: str
    type: str
    image: str
    deployment_id: int
    version: str
    replicas: int = 1
    host: str = ""
    ingress_class: str = ""
    storage_class: str = ""
    storage_size: str = "1Gi"
    resources: Mapping[str, Any] | None = None
    env: Mapping[str, str] | None = None
    port: int | None = None
    settings: Mapping[str, Any] | None = None
    registry: RegistryCredentials | None = None
    tls_secret: str = ""
    source: Source | None = None
    database: DatabaseLink | None = None
    db_password: str = field(default="", repr=False)
    # The container of a "none" app: variables kept in a Secret, its command and arguments (the
    # image's own when empty), and where a volume of ``storage_size`` is mounted (none when empty).
    secret_env: Mapping[str, str] | None = field(default=None, repr=False)
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    volume_path: str = ""

    def __post_init__(self) -> None:
        self.validate()

    def setting(self, key: str, default: Any = None) -> Any:
        """One type-specific value from ``settings``."""
        return (self.settings or {}).get(key, default)

    def validate(self) -> None:
        """Raise :class:`InvalidSpec` for the first field that cannot be sent."""
        if self.type not in TYPES:
            raise InvalidSpec("type", f"{self.type!r} is not one of {', '.join(TYPES)}")
        check_dns_label("name", self.name)
        if not self.name[0].isalpha():
            raise InvalidSpec("name", f"{self.name!r} must start with a letter (it names a Service)")
        longest = max(len(suffix) for suffix in NAME_SUFFIXES)
        if len(self.name) + longest > 63:
            raise InvalidSpec("name", f"{self.name!r} is longer than {63 - longest} characters")
        check_dns_label("namespace", self.namespace)
        if self.type in ("odoo", "none") and not self.image.strip():
            raise InvalidSpec("image", f"an image is required for type {self.type!r}")
        check_integer("replicas", self.replicas, 0)
        check_integer("deployment_id", self.deployment_id, 0)
        if self.host:
            check_dns_subdomain("host", self.host)
        if self.tls_secret:
            if not self.host:
                raise InvalidSpec("tls_secret", "TLS needs a host")
            check_dns_subdomain("tls_secret", self.tls_secret)
        if not _QUANTITY.match(self.storage_size):
            raise InvalidSpec("storage_size", f"{self.storage_size!r} is not a quantity like '10Gi'")
        for key in ("env", "secret_env"):
            for env_name in getattr(self, key) or {}:
                if not _ENV_NAME.match(env_name):
                    raise InvalidSpec(key, f"{env_name!r} is not a valid variable name")
        both = sorted(set(self.env or {}) & set(self.secret_env or {}))
        if both:
            raise InvalidSpec("secret_env", f"{', '.join(both)} also has a plain value: keep one of the two")
        self._validate_container()
        if self.port is not None and not (
            isinstance(self.port, int) and not isinstance(self.port, bool) and 0 < self.port < 65536
        ):
            raise InvalidSpec("port", f"{self.port!r} must be a TCP port (1-65535)")
        for key, minimum in INTEGER_SETTINGS.get(self.type, {}).items():
            if key in (self.settings or {}):
                check_integer(f"settings.{key}", self.setting(key), minimum)
        for key in BOOLEAN_SETTINGS.get(self.type, ()):
            if not isinstance(self.setting(key, False), bool):
                raise InvalidSpec(f"settings.{key}", f"{self.setting(key)!r} must be true or false")
        for key in TEXT_SETTINGS.get(self.type, ()):
            if not isinstance(self.setting(key, ""), str):
                raise InvalidSpec(f"settings.{key}", f"{self.setting(key)!r} must be text")
        if self.source is not None:
            self.source.validate(self.type)
        if self.database is not None:
            self.database.validate()
        if self.type == "odoo":
            self._validate_odoo()
        if self.type == "pgo":
            self._validate_pgo()
        if self.type == "pxc":
            self._validate_pxc()

    def _validate_container(self) -> None:
        for key in ("command", "args"):
            value = getattr(self, key)
            if not isinstance(value, tuple) or not all(isinstance(item, str) and item for item in value):
                raise InvalidSpec(key, "must be a list of non-empty texts, one per argument")
        if self.volume_path:
            if not _ABSOLUTE_PATH.match(self.volume_path) or self.volume_path == "/":
                raise InvalidSpec("volume_path", f"{self.volume_path!r} must be an absolute path in the container")
            if self.source is not None and self.source.path.rstrip("/") == self.volume_path.rstrip("/"):
                raise InvalidSpec("volume_path", f"{self.volume_path!r} is where the repository's code is")

    def _validate_odoo(self) -> None:
        # The Ingress sends /websocket to the gevent port, which only workers >= 1 open.
        check_integer("settings.workers", self.setting("workers", 2), 1)
        options = self.setting("options") or {}
        if not isinstance(options, Mapping) or not all(
            isinstance(key, str) and _OPTION_KEY.match(key) and isinstance(value, str) and "\n" not in value
            for key, value in options.items()
        ):
            raise InvalidSpec("settings.options", "must map odoo.conf option names to one-line text values")
        if self.database is not None:
            if self.database.engine != "pgo":
                raise InvalidSpec("database.engine", "odoo runs on PostgreSQL only")
            return  # its user's credentials are copied next to it (see .database)
        explicit = ("db_host", "db_user", "db_password_secret")
        if self.setting("db_secret"):
            check_dns_subdomain("settings.db_secret", self.setting("db_secret"))
        elif all(self.setting(key) for key in explicit):
            check_dns_subdomain("settings.db_password_secret", self.setting("db_password_secret"))
        else:
            raise InvalidSpec(
                "settings", "odoo needs db_secret, or db_host, db_user and db_password_secret"
            )

    def _validate_pgo(self) -> None:
        version = self.setting("postgres_version", operators.PGO_DEFAULT_POSTGRES_VERSION)
        if version not in operators.PGO_POSTGRES_VERSIONS:
            supported = ", ".join(map(str, operators.PGO_POSTGRES_VERSIONS))
            raise InvalidSpec("settings.postgres_version", f"{version!r} is not one of {supported}")
        backup_size = self.setting("backup_size")
        if backup_size is not None and not (isinstance(backup_size, str) and _QUANTITY.match(backup_size)):
            raise InvalidSpec("settings.backup_size", f"{backup_size!r} is not a quantity like '10Gi'")
        users = self.setting("users") or []
        if not isinstance(users, list) or not all(isinstance(user, Mapping) for user in users):
            raise InvalidSpec("settings.users", "must be a list of PGO user specs ({\"name\": …})")
        if len(users) > operators.PGO_MAX_USERS:
            raise InvalidSpec("settings.users", f"PGO serves at most {operators.PGO_MAX_USERS} users")
        names = [user.get("name") for user in users]
        for user in users:
            _check_pgo_user(user)
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InvalidSpec("settings.users", f"{', '.join(duplicates)} listed more than once")

    def _validate_pxc(self) -> None:
        users = self.setting("users") or []
        if not isinstance(users, list) or not all(_is_pxc_user(user) for user in users):
            raise InvalidSpec("settings.users", "must be a list of PXC user specs ({\"name\": …}, not a system user, "
                              "at most 32 characters, dbs plain MySQL names)")
        cr_version = self.setting("cr_version", operators.PXC_CR_VERSION)
        if not isinstance(cr_version, str) or not operators.PXC_CR_VERSION_PATTERN.match(cr_version):
            raise InvalidSpec("settings.cr_version", f"{cr_version!r} is not an operator release like '1.19.0'")
        haproxy_image = self.setting("haproxy_image", operators.PXC_HAPROXY_IMAGE)
        if not isinstance(haproxy_image, str) or not haproxy_image.strip():
            raise InvalidSpec("settings.haproxy_image", f"{haproxy_image!r} is not an image")
        if self.setting("unsafe", False):
            return  # the operator's unsafeFlags lift the size rules (any size from 1)
        # The operator's checkSafeDefaults(), see operators.PXC_SAFE_SIZES.
        size = self.setting("size", 3)
        low, high = operators.PXC_SAFE_SIZES
        if not low <= size <= high or size % 2 == 0:
            raise InvalidSpec(
                "settings.size",
                f"{size} must be odd, {low} to {high} (the operator's safe sizes); "
                "a smaller cluster needs the unsafe (dev only) choice",
            )
        proxy_size = self.setting("haproxy_size", 3)
        if self.setting("haproxy", True) and proxy_size < operators.PXC_MIN_SAFE_PROXY_SIZE:
            raise InvalidSpec(
                "settings.haproxy_size",
                f"{proxy_size} must be at least {operators.PXC_MIN_SAFE_PROXY_SIZE} "
                "(the operator's safe size); fewer needs the unsafe (dev only) choice",
            )


def _is_pxc_user(user: Any) -> bool:
    """Whether the PXC operator makes ``user``, an item of its ``spec.users`` (see
    ``operators.PXC_RESERVED_USERS``)."""
    if not (isinstance(user, Mapping) and set(user) <= _PXC_USER_FIELDS and isinstance(user.get("name"), str)):
        return False
    name = user["name"]
    return (0 < len(name) <= operators.PXC_USER_NAME_MAX and name not in operators.PXC_RESERVED_USERS
            and all(isinstance(db, str) and operators.PXC_DATABASE_NAME.match(db) for db in user.get("dbs") or []))


def _check_pgo_user(user: Mapping[str, Any]) -> None:
    """One item of PGO's ``spec.users``, as its CRD checks it (and nothing it would prune)."""
    unknown = sorted(set(map(str, user)) - operators.PGO_USER_KEYS)
    if unknown:
        raise InvalidSpec("settings.users", f"unknown user fields {', '.join(unknown)} (PGO would drop them)")
    name = user.get("name")
    if not isinstance(name, str) or not is_dns_label(name):
        raise InvalidSpec("settings.users", f"user name {name!r} must be lowercase letters, digits and '-'")
    databases = user.get("databases", [])
    if not isinstance(databases, list) or not all(
        isinstance(database, str) and 0 < len(database) <= 63 for database in databases
    ):
        raise InvalidSpec("settings.users", f"databases of {name} must be a list of names (at most 63 characters)")
    options = user.get("options", "")
    if not isinstance(options, str) or len(options) > operators.PGO_USER_OPTIONS_MAX or (
        operators.PGO_USER_OPTIONS_REFUSED.search(options)
    ):
        raise InvalidSpec(
            "settings.users",
            f"options of {name} must be ALTER ROLE options of at most {operators.PGO_USER_OPTIONS_MAX} "
            "characters, without PASSWORD, ';' or comments",
        )
    password = user.get("password", {})
    if not isinstance(password, Mapping) or set(password) - {"type"} or (
        password.get("type", "ASCII") not in ("ASCII", "AlphaNumeric")
    ):
        raise InvalidSpec("settings.users", f"password of {name} may only say its type: ASCII or AlphaNumeric")

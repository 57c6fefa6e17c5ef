"""Check built objects the way a cluster would before accepting them.

* :func:`builtin_errors`: a built-in kind against the official Kubernetes schema of
  :data:`KUBERNETES_VERSION`, strict (an unknown field is an error), from ``kubernetes-validate``.
* :func:`crd_errors`: a custom object against its operator's CRD schema (``schemas/``) as the API
  server applies it: the OpenAPI schema (``jsonschema``), the fields it would prune (unknown where
  ``x-kubernetes-preserve-unknown-fields`` is not set: the setting would be lost, so an error),
  and the CEL rules ``x-kubernetes-validations`` (``cel-python``).
* :func:`operator_rule_errors`: what the operators refuse in their own code, which no schema says
  (read from their sources; see ``eyrie_books/k8s/operators.py`` for where), and the API server's
  name rules, which ``kubernetes-validate`` does not check.

Each returns a list of messages naming the field, empty when the object would be accepted.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import kubernetes_validate
from celpy.adapter import json_to_cel
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

from ..builders import Obj

# A current release kubernetes-validate ships the schemas of.
KUBERNETES_VERSION = "1.33"
SCHEMAS = Path(__file__).parent / "schemas"
CRD_SCHEMA_FILES = {
    ("postgres-operator.crunchydata.com/v1beta1", "PostgresCluster"): "postgrescluster.json",
    ("pxc.percona.com/v1", "PerconaXtraDBCluster"): "perconaxtradbcluster.json",
}
# Kept by the API server in every object, whatever the CRD's schema says of them.
_ALWAYS_KEPT = ("apiVersion", "kind", "metadata")

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
# Kinds whose name must be an RFC 1035 label (Services) or an RFC 1123 label; others a subdomain.
_DNS_1035_KINDS = {"Service"}
_DNS_LABEL_KINDS = {"Namespace"}
# PGO v5.8.9 runs the majors it has an image for: RELATED_IMAGE_POSTGRES_<major> in its
# config/manager/manager.yaml (stated here again, not imported: this checks the code under test).
_PGO_IMAGE_VERSIONS = (15, 16, 17, 18)
# The PXC operator's spec.users, as reconcileCustomUsers() and upsertUserQuery() of
# pkg/controller/pxc/users_custom.go (v1.16.0 to v1.19.0, unchanged there; read at commit
# 52cfd58c567a91c46fb8151f2e1c997f174079ed, v1.19.0) treat them: users.UserNames of
# pkg/pxc/users/users.go are skipped as reserved; each of dbs is written unquoted into
# "CREATE DATABASE IF NOT EXISTS %s" and "GRANT %s ON %s.*"; grants are joined with "," after
# GRANT. MySQL: user names at most 32 characters; the privileges a database-level GRANT takes.
_PXC_RESERVED_USERS = ("root", "operator", "monitor", "xtrabackup", "replication", "proxyadmin",
                       "pmmserver", "pmmserverkey", "pmmservertoken")
_MYSQL_PLAIN_IDENTIFIER = re.compile(r"^(?![0-9]+\Z)[0-9A-Za-z_$]{1,64}\Z")
_MYSQL_DATABASE_PRIVILEGES = frozenset({
    "ALL", "ALL PRIVILEGES", "ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE", "CREATE TEMPORARY TABLES",
    "CREATE VIEW", "DELETE", "DROP", "EVENT", "EXECUTE", "GRANT OPTION", "INDEX", "INSERT", "LOCK TABLES",
    "REFERENCES", "SELECT", "SHOW VIEW", "TRIGGER", "UPDATE"})


def errors(obj: Obj) -> list[str]:
    """Every reason a cluster with both operators installed would refuse or change ``obj``."""
    if (obj["apiVersion"], obj["kind"]) in CRD_SCHEMA_FILES:
        return crd_errors(obj) + operator_rule_errors(obj)
    return builtin_errors(obj) + operator_rule_errors(obj)


# --- built-in kinds ---------------------------------------------------------------------------


def builtin_errors(obj: Obj) -> list[str]:
    """``obj`` against the official schema, strict: every error."""
    try:
        validator = _builtin_validator(obj["apiVersion"], obj["kind"])
    except FileNotFoundError:
        return [f"no schema for {obj['kind']} {obj['apiVersion']} in Kubernetes {KUBERNETES_VERSION}"]
    return [f"{_path(error.absolute_path)}: {error.message}" for error in validator.iter_errors(obj)]


@functools.cache
def _builtin_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    """What ``kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)`` checks with,
    built once per kind rather than read from its files on every call (the tests check thousands
    of objects); ``test_builtin_check_agrees_with_kubernetes_validate`` holds them equal."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{KUBERNETES_VERSION}.0-local-strict"
    schema = schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", KUBERNETES_VERSION)
    definitions = schema_contents(f"{folder}/_definitions.json", KUBERNETES_VERSION)
    registry: Registry[Any] = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def library_errors(obj: Obj) -> list[str]:
    """``obj`` through ``kubernetes-validate``'s own entry point (its first error)."""
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{_path(error.absolute_path)}: {error.message}"]
    return []


# --- custom resources -------------------------------------------------------------------------


def crd_errors(obj: Obj) -> list[str]:
    """``obj`` against its CRD schema: schema errors, pruned fields and failed CEL rules."""
    schema = crd_schema(obj["apiVersion"], obj["kind"])
    found = [
        f"{_path(error.absolute_path)}: {error.message}"
        for error in _schema_validator(obj["apiVersion"], obj["kind"]).iter_errors(obj)
    ]
    found += [f"{path}: pruned (not in the CRD schema)" for path in pruned_fields(obj, schema)]
    found += list(_cel_failures(obj, schema, "", root=True))
    return found


@functools.cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    """The CRD's schema (shared: not to be changed)."""
    schema: dict[str, Any] = json.loads((SCHEMAS / CRD_SCHEMA_FILES[(api_version, kind)]).read_text())
    return schema


@functools.cache
def _schema_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    # An OpenAPI 3.0 schema: draft 4's keywords (boolean exclusiveMinimum...), no $refs.
    return jsonschema.Draft4Validator(crd_schema(api_version, kind))


def pruned_fields(value: Any, schema: Mapping[str, Any], path: str = "", root: bool = True) -> list[str]:
    """Paths of the fields of ``value`` that the API server would drop when storing it.

    Structural schemas prune every field not listed in ``properties`` unless the node says
    ``x-kubernetes-preserve-unknown-fields`` or describes a map (``additionalProperties``).
    """
    found: list[str] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            found += pruned_fields(item, schema.get("items", {}), f"{path}[{index}]", root=False)
        return found
    if not isinstance(value, dict):
        return found
    properties = schema.get("properties", {})
    additional = schema.get("additionalProperties")
    keep_unknown = schema.get("x-kubernetes-preserve-unknown-fields", False)
    embedded = root or schema.get("x-kubernetes-embedded-resource", False)
    for key, item in value.items():
        item_path = f"{path}.{key}"
        if embedded and key in _ALWAYS_KEPT and key not in properties:
            continue
        if root and key == "metadata":  # ObjectMeta: checked by the API server itself, never pruned
            continue
        if key in properties:
            found += pruned_fields(item, properties[key], item_path, root=False)
        elif isinstance(additional, dict):
            found += pruned_fields(item, additional, item_path, root=False)
        elif not keep_unknown and additional is not True:
            found.append(item_path)
    return found


def _cel_failures(value: Any, schema: Mapping[str, Any], path: str, root: bool = False) -> Iterator[str]:
    """The ``x-kubernetes-validations`` rules that ``value`` breaks, at every node it has."""
    for rule in schema.get("x-kubernetes-validations", []):
        if "oldSelf" in rule["rule"]:
            continue  # transition rules: only on update
        if not _cel_program(rule["rule"]).evaluate({"self": json_to_cel(value)}):
            yield f"{path or '.'}: {rule.get('message') or rule['rule']}"
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _cel_failures(item, schema.get("items", {}), f"{path}[{index}]")
    elif isinstance(value, dict):
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            if root and key == "metadata":
                continue
            child = properties.get(key, additional if isinstance(additional, dict) else None)
            if child is not None:
                yield from _cel_failures(item, child, f"{path}.{key}")


# Made at import: making it raises the recursion limit, which hypothesis warns of inside a test.
_CEL = celpy.Environment()


@functools.cache
def _cel_program(rule: str) -> celpy.Runner:
    return _CEL.program(_CEL.compile(rule))


# --- operators' own rules and object names ----------------------------------------------------


def operator_rule_errors(obj: Obj) -> list[str]:
    """What the API server's name rules and the operators' admission code refuse in ``obj``."""
    found = list(_name_errors(obj))
    if obj["kind"] == "PerconaXtraDBCluster":
        found += _pxc_errors(obj)
    if obj["kind"] == "PostgresCluster":
        found += _pgo_errors(obj)
    return found


def reference_errors(objects: Iterable[Obj], external_secrets: Iterable[str] = ()) -> list[str]:
    """Secrets, ConfigMaps and claims that ``objects`` refer to but that none of them is.

    ``external_secrets``: Secrets made elsewhere (by an operator, or by hand) on purpose.
    """
    objects = list(objects)
    made = {(obj["kind"], obj["metadata"]["name"]) for obj in objects}
    made |= {("Secret", name) for name in external_secrets}
    found = []
    for obj in objects:
        for kind, name, path in _references(obj):
            if (kind, name) not in made:
                found.append(f"{obj['kind']} {obj['metadata']['name']}: {path} names {kind} {name!r}, "
                             "which is not built")
    return found


def _references(obj: Obj) -> Iterator[tuple[str, str, str]]:
    spec = obj.get("spec", {})
    if obj["kind"] == "PerconaXtraDBCluster":
        yield "Secret", spec["secretsName"], "spec.secretsName"
        for component in ("pxc", "haproxy", "proxysql"):
            for ref in spec.get(component, {}).get("imagePullSecrets", []):
                yield "Secret", ref["name"], f"spec.{component}.imagePullSecrets"
        for user in spec.get("users", []):  # read in the cluster's namespace (getUserSecret())
            if "passwordSecretRef" in user:
                yield "Secret", user["passwordSecretRef"]["name"], f"spec.users {user['name']}"
    if obj["kind"] == "PostgresCluster":
        for ref in spec.get("imagePullSecrets", []):
            yield "Secret", ref["name"], "spec.imagePullSecrets"
    pod = _pod_spec(obj)
    if pod is None:
        return
    for ref in pod.get("imagePullSecrets", []):
        yield "Secret", ref["name"], "imagePullSecrets"
    for volume in pod.get("volumes", []):
        if "configMap" in volume:
            yield "ConfigMap", volume["configMap"]["name"], f"volume {volume['name']}"
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"]["claimName"]
            yield "PersistentVolumeClaim", claim, f"volume {volume['name']}"
    for container in pod["containers"]:
        for variable in container.get("env", []):
            secret = variable.get("valueFrom", {}).get("secretKeyRef")
            if secret:
                yield "Secret", secret["name"], f"env {variable['name']}"
        for source in container.get("envFrom", []):
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if key in source:
                    yield kind, source[key]["name"], f"envFrom of {container['name']}"


def pull_secret_gaps(obj: Obj, pull_secret: str) -> list[str]:
    """The parts of ``obj`` that pull an image without the pull secret ``pull_secret``."""
    spec = obj.get("spec", {})
    parts: list[tuple[str, Mapping[str, Any]]] = []
    if obj["kind"] == "PerconaXtraDBCluster":
        parts = [(name, spec[name]) for name in ("pxc", "haproxy", "proxysql", "backup")
                 if name in spec and (name == "pxc" or spec[name].get("enabled", True))]
    elif obj["kind"] == "PostgresCluster":
        parts = [("spec", spec)]
    elif _pod_spec(obj) is not None:
        parts = [("pod", _pod_spec(obj) or {})]
    return [
        f"{obj['kind']} {obj['metadata']['name']}: {name} pulls images without {pull_secret!r}"
        for name, part in parts
        if {"name": pull_secret} not in part.get("imagePullSecrets", [])
    ]


def _pod_spec(obj: Obj) -> dict[str, Any] | None:
    template = obj.get("spec", {}).get("template")
    if obj["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet") and template:
        pod: dict[str, Any] = template["spec"]
        return pod
    return None


def _name_errors(obj: Obj) -> Iterator[str]:
    metadata = obj["metadata"]
    name = metadata["name"]
    kind = obj["kind"]
    if kind in _DNS_1035_KINDS:
        if len(name) > 63 or not _DNS_1035_LABEL.match(name):
            yield f"metadata.name: {name!r} is not an RFC 1035 label (a {kind} name)"
    elif kind in _DNS_LABEL_KINDS:
        if len(name) > 63 or not _DNS_LABEL.match(name):
            yield f"metadata.name: {name!r} is not an RFC 1123 label"
    elif len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        yield f"metadata.name: {name!r} is not an RFC 1123 subdomain"
    if "namespace" in metadata and (len(metadata["namespace"]) > 63 or not _DNS_LABEL.match(metadata["namespace"])):
        yield f"metadata.namespace: {metadata['namespace']!r} is not an RFC 1123 label"
    if kind in ("Deployment", "StatefulSet", "Job") and len(name) > 63:
        # Pods carry their controller's name in a label (at most 63).
        yield f"metadata.name: {name!r} is longer than a label value"
    templates = [obj.get("spec", {}).get("template", {}).get("metadata", {})]
    for meta in [metadata, *templates]:
        for key, value in meta.get("labels", {}).items():
            if len(value) > 63 or not _LABEL_VALUE.match(value):
                yield f"label {key}: {value!r} is not a label value"


def _pxc_errors(obj: Obj) -> list[str]:
    """``PerconaXtraDBCluster.Validate()`` and ``checkSafeDefaults()`` of pkg/apis/pxc/v1/pxc_types.go."""
    found = []
    name = obj["metadata"]["name"]
    spec = obj["spec"]
    if len(name) > 22:
        found.append(f"metadata.name: cluster name ({name}) too long, must be no more than 22 characters")
    cr_version = spec.get("crVersion", "")
    if cr_version and not re.match(r"^v?[0-9]+(\.[0-9]+)*([-+].*)?\Z", cr_version):
        found.append(f"spec.crVersion: {cr_version!r} is not a version")
    pxc = spec.get("pxc")
    if not pxc:
        return [*found, "spec.pxc: section is not specified"]
    if not pxc.get("image"):
        found.append("spec.pxc.image: can't be empty")
    claim = pxc.get("volumeSpec", {}).get("persistentVolumeClaim")
    if claim is None or "storage" not in claim.get("resources", {}).get("requests", {}):
        found.append("spec.pxc.volumeSpec: volume.resources.storage can't be empty")
    haproxy = spec.get("haproxy", {}).get("enabled", False)
    proxysql = spec.get("proxysql", {}).get("enabled", False)
    if haproxy and proxysql:
        found.append("spec: can't enable both HAProxy and ProxySQL")
    for proxy, enabled in (("haproxy", haproxy), ("proxysql", proxysql)):
        if enabled and not spec[proxy].get("image"):
            found.append(f"spec.{proxy}.image: can't be empty")
    if spec.get("updateStrategy") == "SmartUpdate" and not (haproxy or proxysql):
        found.append("spec.updateStrategy: SmartUpdate needs HAProxy or ProxySQL")
    unsafe = spec.get("unsafeFlags", {})
    if not spec.get("pause") and _version(cr_version or "1.19.0") >= (1, 15, 0):
        if not unsafe.get("tls") and spec.get("tls", {}).get("enabled") is False:
            found.append("spec.tls: TLS must be enabled")
        size = pxc.get("size", 0)
        if not unsafe.get("pxcSize") and (size < 3 or size > 5 or size % 2 == 0):
            found.append(f"spec.pxc.size: {size} must be odd, 3 to 5 (unsafeFlags.pxcSize not set)")
        for proxy, enabled in (("haproxy", haproxy), ("proxysql", proxysql)):
            if enabled and not unsafe.get("proxySize") and spec[proxy].get("size", 0) < 2:
                found.append(f"spec.{proxy}.size: must be at least 2 (unsafeFlags.proxySize not set)")
    for index, user in enumerate(spec.get("users", [])):
        found += [f"spec.users.{index}: {problem}" for problem in _pxc_user_errors(user)]
    return found


def _pxc_user_errors(user: Mapping[str, Any]) -> Iterator[str]:
    """Why the PXC operator would skip ``user`` or fail on its SQL (see _PXC_RESERVED_USERS)."""
    name = user.get("name", "")
    if not name or name in _PXC_RESERVED_USERS:
        yield f"name {name!r} is empty or reserved"
    if len(name) > 32:
        yield f"name {name!r} is over MySQL's 32 characters"
    if user.get("withGrantOption") and not user.get("grants"):
        yield "withGrantOption is set but no grants are provided"
    if "passwordSecretRef" in user and not (user["passwordSecretRef"] or {}).get("name"):
        yield "passwordSecretRef name is not set"
    for database in user.get("dbs", []):
        if not _MYSQL_PLAIN_IDENTIFIER.match(database):
            yield f"dbs: {database!r} is not a plain MySQL identifier (the operator does not quote it)"
    for grant in user.get("grants", []) if user.get("dbs") else []:
        if grant.upper() not in _MYSQL_DATABASE_PRIVILEGES:
            yield f"grants: {grant!r} is not a privilege of a database"


def _pgo_errors(obj: Obj) -> list[str]:
    """PGO: instance set names, the versions its release has images for, user names."""
    found = []
    name = obj["metadata"]["name"]
    spec = obj["spec"]
    for instance in spec.get("instances", []):
        if len(name) + len(instance.get("name", "")) > 46:
            found.append(f"spec.instances: {name!r} and {instance.get('name')!r} are over 46 characters together")
    if "image" not in spec and spec.get("postgresVersion") not in _PGO_IMAGE_VERSIONS:
        found.append(f"spec.postgresVersion: PGO has no image for {spec.get('postgresVersion')!r}")
    users = [user["name"] for user in spec.get("users", [])]
    if len(users) != len(set(users)):
        found.append("spec.users: a user is listed twice")
    return found


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"[0-9]+", text)[:3])


def _path(parts: Iterable[Any]) -> str:
    return "." + ".".join(str(part) for part in parts)

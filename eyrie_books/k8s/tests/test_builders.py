"""Builders: the objects of each deployment type, field by field where it matters."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from ..builders import Obj, common, generic, is_create_only, objects_for, odoo, pause_patch, pgo, pxc, workload
from ..spec import TYPES, DatabaseLink, RegistryCredentials
from .factories import NAMESPACE, make_spec

REGISTRY = RegistryCredentials("registry.example.com", "bot", "hunter2")


def _kinds_and_names(objs: list[Obj]) -> list[tuple[str, str]]:
    return [(obj["kind"], obj["metadata"]["name"]) for obj in objs]


def _decode(value: str) -> str:
    return base64.b64decode(value).decode()


def _container(obj: Obj) -> Obj:
    containers = obj["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: Obj = containers[0]
    return container


# --- common -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        ("odoo", [("Namespace", NAMESPACE), ("ConfigMap", "web-config"),
                  ("PersistentVolumeClaim", "web-filestore"), ("Deployment", "web"),
                  ("Service", "web"), ("Ingress", "web")]),
        ("pgo", [("Namespace", NAMESPACE), ("PostgresCluster", "db")]),
        ("pxc", [("Namespace", NAMESPACE), ("Secret", "mysql-secrets"), ("PerconaXtraDBCluster", "mysql")]),
        ("none", [("Namespace", NAMESPACE), ("ConfigMap", "app-config"), ("Deployment", "app"),
                  ("Service", "app"), ("Ingress", "app")]),
    ],
)
def test_objects_for_lists_each_type_in_apply_order(type_: str, expected: list[tuple[str, str]]) -> None:
    assert _kinds_and_names(objects_for(make_spec(type_))) == expected


@pytest.mark.parametrize("type_", TYPES)
def test_pull_secret_comes_right_after_the_namespace(type_: str) -> None:
    spec = make_spec(type_, registry=REGISTRY)
    assert _kinds_and_names(objects_for(spec))[:2] == [("Namespace", NAMESPACE), ("Secret", f"{spec.name}-registry")]


@pytest.mark.parametrize("type_", TYPES)
def test_every_object_is_labelled_and_annotated(type_: str) -> None:
    spec = make_spec(type_, registry=REGISTRY)
    app = {"odoo": "odoo", "pgo": "postgres", "pxc": "pxc", "none": "app"}[type_]
    extra = [odoo.init_job(spec)] if type_ == "odoo" else []
    for obj in objects_for(spec) + extra:
        assert obj["metadata"]["labels"] == {
            "app.kubernetes.io/managed-by": "eyrie",
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/instance": spec.name,
            "eyrie.io/deployment-id": "42",
        }
        assert obj["metadata"]["annotations"]["eyrie.io/version"] == "1.0.0"
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == NAMESPACE
    assert "namespace" not in objects_for(spec)[0]["metadata"]


def test_pull_secret_is_a_dockerconfigjson() -> None:
    spec = make_spec("none", registry=REGISTRY)
    secret = common.pull_secret(spec)
    assert secret is not None
    assert secret["metadata"]["name"] == "app-registry"
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(_decode(secret["data"][".dockerconfigjson"]))
    assert config == {"auths": {"registry.example.com": {
        "username": "bot", "password": "hunter2", "auth": base64.b64encode(b"bot:hunter2").decode(),
    }}}
    assert common.pull_secret(make_spec("none")) is None


@pytest.mark.parametrize(
    ("type_", "pull_secrets"),
    [
        ("odoo", lambda obj: obj["spec"]["template"]["spec"].get("imagePullSecrets")),
        ("none", lambda obj: obj["spec"]["template"]["spec"].get("imagePullSecrets")),
        ("pgo", lambda obj: obj["spec"].get("imagePullSecrets")),
        ("pxc", lambda obj: obj["spec"]["pxc"].get("imagePullSecrets")),
    ],
)
def test_workloads_use_the_pull_secret_only_when_given(type_: str, pull_secrets: Callable[[Obj], object]) -> None:
    name = make_spec(type_).name
    assert pull_secrets(workload(make_spec(type_, registry=REGISTRY))) == [{"name": f"{name}-registry"}]
    assert pull_secrets(workload(make_spec(type_))) is None


def test_generated_secret_holds_fresh_random_passwords() -> None:
    spec = make_spec("pxc")
    first, second = pxc.users_secret(spec), pxc.users_secret(spec)
    assert first["type"] == "Opaque"
    assert first["metadata"]["annotations"]["eyrie.io/generated"] == "true"
    assert sorted(first["data"]) == sorted(pxc.SYSTEM_USERS)
    passwords = [_decode(value) for value in first["data"].values()]
    assert all(len(password) >= 32 for password in passwords)
    assert len(set(passwords)) == len(passwords)
    assert first["data"] != second["data"]


def test_create_only_objects_are_generated_secrets_and_namespaces() -> None:
    spec = make_spec("pxc", registry=REGISTRY)
    create_only = [obj["metadata"]["name"] for obj in objects_for(spec) if is_create_only(obj)]
    assert create_only == [NAMESPACE, "mysql-secrets"]


# --- odoo -------------------------------------------------------------------


def test_odoo_deployment() -> None:
    spec = make_spec("odoo", env={"ODOO_EXTRA": "1"}, resources={"limits": {"memory": "2Gi"}})
    obj = odoo.deployment(spec)
    assert (obj["apiVersion"], obj["kind"], obj["metadata"]["name"]) == ("apps/v1", "Deployment", "web")
    body = obj["spec"]
    assert body["replicas"] == 1
    assert body["strategy"] == {"type": "Recreate"}
    assert body["selector"]["matchLabels"] == {"app.kubernetes.io/name": "odoo", "app.kubernetes.io/instance": "web"}
    assert body["selector"]["matchLabels"].items() <= body["template"]["metadata"]["labels"].items()
    pod = body["template"]["spec"]
    assert pod["securityContext"] == {"fsGroup": 101}
    assert pod["volumes"] == [
        {"name": "filestore", "persistentVolumeClaim": {"claimName": "web-filestore"}},
        {"name": "config", "configMap": {"name": "web-config"}},
    ]
    container = _container(obj)
    assert container["image"] == "odoo:19.0"
    assert container["command"] == ["odoo"]
    assert container["args"] == ["--config=/etc/eyrie/odoo.conf"]
    assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [("http", 8069), ("websocket", 8072)]
    assert container["volumeMounts"] == [
        {"name": "filestore", "mountPath": "/var/lib/odoo"},
        {"name": "config", "mountPath": "/etc/eyrie", "readOnly": True},
    ]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/web/health", "port": 8069}
    assert container["resources"] == {"limits": {"memory": "2Gi"}}
    assert container["env"][-1] == {"name": "ODOO_EXTRA", "value": "1"}


def test_odoo_reads_the_database_from_the_pgo_user_secret() -> None:
    env = _container(odoo.deployment(make_spec("odoo")))["env"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env}
    assert refs == {
        "PGHOST": {"name": "db-pguser-odoo", "key": "host"},
        "PGPORT": {"name": "db-pguser-odoo", "key": "port"},
        "PGUSER": {"name": "db-pguser-odoo", "key": "user"},
        "PGPASSWORD": {"name": "db-pguser-odoo", "key": "password"},
        "PGDATABASE": {"name": "db-pguser-odoo", "key": "dbname"},
    }
    named = odoo.database_env(make_spec("odoo", settings={"db_secret": "db-pguser-odoo", "db_name": "acme"}))
    assert named[-1] == {"name": "PGDATABASE", "value": "acme"}


def test_odoo_explicit_database_settings_keep_the_password_in_a_secret() -> None:
    settings = {"db_host": "pg.example.com", "db_user": "odoo", "db_password_secret": "odoo-db"}
    env = odoo.database_env(make_spec("odoo", settings=settings))
    assert env == [
        {"name": "PGHOST", "value": "pg.example.com"},
        {"name": "PGPORT", "value": "5432"},
        {"name": "PGUSER", "value": "odoo"},
        {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "odoo-db", "key": "password"}}},
        {"name": "PGDATABASE", "value": "web"},
    ]


def test_odoo_config_map() -> None:
    config = odoo.config_map(make_spec("odoo", settings={"db_secret": "db-pguser-odoo", "workers": 4}))
    assert config["metadata"]["name"] == "web-config"
    text = config["data"]["odoo.conf"]
    assert text.startswith("[options]\n")
    for line in ("data_dir = /var/lib/odoo", "proxy_mode = True", "list_db = False",
                 "workers = 4", "gevent_port = 8072"):
        assert line in text.splitlines()
    assert "passw" not in text


def test_odoo_extra_options_never_replace_eyries() -> None:
    options = {"limit_time_cpu": "600", "workers": "9", "data_dir": "/tmp"}
    spec = make_spec("odoo", settings={"db_secret": "db-pguser-odoo", "workers": 4, "options": options})
    lines = odoo.config_map(spec)["data"]["odoo.conf"].splitlines()
    assert "limit_time_cpu = 600" in lines
    assert ("workers = 4", "data_dir = /var/lib/odoo") == (lines[4], lines[1])
    assert "workers = 9" not in lines and "data_dir = /tmp" not in lines


def test_odoo_filestore_claim() -> None:
    claim = odoo.filestore(make_spec("odoo", storage_size="20Gi", storage_class="fast"))
    assert claim["metadata"]["name"] == "web-filestore"
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "20Gi"}},
        "storageClassName": "fast",
    }
    assert "storageClassName" not in odoo.filestore(make_spec("odoo"))["spec"]


def test_odoo_service_exposes_http_and_websocket() -> None:
    service = odoo.service(make_spec("odoo"))
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "odoo", "app.kubernetes.io/instance": "web"}
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [
        ("http", 8069, 8069), ("websocket", 8072, 8072),
    ]


def test_odoo_ingress_routes_websocket_first() -> None:
    ingress = odoo.ingress(make_spec("odoo", tls_secret="acme-tls"))
    assert ingress is not None
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["acme.example.com"], "secretName": "acme-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "acme.example.com"
    assert [(p["path"], p["pathType"], p["backend"]["service"]) for p in rule["http"]["paths"]] == [
        ("/websocket", "Prefix", {"name": "web", "port": {"number": 8072}}),
        ("/", "Prefix", {"name": "web", "port": {"number": 8069}}),
    ]
    plain = odoo.ingress(make_spec("odoo", ingress_class=""))
    assert plain is not None and "tls" not in plain["spec"] and "ingressClassName" not in plain["spec"]
    assert odoo.ingress(make_spec("odoo", host="")) is None


def test_odoo_init_job_installs_base_once() -> None:
    spec = make_spec("odoo")
    job = odoo.init_job(spec)
    assert (job["apiVersion"], job["kind"], job["metadata"]["name"]) == ("batch/v1", "Job", "web-db-init")
    assert job["spec"]["backoffLimit"] == 2
    assert job["spec"]["ttlSecondsAfterFinished"] > 0
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    container = _container(job)
    assert container["command"] == ["odoo"]
    assert container["args"] == [
        "--config=/etc/eyrie/odoo.conf", "-d", "$(PGDATABASE)", "-i", "base", "--stop-after-init",
    ]
    server = _container(odoo.deployment(spec))
    assert container["env"] == server["env"]
    assert container["volumeMounts"] == server["volumeMounts"]
    assert "readinessProbe" not in container
    assert job not in objects_for(spec)


# --- pgo --------------------------------------------------------------------


def test_postgres_cluster() -> None:
    spec = make_spec("pgo", storage_class="fast", resources={"requests": {"cpu": "500m"}})
    cluster = pgo.postgres_cluster(spec)
    assert (cluster["apiVersion"], cluster["kind"]) == ("postgres-operator.crunchydata.com/v1beta1", "PostgresCluster")
    body = cluster["spec"]
    assert body["postgresVersion"] == 16
    assert "image" not in body
    assert body["instances"] == [{
        "name": "instance1",
        "replicas": 2,
        "dataVolumeClaimSpec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}},
                                "storageClassName": "fast"},
        "resources": {"requests": {"cpu": "500m"}},
    }]
    assert body["backups"]["pgbackrest"]["repos"] == [{
        "name": "repo1",
        "volume": {"volumeClaimSpec": {"accessModes": ["ReadWriteOnce"],
                                       "resources": {"requests": {"storage": "10Gi"}},
                                       "storageClassName": "fast"}},
    }]
    assert body["users"] == [{"name": "odoo", "databases": ["acme"]}]
    assert "shutdown" not in body


def test_postgres_cluster_defaults_and_image() -> None:
    body = pgo.postgres_cluster(make_spec("pgo", image="registry.example.com/postgres:16", settings={}))["spec"]
    assert body["image"] == "registry.example.com/postgres:16"
    assert body["instances"][0]["replicas"] == 1
    assert body["backups"]["pgbackrest"]["repos"][0]["volume"]["volumeClaimSpec"]["resources"] == {
        "requests": {"storage": "5Gi"}
    }
    assert "users" not in body
    assert pgo.user_secret_name("db", "odoo") == "db-pguser-odoo"


# --- pxc --------------------------------------------------------------------


def test_pxc_cluster() -> None:
    cluster = pxc.pxc_cluster(make_spec("pxc", storage_size="8Gi"))
    assert (cluster["apiVersion"], cluster["kind"]) == ("pxc.percona.com/v1", "PerconaXtraDBCluster")
    assert cluster["spec"] == {
        "crVersion": "1.15.0",
        "secretsName": "mysql-secrets",
        "unsafeFlags": {"pxcSize": False, "proxySize": False},
        "pxc": {
            "size": 3,
            "image": "percona/percona-xtradb-cluster:8.0.36",
            "volumeSpec": {"persistentVolumeClaim": {"accessModes": ["ReadWriteOnce"],
                                                     "resources": {"requests": {"storage": "8Gi"}}}},
        },
        "haproxy": {"enabled": True, "size": 2, "image": "percona/haproxy:2.8.5"},
    }


def test_pxc_without_haproxy() -> None:
    spec = make_spec("pxc", settings={"cr_version": "1.15.0", "haproxy": False})
    assert pxc.pxc_cluster(spec)["spec"]["haproxy"] == {"enabled": False}


def test_pxc_unsafe_single_node_sets_the_operators_unsafe_flags() -> None:
    spec = make_spec("pxc", settings={"unsafe": True, "size": 1, "haproxy_size": 1})
    cluster = pxc.pxc_cluster(spec)["spec"]
    assert cluster["unsafeFlags"] == {"pxcSize": True, "proxySize": True}
    assert (cluster["pxc"]["size"], cluster["haproxy"]["size"]) == (1, 1)


# --- none -------------------------------------------------------------------


def test_generic_app() -> None:
    spec = make_spec("none", replicas=3)
    deployment = generic.deployment(spec)
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate"}
    container = _container(deployment)
    assert container == {
        "name": "app",
        "image": "nginx:1.27",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": "app-config"}}],
    }
    config = generic.config_map(spec)
    assert config is not None and config["data"] == {"GREETING": "hello"}
    service = generic.service(spec)
    assert service is not None
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [("http", 8080, 8080)]
    ingress = generic.ingress(spec)
    assert ingress is not None
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["backend"]["service"]["port"]["number"]) for p in paths] == [("/", 8080)]
    assert [obj["kind"] for obj in objects_for(make_spec("none", host="", env={}))] == [
        "Namespace", "Deployment", "Service"]


def test_generic_worker_has_no_service_and_no_ingress() -> None:
    spec = make_spec("none", port=None, env={})
    assert [obj["kind"] for obj in objects_for(spec)] == ["Namespace", "Deployment"]
    assert _container(generic.deployment(spec)) == {"name": "app", "image": "nginx:1.27"}


def test_generic_secret_env_is_in_a_secret_only() -> None:
    spec = make_spec("none", env={"LOG_LEVEL": "info"}, secret_env={"API_KEY": "s3cret-value"})
    secret = generic.secret(spec)
    assert secret is not None
    assert (secret["metadata"]["name"], secret["type"]) == ("app-secrets", "Opaque")
    assert {key: _decode(value) for key, value in secret["data"].items()} == {"API_KEY": "s3cret-value"}
    assert not is_create_only(secret)  # a changed value is written on the next run
    deployment = generic.deployment(spec)
    assert _container(deployment)["envFrom"] == [
        {"configMapRef": {"name": "app-config"}}, {"secretRef": {"name": "app-secrets"}}]
    others = [obj for obj in objects_for(spec) if obj is not secret and obj["kind"] != "Secret"]
    assert "s3cret-value" not in json.dumps(others)
    assert "s3cret-value" not in repr(spec)
    assert generic.secret(make_spec("none")) is None


def test_generic_app_wired_to_a_pgo_deployment_reads_the_libpq_variables_from_its_copy() -> None:
    spec = make_spec("none", env={"QUEUE": "jobs"}, database=DatabaseLink("eyrie-db", "db", "app", "jobs"))
    container = _container(generic.deployment(spec))
    assert container["env"] == [
        {"name": "PGHOST", "value": "db-primary.eyrie-db.svc"},
        *({"name": name, "valueFrom": {"secretKeyRef": {"name": "app-database", "key": key}}}
          for name, key in (("PGPORT", "port"), ("PGUSER", "user"), ("PGPASSWORD", "password"))),
        {"name": "PGDATABASE", "value": "jobs"},
    ]
    assert container["envFrom"] == [{"configMapRef": {"name": "app-config"}}]
    assert odoo.database_env(make_spec("odoo", name="app", database=spec.database)) == container["env"]
    assert "env" not in _container(generic.deployment(make_spec("none")))


def test_generic_pods_roll_out_with_each_version_of_their_environment() -> None:
    """A ConfigMap or Secret changed alone restarts nothing: the pod template names the version."""
    first = generic.deployment(make_spec("none", version="3", secret_env={"TOKEN": "a"}))
    second = generic.deployment(make_spec("none", version="4", secret_env={"TOKEN": "b"}))
    assert first["spec"]["template"]["metadata"]["annotations"] == {common.ANNOTATION_VERSION: "3"}
    assert second["spec"]["template"]["metadata"]["annotations"] == {common.ANNOTATION_VERSION: "4"}
    plain = generic.deployment(make_spec("none", env={}))
    assert "annotations" not in plain["spec"]["template"]["metadata"]


def test_generic_command_and_arguments() -> None:
    spec = make_spec("none", command=("/bin/sh", "-c"), args=("exec app --port 8080",))
    container = _container(generic.deployment(spec))
    assert (container["command"], container["args"]) == (["/bin/sh", "-c"], ["exec app --port 8080"])
    assert "command" not in _container(generic.deployment(make_spec("none", args=("--verbose",))))


def test_generic_volume() -> None:
    spec = make_spec("none", volume_path="/var/lib/app", storage_size="5Gi", storage_class="fast")
    assert _kinds_and_names(objects_for(spec))[1:4] == [
        ("ConfigMap", "app-config"), ("PersistentVolumeClaim", "app-data"), ("Deployment", "app")]
    claim = generic.volume(spec)
    assert claim is not None
    assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}},
                             "storageClassName": "fast"}
    deployment = generic.deployment(spec)
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert deployment["spec"]["template"]["spec"]["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "app-data"}}]
    assert _container(deployment)["volumeMounts"] == [{"name": "data", "mountPath": "/var/lib/app"}]
    assert generic.volume(make_spec("none")) is None


# --- pause ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "kind", "paused", "resumed", "subresource"),
    [
        ("odoo", "Deployment", {"spec": {"replicas": 0}}, {"spec": {"replicas": 2}}, "scale"),
        ("none", "Deployment", {"spec": {"replicas": 0}}, {"spec": {"replicas": 2}}, "scale"),
        ("pgo", "PostgresCluster", {"spec": {"shutdown": True}}, {"spec": {"shutdown": False}}, ""),
        ("pxc", "PerconaXtraDBCluster", {"spec": {"pause": True}}, {"spec": {"pause": False}}, ""),
    ],
)
def test_pause_patch(type_: str, kind: str, paused: Obj, resumed: Obj, subresource: str) -> None:
    spec = make_spec(type_, replicas=2)
    target, patch, sub = pause_patch(spec, True)
    assert (target["kind"], target["metadata"]["name"], patch, sub) == (kind, spec.name, paused, subresource)
    assert pause_patch(spec, False)[1:] == (resumed, subresource)

"""DeploymentSpec validation: bad input is refused with the field named."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .. import operators
from ..builders import objects_for, odoo, pause_patch, workload
from ..errors import InvalidSpec, KubeError, PermanentError
from ..spec import NAME_SUFFIXES, TYPES, DatabaseLink, RegistryCredentials, Source, is_dns_label
from . import validation
from .factories import make_spec


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a", True),
        ("web-1", True),
        ("1web", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("", False),
        ("Web", False),
        ("web_1", False),
        ("-web", False),
        ("web-", False),
        ("web.acme", False),
    ],
)
def test_is_dns_label(value: str, expected: bool) -> None:
    assert is_dns_label(value) is expected


@pytest.mark.parametrize("type_", ["odoo", "pgo", "pxc", "none"])
def test_valid_specs_pass(type_: str) -> None:
    assert make_spec(type_).type == type_


@pytest.mark.parametrize(
    ("type_", "overrides", "field"),
    [
        ("none", {"type": "docker"}, "type"),
        ("none", {"name": "My_App"}, "name"),
        ("none", {"name": "9app"}, "name"),
        ("none", {"name": "a" * 60}, "name"),
        ("none", {"namespace": "Acme"}, "namespace"),
        ("none", {"namespace": ""}, "namespace"),
        ("none", {"image": ""}, "image"),
        ("odoo", {"image": "  "}, "image"),
        ("none", {"image": "", "port": None}, "image"),
        ("none", {"replicas": -1}, "replicas"),
        ("none", {"replicas": True}, "replicas"),
        ("none", {"deployment_id": "42"}, "deployment_id"),
        ("none", {"host": "Acme.example.com"}, "host"),
        ("none", {"host": "acme..com"}, "host"),
        ("none", {"storage_size": "lots"}, "storage_size"),
        ("none", {"host": "", "tls_secret": "acme-tls"}, "tls_secret"),
        ("none", {"tls_secret": "Acme TLS"}, "tls_secret"),
        ("none", {"env": {"BAD NAME": "x"}}, "env"),
        ("none", {"secret_env": {"1TOKEN": "x"}}, "secret_env"),
        ("none", {"env": {"TOKEN": "a"}, "secret_env": {"TOKEN": "b"}}, "secret_env"),
        ("none", {"command": ["/bin/sh"]}, "command"),
        ("none", {"args": ("--a", "")}, "args"),
        ("none", {"volume_path": "data"}, "volume_path"),
        ("none", {"volume_path": "/"}, "volume_path"),
        ("none", {"volume_path": "/srv/app/", "source": Source("https://git.example.com/a.git", "main",
                                                                path="/srv/app")}, "volume_path"),
        ("none", {"port": 0}, "port"),
        ("none", {"port": True}, "port"),
        ("odoo", {"port": "8069"}, "port"),
        ("none", {"port": 70000}, "port"),
        ("odoo", {"settings": {"db_secret": "db-pguser-odoo", "workers": 0}}, "settings.workers"),
        ("odoo", {"settings": {}}, "settings"),
        ("odoo", {"settings": {"db_host": "pg", "db_user": "odoo"}}, "settings"),
        ("odoo", {"settings": {"db_secret": "Bad_Secret"}}, "settings.db_secret"),
        ("odoo", {"settings": {"db_secret": "db-pguser-odoo", "options": {"Bad Key": "1"}}}, "settings.options"),
        ("odoo", {"settings": {"db_secret": "db-pguser-odoo", "options": {"a": "1\nb = 2"}}}, "settings.options"),
        ("odoo", {"settings": {"db_host": "pg", "db_user": "odoo", "db_password_secret": "x/y"}},
         "settings.db_password_secret"),
        ("pxc", {"settings": {"cr_version": 1.15}}, "settings.cr_version"),
        ("pxc", {"settings": {"users": [{"name": "monitor"}]}}, "settings.users"),
        ("pxc", {"settings": {"users": [{"name": "u" * 33}]}}, "settings.users"),
        ("pxc", {"settings": {"users": [{"name": "web", "dbs": ["acme-shop"]}]}}, "settings.users"),
        ("pxc", {"settings": {"haproxy_image": " "}}, "settings.haproxy_image"),
        ("pxc", {"settings": {"haproxy_image": ["percona/haproxy"]}}, "settings.haproxy_image"),
    ],
)
def test_invalid_specs_name_the_field(type_: str, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidSpec) as info:
        make_spec(type_, **overrides)
    assert info.value.field == field
    assert str(info.value).startswith(f"Invalid {field}: ")


def test_invalid_spec_is_a_permanent_value_error() -> None:
    with pytest.raises(InvalidSpec) as info:
        make_spec("none", name="Bad")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, PermanentError)
    assert isinstance(info.value, KubeError)


def test_image_is_optional_for_databases_and_port_for_every_type() -> None:
    assert make_spec("pgo", image="").image == ""
    assert make_spec("pxc", image="").image == ""
    assert make_spec("odoo").port is None
    assert make_spec("none", port=None).port is None


def test_pxc_needs_no_settings() -> None:
    spec = make_spec("pxc", image="", settings={})
    cluster = workload(spec)["spec"]
    assert (cluster["crVersion"], cluster["pxc"]["image"], cluster["haproxy"]["image"]) == (
        operators.PXC_CR_VERSION, operators.PXC_IMAGE, operators.PXC_HAPROXY_IMAGE)


def test_explicit_database_settings_are_accepted() -> None:
    settings = {"db_host": "pg.example.com", "db_user": "odoo", "db_password_secret": "odoo-db"}
    assert make_spec("odoo", settings=settings).setting("db_host") == "pg.example.com"


def test_haproxy_image_not_needed_when_haproxy_is_off() -> None:
    spec = make_spec("pxc", settings={"cr_version": "1.15.0", "haproxy": False})
    assert spec.setting("haproxy") is False


def test_registry_password_is_not_in_repr() -> None:
    spec = make_spec("none", registry=RegistryCredentials("registry.example.com", "bot", "hunter2"))
    assert "hunter2" not in repr(spec)


def test_the_longest_allowed_name_fits_every_derived_name() -> None:
    registry = RegistryCredentials("registry.example.com", "bot", "pw")
    for type_ in TYPES:
        spec = make_spec(type_, name="a" * (63 - max(map(len, NAME_SUFFIXES))), registry=registry)
        objs = objects_for(spec) + ([odoo.init_job(spec)] if type_ == "odoo" else [])
        assert max(len(obj["metadata"]["name"]) for obj in objs) <= 63


# Any JSON value under any setting a type reads: a spec is refused naming the setting, or every object
# it builds is accepted.
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
_SETTING_KEYS = {
    "odoo": ["db_secret", "db_host", "db_user", "db_password_secret", "db_port", "db_name", "workers", "fs_group",
             "options"],
    "pgo": ["postgres_version", "instances", "backup_size", "users"],
    "pxc": ["cr_version", "size", "haproxy", "haproxy_size", "haproxy_image", "unsafe"],
    "none": [],
}
_USERS = st.lists(st.dictionaries(st.sampled_from(["name", "databases", "options", "password", "x"]), _JSON,
                                  max_size=4), max_size=3)


@pytest.mark.parametrize("type_", TYPES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_settings_are_refused_by_name_or_build(type_: str, data: st.DataObject) -> None:
    base = dict(make_spec(type_).settings or {})
    keys = _SETTING_KEYS[type_]
    values = data.draw(st.dictionaries(st.sampled_from(keys), _JSON | _USERS, max_size=3)) if keys else {}
    try:
        spec = make_spec(type_, settings={**base, **values})
    except InvalidSpec as error:
        assert error.field.startswith("settings")
        return
    pause_patch(spec, True)
    assert {obj["kind"]: validation.errors(obj) for obj in objects_for(spec)} == {
        obj["kind"]: [] for obj in objects_for(spec)
    }


@pytest.mark.parametrize(
    ("user", "name", "field"),
    [
        ("operator", "acme", "database.user"),  # the PXC operator's own: it skips the item
        ("pmmserver", "acme", "database.user"),
        ("u" * (operators.PXC_USER_NAME_MAX + 1), "acme", "database.user"),  # MySQL's limit
        ("web", "acme.shop", "database.database"),  # written unquoted into the operator's SQL
        ("web", "2024", "database.database"),
        ("web", "a" * 65, "database.database"),
    ],
)
def test_pxc_users_the_operator_would_not_make_are_refused(user: str, name: str, field: str) -> None:
    link = DatabaseLink("eyrie-db", "shop-mysql", user, name, engine="pxc")
    with pytest.raises(InvalidSpec) as caught:
        link.validate()
    assert caught.value.field == field


def test_pxc_users_the_operator_makes_pass() -> None:
    DatabaseLink("eyrie-db", "shop-mysql", "u" * operators.PXC_USER_NAME_MAX, "acme-shop_2$", engine="pxc").validate()
    DatabaseLink("eyrie-db", "shop-db", "operator", "acme.shop").validate()  # PGO's rules differ

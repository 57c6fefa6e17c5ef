"""Clients from a kubeconfig text or a token: refused early, never quoting secrets."""
from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml

from ..connection import api_client_from_kubeconfig, api_client_from_token
from ..errors import InvalidKubeconfig, PermanentError
from ..operations import Kube
from .kmock_server import SERVER_VERSION, MockCluster

TOKEN = "s3cr3t-token-value"


def _kubeconfig(server: str, **changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "mock", "cluster": {"server": server}},
            {"name": "other", "cluster": {"server": "https://other.invalid:6443"}},
        ],
        "users": [{"name": "bot", "user": {"token": TOKEN}}],
        "contexts": [
            {"name": "mock", "context": {"cluster": "mock", "user": "bot"}},
            {"name": "other", "context": {"cluster": "other", "user": "bot"}},
        ],
        "current-context": "mock",
    }
    config.update(changes)
    return config


def test_kubeconfig_client_talks_to_the_cluster_with_its_token(cluster: MockCluster) -> None:
    client = api_client_from_kubeconfig(yaml.safe_dump(_kubeconfig(cluster.url)))
    assert Kube(client).check_connection() == SERVER_VERSION
    assert list(cluster.emulator)[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_kubeconfig_context_can_be_chosen(cluster: MockCluster) -> None:
    text = yaml.safe_dump(_kubeconfig(cluster.url))
    assert api_client_from_kubeconfig(text, context="other").configuration.host == "https://other.invalid:6443"
    assert len(cluster.requests()) == 0


def test_token_client_talks_to_the_cluster(cluster: MockCluster) -> None:
    client = api_client_from_token(cluster.url, TOKEN)
    assert Kube(client).check_connection() == SERVER_VERSION
    assert list(cluster.emulator)[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_token_client_with_a_ca_certificate() -> None:
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    configuration = api_client_from_token("https://k8s.example.com:6443", TOKEN, ca_cert=pem).configuration
    assert configuration.verify_ssl is True
    assert pathlib.Path(configuration.ssl_ca_cert).read_text() == pem


def test_token_client_without_verification() -> None:
    configuration = api_client_from_token("https://k8s.example.com:6443", TOKEN, verify=False).configuration
    assert configuration.verify_ssl is False


def test_clients_do_not_retry_by_themselves() -> None:
    assert api_client_from_token("https://k8s.example.com", TOKEN).configuration.retries is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"users: [{{token: {TOKEN}\n", "not valid YAML"),
        (f"- {TOKEN}\n- b\n", "not a YAML mapping"),
        ("", "not a YAML mapping"),
        (yaml.safe_dump(_kubeconfig("http://x", **{"current-context": ""})), "no current-context"),
        (yaml.safe_dump(_kubeconfig("http://x", **{"current-context": "nope"})), "no context named 'nope'"),
        (yaml.safe_dump(_kubeconfig("http://x", clusters=[])), "no cluster named 'mock'"),
        (yaml.safe_dump(_kubeconfig("http://x", users=[])), "no user named 'bot'"),
        (yaml.safe_dump(_kubeconfig("")), "cluster has no server"),
        (yaml.safe_dump(_kubeconfig("http://x", users=[
            {"name": "bot", "user": {"token": TOKEN, "exec": {"command": "rm"}}}])), "uses exec"),
        (yaml.safe_dump(_kubeconfig("http://x", users=[
            {"name": "bot", "user": {"tokenFile": "/etc/shadow"}}])), "uses tokenFile"),
    ],
)
def test_bad_kubeconfigs_are_refused_without_quoting_them(text: str, message: str) -> None:
    with pytest.raises(InvalidKubeconfig, match=message) as info:
        api_client_from_kubeconfig(text)
    assert TOKEN not in str(info.value)
    assert info.value.__cause__ is None
    assert isinstance(info.value, PermanentError) and isinstance(info.value, ValueError)


def test_kubeconfig_errors_from_the_loader_are_wrapped() -> None:
    config = _kubeconfig("https://k8s.example.com", users=[
        {"name": "bot", "user": {"token": TOKEN, "client-certificate-data": "%%% not base64"}}])
    with pytest.raises(InvalidKubeconfig, match="kubeconfig cannot be used") as info:
        api_client_from_kubeconfig(yaml.safe_dump(config))
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize(
    ("host", "token", "message"),
    [("k8s.example.com", TOKEN, "host must be"), ("https://k8s.example.com", " ", "token is empty")],
)
def test_bad_token_settings_are_refused(host: str, token: str, message: str) -> None:
    with pytest.raises(InvalidKubeconfig, match=message):
        api_client_from_token(host, token)

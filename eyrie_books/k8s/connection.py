"""API clients for one cluster each, from a kubeconfig text or a token.

Nothing here touches the process-wide default configuration of the
``kubernetes`` package: every cluster gets its own ``ApiClient``, which never
retries by itself.  Settings are checked before any request and errors never
quote the kubeconfig.

The kubeconfig comes from a user of the Odoo instance, so it may only carry
inline data and tokens: ``exec`` and ``auth-provider`` would run commands on
the Odoo server and file paths would read its files.
"""
from __future__ import annotations

import base64
from typing import Any

import yaml
from kubernetes.client import ApiClient, Configuration
from kubernetes.config import new_client_from_config_dict
from kubernetes.config.config_exception import ConfigException

from .errors import InvalidKubeconfig, shorten

_REFUSED_KEYS = frozenset(
    {"exec", "auth-provider", "tokenFile", "certificate-authority", "client-certificate", "client-key"}
)


def api_client_from_kubeconfig(text: str, context: str | None = None) -> ApiClient:
    """Client for ``context`` (default: the current one) of a kubeconfig text."""
    try:
        config = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        # Not chained: the YAML error quotes the offending line, which may hold a token. PyYAML also
        # raises ValueError (a date like 2001-02-30) and RecursionError (deeply nested input).
        raise InvalidKubeconfig("kubeconfig is not valid YAML") from None
    if not isinstance(config, dict):
        raise InvalidKubeconfig("kubeconfig is not a YAML mapping")
    name = context or config.get("current-context")
    if not name:
        raise InvalidKubeconfig("kubeconfig has no current-context and no context was given")
    chosen = _entry(config, "contexts", "context", name)
    cluster = _entry(config, "clusters", "cluster", chosen.get("cluster"))
    user = _entry(config, "users", "user", chosen.get("user"))
    if not cluster.get("server"):
        raise InvalidKubeconfig("kubeconfig cluster has no server")
    refused = _REFUSED_KEYS & (cluster.keys() | user.keys())
    if refused:
        raise InvalidKubeconfig(
            f"kubeconfig uses {', '.join(sorted(refused))}; only inline data and tokens are accepted"
        )
    return _client(config, name)


def api_client_from_token(
    host: str, token: str, ca_cert: str | None = None, verify: bool = True
) -> ApiClient:
    """Client for the API server at ``host`` authenticating with a bearer token.

    ``ca_cert`` is the PEM text of the cluster's CA; ``verify=False`` skips
    certificate checks (test clusters only).
    """
    if not host.startswith(("https://", "http://")):
        raise InvalidKubeconfig("host must be an https:// URL")
    if not token.strip():
        raise InvalidKubeconfig("token is empty")
    cluster: dict[str, Any] = {"server": host}
    if ca_cert:
        cluster["certificate-authority-data"] = base64.b64encode(ca_cert.encode()).decode()
    if not verify:
        cluster["insecure-skip-tls-verify"] = True
    # Built as a one-context kubeconfig so both entry points share one loader.
    config = {
        "clusters": [{"name": "eyrie", "cluster": cluster}],
        "users": [{"name": "eyrie", "user": {"token": token}}],
        "contexts": [{"name": "eyrie", "context": {"cluster": "eyrie", "user": "eyrie"}}],
        "current-context": "eyrie",
    }
    return _client(config, "eyrie")


def _entry(config: dict[str, Any], section: str, key: str, name: Any) -> dict[str, Any]:
    """The ``key`` mapping of the entry called ``name`` in ``config[section]``."""
    entries = config.get(section)
    for entry in entries if isinstance(entries, list) else []:
        value = entry.get(key) if isinstance(entry, dict) and entry.get("name") == name else None
        if isinstance(value, dict):
            return value
    raise InvalidKubeconfig(f"kubeconfig has no {key} named {shorten(str(name), 60)!r}")


def _client(config: dict[str, Any], context: str) -> ApiClient:
    configuration = Configuration()
    # No urllib3 retries: by default it retries refused connections and even
    # sleeps through Retry-After on 429/503 inside one call. Retrying is the
    # job queue's decision, made from the error this layer raises.
    configuration.retries = False
    try:
        return new_client_from_config_dict(
            config_dict=config,
            context=context,
            persist_config=False,
            client_configuration=configuration,
        )
    except ConfigException as exc:
        # The loader's own messages name keys and entries, not their values.
        raise InvalidKubeconfig(f"kubeconfig cannot be used: {shorten(str(exc))}") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # AttributeError: a server: 5
        # Not chained: these may quote a value (bad base64 of a key, a token...).
        raise InvalidKubeconfig(f"kubeconfig cannot be used ({type(exc).__name__})") from None

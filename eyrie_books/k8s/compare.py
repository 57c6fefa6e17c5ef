"""Compare an object Eyrie would apply with the live one, as an API server stores it.

A real API server fills defaults (pull policy, clusterIP, strategy...), drops
empty lists and maps, and adds fields of its own (uid, resourceVersion,
generation, status).  Only what Eyrie sets counts: the live object is
"unchanged" when it holds every field of the desired one (see
:mod:`.patching`), and a change is described in the terms the engine uses,
the smallest merge patch it would send, with one :class:`FieldChange` per
field that differs.  The values of a Secret are compared, never shown.

The public names below are stable: the engine's ``ensure``, the preview and
the drift detection all build on them.

* :func:`compare` - one desired object against the live one (or None).
* :func:`patch_for` - the merge patch ``ensure`` sends ({} when unchanged).
* :func:`field_changes` - the fields of a patch with their live and desired values.
* :func:`masked` - an object or patch with a Secret's values hidden.
* :func:`desired_fields` - the desired object without the fields a server owns.
* :func:`spelled_as_live` - the desired object with its resource quantities written as the live ones.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kubernetes.utils import parse_quantity

from .patching import contains, dropped_data, holds, merge_patch

Obj = dict[str, Any]
Action = Literal["create", "change", "unchanged"]
CREATE: Action = "create"
CHANGE: Action = "change"
UNCHANGED: Action = "unchanged"

# What a Secret's value is shown as, wherever it is shown.
HIDDEN = "(hidden)"
SECRET_FIELDS = ("data", "stringData")
# Fields the API server writes: never Eyrie's to set, never a difference.
SERVER_METADATA = frozenset({
    "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "managedFields", "selfLink",
})


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its path (``spec.template.spec.containers[0].image``), the live value
    (None when absent) and the value to apply; HIDDEN for a Secret's values."""

    path: str
    live: Any
    desired: Any

    def as_dict(self) -> Obj:
        return {"path": self.path, "live": self.live, "desired": self.desired}


@dataclass(frozen=True)
class Comparison:
    """What applying ``desired`` would do: create it, change it (``patch``, ``changes``) or nothing."""

    action: Action
    patch: Obj = field(default_factory=dict)  # the merge patch to send; the whole object to create
    changes: tuple[FieldChange, ...] = ()

    def as_dict(self) -> Obj:
        """Plain data to show or return over RPC, with a Secret's values hidden."""
        return {
            "action": self.action,
            "patch": self.patch,
            "changes": [change.as_dict() for change in self.changes],
        }


def desired_fields(obj: Mapping[str, Any]) -> Obj:
    """``obj`` as the API server keeps it: without status and the metadata the server owns, and a
    Secret's ``stringData`` in ``data`` (where the server moves it, base64-encoded).

    >>> desired_fields({"kind": "Secret", "metadata": {"name": "s", "uid": "1"}, "stringData": {"k": "v"}})
    {'kind': 'Secret', 'metadata': {'name': 's'}, 'data': {'k': 'dg=='}}
    """
    result = {key: value for key, value in obj.items() if key != "status"}
    if isinstance(obj.get("metadata"), Mapping):
        result["metadata"] = {k: v for k, v in obj["metadata"].items() if k not in SERVER_METADATA}
    text = result.pop("stringData", None) if obj.get("kind") == "Secret" else None
    if isinstance(text, Mapping):
        encoded = {key: base64.b64encode(str(value).encode()).decode() for key, value in text.items()}
        result["data"] = {**(result.get("data") or {}), **encoded}
    return result


def patch_for(desired: Mapping[str, Any], live: Mapping[str, Any]) -> Obj:
    """The smallest merge patch that gives ``live`` every field Eyrie sets in ``desired``, and takes
    out the variables a ConfigMap or Secret of Eyrie's no longer has (see ``dropped_data``)."""
    patch = merge_patch(desired_fields(spelled_as_live(desired, live)), live)
    if dropped := dropped_data(desired, live):
        patch.setdefault("data", {}).update(dropped)
    return patch


def spelled_as_live(desired: Any, live: Any, key: str = "", parent: str = "") -> Any:
    """``desired`` with each resource quantity (``resources.requests`` and ``resources.limits``)
    that equals the live one written as the live one. An API server keeps quantities in canonical
    form ("0.5" as "500m", "1024Mi" as "1Gi"): the way one was typed is no difference.

    >>> spelled_as_live({"resources": {"requests": {"cpu": "0.5", "memory": "1024Mi", "storage": "2Gi"}}},
    ...                 {"resources": {"requests": {"cpu": "500m", "memory": "1Gi", "storage": "1Gi"}}})
    {'resources': {'requests': {'cpu': '500m', 'memory': '1Gi', 'storage': '2Gi'}}}
    """
    if parent == "resources" and key in ("requests", "limits") and isinstance(desired, Mapping):
        have = live if isinstance(live, Mapping) else {}
        return {name: have[name] if _same_quantity(value, have.get(name)) else value
                for name, value in desired.items()}
    if isinstance(desired, Mapping):
        have = live if isinstance(live, Mapping) else {}
        return {name: spelled_as_live(value, have.get(name), name, key) for name, value in desired.items()}
    if isinstance(desired, list) and isinstance(live, list) and len(live) == len(desired):
        return [spelled_as_live(want, item) for want, item in zip(desired, live, strict=True)]
    return desired


def _same_quantity(desired: Any, live: Any) -> bool:
    if not isinstance(desired, str | int) or not isinstance(live, str | int):
        return False
    try:
        return bool(parse_quantity(desired) == parse_quantity(live))
    except ValueError:
        return False


def compare(desired: Mapping[str, Any], live: Mapping[str, Any] | None, create_only: bool = False) -> Comparison:
    """What applying ``desired`` does to ``live`` (None: it does not exist).

    ``create_only`` objects (generated secrets, the namespace) are never changed once they exist.

    >>> live = {"kind": "ConfigMap", "metadata": {"name": "c", "uid": "1", "labels": {"x": "y"}}, "data": {"a": "1"}}
    >>> compare({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}, live).action
    'unchanged'
    >>> compare({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "3"}}, live).as_dict()
    {'action': 'change', 'patch': {'data': {'a': '3'}}, 'changes': [{'path': 'data.a', 'live': '1', 'desired': '3'}]}
    >>> compare({"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "c2VjcmV0"}}, None).patch
    {'kind': 'Secret', 'metadata': {'name': 's'}, 'data': {'k': '(hidden)'}}
    """
    kind = str(desired.get("kind", ""))
    if live is None:
        return Comparison(CREATE, masked(kind, desired_fields(desired)))
    patch = {} if create_only else patch_for(desired, live)
    if not patch:
        return Comparison(UNCHANGED)
    return Comparison(CHANGE, masked(kind, patch), tuple(field_changes(kind, patch, live)))


def field_changes(kind: str, patch: Mapping[str, Any], live: Mapping[str, Any]) -> list[FieldChange]:
    """Each field of the merge ``patch`` of a ``kind`` object with its value in ``live``.

    A list sent whole is followed item by item when its length is the same, so a changed image
    shows as ``...containers[0].image`` rather than as the whole list.
    """
    changes: list[FieldChange] = []
    _walk(patch, live, "", changes)
    if kind == "Secret":
        changes = [
            FieldChange(change.path, _hide(change.live), _hide(change.desired)) if _is_secret_path(change.path)
            else change
            for change in changes
        ]
    return changes


def masked(kind: str, obj: Mapping[str, Any]) -> Obj:
    """``obj`` (an object or a patch) with the values of a Secret replaced by HIDDEN."""
    result = dict(obj)
    if kind == "Secret":
        for key in SECRET_FIELDS:
            if isinstance(result.get(key), Mapping):
                result[key] = dict.fromkeys(result[key], HIDDEN)
    return result


def _walk(want: Any, have: Any, path: str, changes: list[FieldChange]) -> None:
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        for key, value in want.items():
            if not holds(have, key, value):
                _walk(value, have.get(key), _join(path, key), changes)
    elif isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        for index, (item, live_item) in enumerate(zip(want, have, strict=True)):
            if not contains(live_item, item):
                _walk(item, live_item, f"{path}[{index}]", changes)
    else:
        changes.append(FieldChange(path, have, want))


def _join(path: str, key: str) -> str:
    """``a.b``, or ``a["b.c/d"]`` for a key that holds dots or slashes (labels, annotations)."""
    if "." in key or "/" in key:
        return f'{path}["{key}"]'
    return f"{path}.{key}" if path else key


def _is_secret_path(path: str) -> bool:
    return any(path == key or path.startswith((f"{key}.", f'{key}["')) for key in SECRET_FIELDS)


def _hide(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict.fromkeys(value, HIDDEN)
    return None if value is None else HIDDEN

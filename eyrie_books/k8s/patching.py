"""JSON merge patches (RFC 7386): the smallest one from live to desired, and applying one.

"Desired" only speaks about the fields Eyrie sets.  Everything else in the
live object - status, server defaults, fields written by other controllers -
is left alone, so re-applying an unchanged spec yields an empty patch.

Merge patches replace lists whole, so a list is sent again when it differs;
but it is *compared* item by item as "contains", so the defaults a server
adds inside list items (``terminationMessagePath`` in a container...) do not
count as a difference.  A field the live object lacks holds an empty or zero
desired value: an API server drops ``[]``, ``{}``, ``""`` and ``false`` from
built-in objects, so sending them again would change nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_unset(value: Any) -> bool:
    """True for the values an API server does not store: None, empty, zero or false."""
    return value is None or (not value and isinstance(value, Mapping | list | str | bool | int | float))


def holds(live: Mapping[str, Any], key: str, desired: Any) -> bool:
    """True when ``live[key]`` already has ``desired`` (a missing key holds an unset value)."""
    return contains(live[key], desired) if key in live else is_unset(desired)


def contains(live: Any, desired: Any) -> bool:
    """True when ``live`` already has every value of ``desired``."""
    if isinstance(desired, Mapping):
        return isinstance(live, Mapping) and all(holds(live, key, value) for key, value in desired.items())
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(live) == len(desired)
            and all(contains(have, want) for have, want in zip(live, desired, strict=True))
        )
    return bool(live == desired)


def apply_merge_patch(target: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``target`` with ``patch`` applied the way an API server applies a merge patch."""
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping):
            current = result.get(key)
            result[key] = apply_merge_patch(current if isinstance(current, Mapping) else {}, value)
        else:
            result[key] = value
    return result


def merge_patch(desired: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``desired`` that ``live`` lacks or has otherwise; {} if none."""
    patch: dict[str, Any] = {}
    for key, want in desired.items():
        have = live.get(key)
        if holds(live, key, want):
            continue
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            patch[key] = merge_patch(want, have)
        else:
            patch[key] = want
    return patch

"""Preview: what a book's steps would do on a cluster, reading from it and writing nothing.

:class:`PreviewKube` runs the same operations as the engine: reads go to its
``source`` (the real cluster, or on a dry-run cluster a :class:`DryRunKube`
holding what the last run sent), each answer is kept, and every write is
applied to that copy instead of being sent.  What each step would do comes
out as :attr:`PreviewKube.entries`: per object *create*, *change* (the merge
patch and its :class:`~.compare.FieldChange` lines), *unchanged* or *delete*,
in the terms of :mod:`.compare`, with a Secret's values hidden.  Nothing
waits: an object that exists counts as ready.
"""
from __future__ import annotations

import copy
from typing import Any, Literal

from .builders import Obj
from .compare import CHANGE, CREATE, UNCHANGED, compare, field_changes, masked
from .errors import NotFound
from .operations import Operations, Outcome, Verb
from .patching import apply_merge_patch
from .readiness import Summary
from .resources import ObjectRef, api_path, ref

DELETE: Literal["delete"] = "delete"


class PreviewKube(Operations):
    """Reads from ``source``; records what it would write, as plain dicts in :attr:`entries`."""

    def __init__(self, source: Operations) -> None:
        self.source = source
        self.entries: list[dict[str, Any]] = []
        self._seen: dict[str, Obj | None] = {}  # path -> the object as the preview has it (None: absent)
        self._ensuring = False

    def check_connection(self) -> dict[str, Any]:
        return self.source.check_connection()

    def ensure(self, obj: Obj, create_only: bool = False) -> Outcome:
        comparison = compare(obj, self.read(obj), create_only)
        self._ensuring = True
        try:
            outcome = super().ensure(obj, create_only)
        finally:
            self._ensuring = False
        self._record(ref(obj), comparison.as_dict())
        return outcome

    def check_ready(self, obj: Obj) -> Summary:
        summary = self.status(obj)
        summary["ready"] = summary["exists"]
        return summary

    def _send(self, verb: Verb, target: ObjectRef, body: Obj | None = None, subresource: str = "") -> Obj:
        key = api_path(target)
        if key not in self._seen:
            try:
                self._seen[key] = self.source._send("read", target)
            except NotFound:
                self._seen[key] = None
        live = self._seen[key]
        if verb == "create":
            self._seen[key] = copy.deepcopy(body or {})
            return copy.deepcopy(self._seen[key] or {})
        if live is None:
            raise NotFound(f"{target}: HTTP 404 NotFound", 404)
        if verb == "delete":
            self._seen[key] = None
            self._record(target, {"action": DELETE, "patch": {}, "changes": []})
        elif verb == "patch":
            patch = body or {}
            self._seen[key] = apply_merge_patch(live, patch)
            if not self._ensuring:  # pause, resume, scale: a change of its own
                kind = target.resource.kind
                changes = [change.as_dict() for change in field_changes(kind, patch, live)]
                self._record(target, {"action": CHANGE, "patch": masked(kind, patch), "changes": changes})
        return copy.deepcopy(self._seen[key] or live)

    def _record(self, target: ObjectRef, result: dict[str, Any]) -> None:
        entry = {"kind": target.resource.kind, "namespace": target.namespace, "name": target.name, **result}
        # One line per object: a later step's verdict on it replaces an "unchanged" one.
        for index, earlier in enumerate(self.entries):
            if (earlier["kind"], earlier["namespace"], earlier["name"]) == (entry["kind"], entry["namespace"],
                                                                            entry["name"]):
                if entry["action"] != UNCHANGED:
                    self.entries[index] = entry if earlier["action"] == UNCHANGED else _merged(earlier, entry)
                return
        self.entries.append(entry)


def _merged(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """Two steps acting on one object: a created object stays "create" with the later patch applied
    (applied stopped, then scaled up); otherwise the later action, with both steps' changes."""
    if earlier["action"] == CREATE and later["action"] == CHANGE:
        return {**earlier, "patch": apply_merge_patch(earlier["patch"], later["patch"])}
    return {**later, "changes": earlier["changes"] + later["changes"]}

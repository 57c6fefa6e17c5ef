"""Merge patches: nothing when live already holds the desired fields, only the difference otherwise."""
from __future__ import annotations

from ..patching import apply_merge_patch, contains, merge_patch

DESIRED = {
    "metadata": {"name": "web", "labels": {"a": "1"}},
    "spec": {"replicas": 1, "containers": [{"name": "odoo", "image": "odoo:19"}]},
}


def test_no_patch_when_live_has_extra_fields_and_defaults() -> None:
    live = {
        "metadata": {"name": "web", "labels": {"a": "1", "other": "x"}, "uid": "123"},
        "spec": {
            "replicas": 1,
            "containers": [{"name": "odoo", "image": "odoo:19", "imagePullPolicy": "IfNotPresent"}],
        },
        "status": {"readyReplicas": 1},
    }
    assert merge_patch(DESIRED, live) == {}


def test_patch_holds_only_the_differences() -> None:
    live = {
        "metadata": {"name": "web", "labels": {"a": "0"}},
        "spec": {"replicas": 3, "containers": [{"name": "odoo", "image": "odoo:18"}]},
    }
    assert merge_patch(DESIRED, live) == {
        "metadata": {"labels": {"a": "1"}},
        "spec": {"replicas": 1, "containers": [{"name": "odoo", "image": "odoo:19"}]},
    }


def test_missing_keys_and_list_length_changes_are_sent_whole() -> None:
    live = {"metadata": {"name": "web"}, "spec": {"replicas": 1, "containers": []}}
    assert merge_patch(DESIRED, live) == {
        "metadata": {"labels": {"a": "1"}},
        "spec": {"containers": [{"name": "odoo", "image": "odoo:19"}]},
    }


def test_contains() -> None:
    assert contains({"a": [1, {"b": 2, "c": 3}]}, {"a": [1, {"b": 2}]})
    assert not contains({"a": [1]}, {"a": [1, 2]})
    assert not contains({"a": "1"}, {"a": 1})
    assert not contains("x", {"a": 1})


def test_apply_merge_patch_follows_rfc_7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "l": [3], "n": {"m": 1}}
    assert apply_merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "l": [3], "n": {"m": 1}}
    assert target["c"] == {"d": "e", "f": "g"}  # not modified in place


def test_applying_the_patch_reaches_the_desired_fields() -> None:
    live = {"metadata": {"name": "web", "uid": "1"}, "spec": {"replicas": 3, "containers": [{"name": "x"}]}}
    patched = apply_merge_patch(live, merge_patch(DESIRED, live))
    assert contains(patched, DESIRED)
    assert patched["metadata"]["uid"] == "1"

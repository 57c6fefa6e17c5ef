"""Write a CRD's served openAPIV3Schema as compact JSON, descriptions left out (see README.md).

Usage: ``git --git-dir=<mirror> show <commit>:<crd.yaml> | python3 extract.py > <kind>.json``
"""
from __future__ import annotations

import json
import sys
from typing import Any

import yaml


def without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: without_descriptions(value) for key, value in node.items() if key != "description"}
    if isinstance(node, list):
        return [without_descriptions(value) for value in node]
    return node


def main() -> None:
    crd = yaml.safe_load(sys.stdin)
    (version,) = [version for version in crd["spec"]["versions"] if version.get("storage")]
    assert version["served"], "the stored version is not served"
    schema = without_descriptions(version["schema"]["openAPIV3Schema"])
    json.dump(schema, sys.stdout, separators=(",", ":"), sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

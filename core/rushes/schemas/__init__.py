"""JSON Schemas of the result files (one per kind, plus the envelope every result carries)."""
from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load(name: str) -> dict[str, Any]:
    """The schema of a result kind ("Cuts", ...) or of the "envelope"."""
    return json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))


def validate(document: dict[str, Any]) -> None:
    """Check a result JSON against its kind's schema (needs the `jsonschema` package)."""
    import jsonschema
    from referencing import Registry, Resource

    envelope = load("envelope")
    registry = Registry().with_resource(envelope["$id"], Resource.from_contents(envelope))
    schema = load(str(document.get("kind")))
    jsonschema.Draft202012Validator(schema, registry=registry).validate(document)

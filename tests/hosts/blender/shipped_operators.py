"""The built-in operator list the Blender extension ships (builtin_operators.json): made from the core's registry.

The extension offers these operators from its first start, before any worker is reached (the
worker's own list replaces them on Connect). `builtin_list()` is what a worker serves at /v1/ops,
keeping only the operators `rushes.builtin` registers, so a studio package installed here never
leaks into the file. Run this file with the rushes environment's Python to rewrite the shipped
file after changing a built-in operator; test_first_start fails while it is stale.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parents[3] / "hosts" / "blender" / "extension" / "rushes" / "builtin_operators.json"


def builtin_list() -> dict[str, Any]:
    """/v1/ops (schema and rushes versions, operator descriptions) restricted to the built-in operators."""
    from rushes import builtin
    from rushes.operators import describe_all

    served = describe_all()
    names = {op.name for op in builtin.rushes_operators()}
    # through JSON, as a worker answers: tuples become lists
    return json.loads(json.dumps({**served, "operators": [d for d in served["operators"] if d["name"] in names]}))


def text(described: dict[str, Any]) -> str:
    return json.dumps(described, indent=1, ensure_ascii=False) + "\n"


def write(path: Path = SHIPPED) -> Path:
    """Rewrite the shipped list atomically (a reader never sees half a file)."""
    part = path.with_name(path.name + ".part")
    part.write_text(text(builtin_list()), encoding="utf-8")
    os.replace(part, path)
    return path


if __name__ == "__main__":
    print(f"wrote {write()}", file=sys.stderr)

"""The worker's operator list kept in a file, so a host builds its menus and nodes before any worker
runs, and offers a studio's own operators from the last worker seen."""
from __future__ import annotations

import json
import os
from typing import Any


def load(path: str) -> list[dict[str, Any]]:
    """The operators of a saved /v1/ops answer; none when the file is missing, unreadable or not one."""
    try:
        with open(path, encoding="utf-8") as f:
            operators = json.load(f)["operators"]
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        return []
    if not isinstance(operators, list):
        return []
    return [op for op in operators if isinstance(op, dict) and isinstance(op.get("name"), str)]


def save(path: str, described: dict[str, Any]) -> bool:
    """Keep a worker's /v1/ops answer at `path`, whole or not at all (written beside, then moved in).
    False when it cannot be written: a host then asks the worker again next time."""
    tmp = "%s.%d.part" % (path, os.getpid())
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(described, f)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True

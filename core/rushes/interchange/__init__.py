"""Interchange: the registry of result kinds and the writers that translate them into files.

Like OpenTimelineIO's adapters, each writer only translates a result. Kinds and writers are
declared through the hooks `rushes_result_kinds` and `rushes_writers` (built-ins in
`rushes.builtin`, a studio's own through the same entry point group); a writer for kind "*"
writes every kind, a studio's own included (a host's one writer from annotations). Every kind is
written as JSON, with the run's envelope (schema version, operator, parameters, models, media,
outputs) on top, besides the formats its writers add. Importing this module stays cheap:
writers named as "module:function" are imported when first used.
"""
from __future__ import annotations

import importlib
import inspect
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from ..errors import RushesError
from ..plugins import derived

Writer = Callable[[Any], str]
EVERY_KIND = "*"  # the kind a writer names to be written for every result kind (e.g. from its annotations)


@dataclass
class ResultKind:
    """One kind of result: its class and its writers by file extension (JSON always first)."""

    name: str
    cls: type
    writers: dict[str, Writer | str] = field(default_factory=dict)

    def writer(self, ext: str) -> Writer:
        found = self.writers[ext]
        if isinstance(found, str):
            module, _, attr = found.partition(":")
            found = getattr(importlib.import_module(module), attr)
            self.writers[ext] = found
        return found


@derived  # forgotten with the plug-ins (reset_discovery)
@lru_cache(maxsize=1)
def kinds() -> dict[str, ResultKind]:
    """Every result kind from every installed package (built once per process)."""
    from ..plugins import plugin_manager

    hook = plugin_manager().hook
    found: dict[str, ResultKind] = {}
    for batch in hook.rushes_result_kinds():
        for entry in batch:  # a Result class (keyed by its name), or a (name, class) pair
            name, cls = (entry.kind_name(), entry) if isinstance(entry, type) else entry
            found.setdefault(name, ResultKind(name, cls, {"json": _json_writer}))
    every_kind: list[tuple[str, Writer | str]] = []
    for batch in hook.rushes_writers():
        for kind, ext, writer in batch:
            if kind == EVERY_KIND and ext != "json":
                every_kind.append((ext, writer))
            elif kind in found and ext != "json":
                found[kind].writers.setdefault(ext.lstrip("."), writer)
    # after the kinds' own writers: a kind's own writer of an extension wins over one for every kind
    for ext, writer in every_kind:
        for k in found.values():
            k.writers.setdefault(ext.lstrip("."), writer)
    return found


def kind(name: str) -> ResultKind:
    try:
        return kinds()[name]
    except KeyError:
        raise RushesError(f"unknown result kind {name!r} (known: {', '.join(kinds())})") from None


def writers_for(name: str) -> list[str]:
    """The file extensions a result kind is written as, JSON first."""
    return list(kind(name).writers)


def read_result(data: dict[str, Any]) -> Any:
    """A result back from its JSON (any kind, envelope and unknown fields ignored)."""
    return kind(str(data.get("kind"))).cls.from_json(data)


def result_json(result: Any, envelope: dict[str, Any] | None = None) -> dict[str, Any]:
    """A result's JSON document: the run's envelope, the result's own fields, then its annotations
    (rushes.annotations: what any host shows of it, whatever its kind)."""
    from ..annotations import block_to_json

    sets = result.annotation_sets((envelope or {}).get("media")) if hasattr(result, "annotation_sets") else []
    return {**(envelope or {}), **result.to_json(), "annotations": block_to_json(sets)}


def _json_writer(result: Any, envelope: dict[str, Any] | None = None) -> str:
    return json.dumps(result_json(result, envelope), indent=1, ensure_ascii=False) + "\n"


def _render(writer: Writer, result: Any, envelope: dict[str, Any] | None, out_dir: Path | None = None) -> str:
    """A writer's text; one with an `envelope` parameter also gets the run's envelope (e.g. the
    media's own first frame when the run had a frame range), one with an `out_dir` parameter the
    folder it is written in (to name the result's relative files, e.g. annotation media, in full)."""
    try:
        takes = inspect.signature(writer).parameters
    except (TypeError, ValueError):  # a builtin or C function: no signature to read
        takes = {}
    given = {"envelope": envelope, "out_dir": out_dir}
    return writer(result, **{name: value for name, value in given.items() if name in takes})


def write_result(result: Any, kind_name: str, output: Any, stem: str,
                 envelope: dict[str, Any] | None = None) -> list[Path]:
    """Write every format registered for this result kind as `stem.ext` in the output folder.

    Everything is rendered before anything is written, so a failing writer leaves no partial
    set; an earlier run's set in the same folder moves to `versions/vNNN/` (see rushes.outputs).
    """
    k = kind(kind_name)
    texts = {f"{stem}.json": _json_writer(result, envelope)}
    texts.update({f"{stem}.{ext}": _render(k.writer(ext), result, envelope, output.path)
                  for ext in k.writers if ext != "json"})
    return output.write_set(texts)

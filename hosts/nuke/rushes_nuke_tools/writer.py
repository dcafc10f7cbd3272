"""The .nk writer of every result kind: the nodes of its annotations (`render`, the plug-in's own
text), written as `<stem>.nk` by `rushes run` and every job beside the result's JSON."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def nk_file(result: Any, envelope: dict[str, Any] | None = None, out_dir: Path | None = None) -> str:
    """A paste file of `result`'s annotations, placed on Reads of their sources as Nuke sets one up;
    the result's relative files (a matte) are named in full from `out_dir`."""
    from rushes.interchange import result_json

    from .render import paste_file

    return paste_file(result_json(result, envelope), str(out_dir) if out_dir is not None else "")

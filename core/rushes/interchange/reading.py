"""Reading JSON and OpenTimelineIO text that came from outside rushes, so that no file or request
can crash the process: its nesting is measured first, without recursion, and refused past a limit.

Why before parsing: OpenTimelineIO's C++ reader recurses once per `[` or `{` and overflows the C
stack on a file such as `'[' * 100000` (a segmentation fault: no exception to catch, and a worker
re-running that job would die again and again); Python's json raises RecursionError at a depth
that depends on the caller's stack. Every reader of untrusted JSON or `.otio` goes through here.
"""
from __future__ import annotations

import json
import re
from itertools import accumulate
from pathlib import Path
from typing import Any

from ..errors import MediaError, RushesError

# Far above any real edit (a timeline's clip metadata sits about a dozen levels deep) and far below
# what OTIO's reader or Python's json can take on a worker thread's stack.
MAX_DEPTH = 256

# A JSON string (escapes included): brackets inside one are text, not nesting. An unterminated
# string matches nothing, so its brackets count: such a text is broken anyway.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str | bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (0 for a bare value); linear time, no recursion."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_nesting(text: str | bytes, source: str | Path | None = None, limit: int = MAX_DEPTH,
                  error: type[RushesError] = MediaError) -> None:
    """Refuse (`error`, naming `source`) a JSON text nested deeper than `limit` levels."""
    depth = nesting_depth(text)
    if depth > limit:
        raise error(f"JSON nested {depth} levels deep (at most {limit}); not read", source)


def load_json(text: str | bytes, source: str | Path | None = None, limit: int = MAX_DEPTH,
              error: type[RushesError] = MediaError) -> Any:
    """json.loads for text from outside rushes: too deep or not JSON is one `error` naming `source`."""
    check_nesting(text, source, limit, error)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise error(f"malformed JSON ({exc})", source) from None


def read_otio(path: str | Path) -> Any:
    """An `.otio` file (OTIO JSON) as OpenTimelineIO objects; MediaError naming the file when it
    cannot be read, is nested too deeply, or is no OpenTimelineIO edit."""
    import opentimelineio as otio

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MediaError("not a readable OpenTimelineIO edit (not UTF-8 text)", path) from None
    except OSError as exc:
        raise MediaError(f"cannot read the edit ({exc.strerror or exc})", path) from None
    check_nesting(text, path)
    try:
        return otio.adapters.read_from_string(text, "otio_json")
    except Exception as exc:  # OTIO raises many kinds for a broken file
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise MediaError(f"not a readable OpenTimelineIO edit ({first})", path) from None

"""A small reader of Nuke script text for the tests: nodes and knob values, the Tracker4 tracks
table and curves. Standard library only (the fake `nuke` pastes files with it).

Values come back as nested lists of strings: `{curve x1001 2 x1002 3}` is
["curve", "x1001", "2", "x1002", "3"]; a quoted string is one str with its escapes undone.
"""
from __future__ import annotations

from typing import Any, List, Tuple

TOP_COMMANDS = ("set", "version", "push", "define_window_layout_xml")


class NkSyntaxError(ValueError):
    pass


def tokens(text: str) -> List[Tuple[str, str, int]]:
    """(kind, text, line): kind is "{", "}", "word" or "string"."""
    out, i, line, n = [], 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c in "{}":
            out.append((c, c, line))
            i += 1
        elif c == '"':
            i += 1
            buf = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    buf.append("\n" if nxt == "n" else nxt)
                    i += 2
                    continue
                if text[i] == "\n":
                    line += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                raise NkSyntaxError(f"line {line}: unterminated string")
            out.append(("string", "".join(buf), line))
            i += 1
        else:
            buf = []
            while i < n and text[i] not in ' \t\r\n{}"':
                if text[i] == "\\" and i + 1 < n:
                    buf.append(text[i + 1])
                    i += 2
                    continue
                buf.append(text[i])
                i += 1
            out.append(("word", "".join(buf), line))
    return out


def _group(toks: List[Tuple[str, str, int]], i: int) -> Tuple[List[Any], int]:
    """The braced group opening at toks[i] as a nested list; the index after its `}`."""
    assert toks[i][0] == "{"
    items: List[Any] = []
    i += 1
    while i < len(toks):
        kind, text, _ = toks[i]
        if kind == "}":
            return items, i + 1
        if kind == "{":
            sub, i = _group(toks, i)
            items.append(sub)
        else:
            items.append(text)
            i += 1
    raise NkSyntaxError("unbalanced braces")


def nodes(text: str) -> List[Tuple[str, List[Tuple[str, Any]]]]:
    """Every node of a script or paste file: (class, [(knob, value), ...]) in file order."""
    toks = tokens(text)
    out = []
    i = 0
    while i < len(toks):
        kind, word, line = toks[i]
        if kind == "word" and word in TOP_COMMANDS:
            while i < len(toks) and toks[i][2] == line:
                i += 1
            continue
        if kind != "word" or i + 1 >= len(toks) or toks[i + 1][0] != "{":
            raise NkSyntaxError(f"line {line}: expected a node, got {word!r}")
        body, i = _group(toks, i + 1)
        out.append((word, _knobs(body, word, line)))
    return out


def _knobs(body: List[Any], cls: str, line: int) -> List[Tuple[str, Any]]:
    if len(body) % 2:
        raise NkSyntaxError(f"line {line}: {cls} has a knob without a value")
    return [(body[k], body[k + 1]) for k in range(0, len(body), 2)]


def curve(value: Any) -> List[Tuple[int, float]]:
    """The keys of `{curve [flags] x<frame> v ...}`; a value without its own x<frame> is refused."""
    if not isinstance(value, list) or not value or value[0] != "curve":
        raise NkSyntaxError(f"not a curve: {value!r}")
    keys, frame = [], None
    for item in value[1:]:
        if item in ("K", "L", "S", "C", "R") and not keys and frame is None:
            continue
        if isinstance(item, str) and item.startswith("x"):
            frame = int(float(item[1:]))
            continue
        if frame is None:
            raise NkSyntaxError(f"curve key {item!r} has no x<frame> before it: {value!r}")
        keys.append((frame, float(item)))
        frame = None
    return keys


def tracks(value: Any) -> List[dict]:
    """Tracker4's tracks table: one dict per row, keyed by the column names of its descriptors."""
    header, columns, rows = value
    if header[:2] != ["1", "31"] or len(columns) != 31:
        raise NkSyntaxError(f"tracks header {header!r} with {len(columns)} columns")
    names = [c[3] for c in columns]
    count = int(header[2])
    # a row is 31 cells, except that T/R/S and the boxes are bare words: flatten to cells
    out = []
    if len(rows) != count:
        raise NkSyntaxError(f"the header says {count} tracks, the table has {len(rows)}")
    for row in rows:
        if len(row) != 31:
            raise NkSyntaxError(f"a track row has {len(row)} cells, not 31: {row!r}")
        out.append(dict(zip(names, row)))
    return out

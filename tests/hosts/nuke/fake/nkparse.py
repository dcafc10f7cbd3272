"""A small reader of Nuke script text for the tests: nodes and knob values, the Tracker4 tracks
table and curves. Standard library only (the fake `nuke` pastes files with it).

Values come back as nested lists of strings: `{curve x1001 2 x1002 3}` is
["curve", "x1001", "2", "x1002", "3"]; a quoted string is one str with its escapes undone.
`commands()` keeps the stack commands between nodes (set/push), which wire pasted nodes.
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


def commands(text: str) -> List[Tuple[str, Any]]:
    """A script or paste file in order: ("node", (class, [(knob, value), ...])) and the stack
    commands between nodes, ("set", variable) for `set N [stack 0]` and ("push", variable or "0")."""
    toks = tokens(text)
    out: List[Tuple[str, Any]] = []
    i = 0
    while i < len(toks):
        kind, word, line = toks[i]
        if kind == "word" and word in TOP_COMMANDS:
            words = []
            while i < len(toks) and toks[i][2] == line:
                words.append(toks[i][1])
                i += 1
            if word == "set":
                if words[2:] != ["[stack", "0]"]:
                    raise NkSyntaxError(f"line {line}: set takes [stack 0], got {words!r}")
                out.append(("set", words[1]))
            elif word == "push":
                if len(words) != 2 or not (words[1] == "0" or words[1].startswith("$")):
                    raise NkSyntaxError(f"line {line}: push takes $variable or 0, got {words!r}")
                out.append(("push", words[1].lstrip("$")))
            continue
        if kind != "word" or i + 1 >= len(toks) or toks[i + 1][0] != "{":
            raise NkSyntaxError(f"line {line}: expected a node, got {word!r}")
        body, i = _group(toks, i + 1)
        out.append(("node", (word, _knobs(body, word, line))))
    return out


def nodes(text: str) -> List[Tuple[str, List[Tuple[str, Any]]]]:
    """Every node of a script or paste file: (class, [(knob, value), ...]) in file order."""
    return [value for kind, value in commands(text) if kind == "node"]


def user_knob(value: Any) -> Tuple[int, str, dict]:
    """An `addUserKnob {TYPE NAME l LABEL t TOOLTIP T TEXT +FLAG ...}`: its type number, name and
    the rest (l, t, T and flags)."""
    if not isinstance(value, list) or len(value) < 2 or not value[0].isdigit():
        raise NkSyntaxError(f"addUserKnob needs a type and a name: {value!r}")
    rest: dict = {"flags": []}
    k = 2
    while k < len(value):
        item = value[k]
        if item in ("l", "t", "T") and k + 1 < len(value):
            rest[item] = value[k + 1]
            k += 2
        elif isinstance(item, str) and item[:1] in "+-":
            rest["flags"].append(item)
            k += 1
        else:
            raise NkSyntaxError(f"addUserKnob: unexpected {item!r} in {value!r}")
    return int(value[0]), value[1], rest


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

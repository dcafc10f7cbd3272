"""A fake `nuke` module for the plug-in's tests: an in-memory node graph with the part of Nuke's
Python API the plug-in uses. Every public name and signature here is checked against the
types-nuke stubs (test_fake_surface.py), so neither the fake nor the plug-in can invent API.

Like Nuke, nodes and knobs may only be touched on the main thread (anything else raises), and
`executeInMainThread` queues a call that the test runs with `_drain()`. Test helpers start with
an underscore. Knob names per node class follow Nuke's own (Read: file, proxy, first, last,
origfirst, origlast, frame_mode, frame, colorspace, format, raw, on_error; FrameRange:
first_frame, last_frame; Tracker4: tracks, reference_frame; Text2: message, xjustify, yjustify;
Copy: from0, to0; AudioRead: file; StickyNote and every node: label). Pasted user knobs
(addUserKnob) are Int, Double, Boolean, String, Tab and Text knobs.
"""
from __future__ import annotations

import os
import queue
import re
import threading
import time
from typing import Any, Callable, Dict, List, Optional

import nkparse

GUI = True
STARTLINE = 0x1000
INVISIBLE = 0x400
ENDLINE = 0x2000


def _main_only(what: str) -> None:
    if threading.current_thread() is not threading.main_thread():
        raise AssertionError(f"nuke: {what} touched outside the main thread")


class _MainThreadOnly:
    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            _main_only(f"{type(self).__name__}.{name}")
        return object.__getattribute__(self, name)


class Format(_MainThreadOnly):
    def __init__(self, width: int = 1920, height: int = 1080, pixel_aspect: float = 1.0, name: str = "HD_1080"):
        self._w, self._h, self._pa, self._name = width, height, pixel_aspect, name

    def width(self) -> int:
        return self._w

    def height(self) -> int:
        return self._h

    def pixelAspect(self) -> float:
        return self._pa

    def name(self) -> str:
        return self._name


class Knob(_MainThreadOnly):
    def __init__(self, name: str = "", label: Optional[str] = None, value: Any = None):
        self._name, self._label = name, label if label is not None else name
        self._value = self._coerce(value) if value is not None else self._default()
        self._flags, self._enabled, self._tooltip, self._node = 0, True, "", None
        self._range = None

    def _default(self) -> Any:
        return ""

    def _coerce(self, value: Any) -> Any:
        return value

    def name(self) -> str:
        return self._name

    def label(self) -> str:
        return self._label

    def value(self) -> Any:
        return self._value

    def getValue(self) -> Any:
        return self._value

    def setValue(self, val: Any) -> bool:
        self._value = self._coerce(val)
        return True

    def setTooltip(self, tooltip: str) -> None:
        self._tooltip = tooltip

    def tooltip(self) -> str:
        return self._tooltip

    def setFlag(self, flag: int) -> None:
        self._flags |= flag

    def clearFlag(self, flag: int) -> None:
        self._flags &= ~flag

    def getFlag(self, flag: int) -> bool:
        return bool(self._flags & flag)

    def setEnabled(self, enabled: bool) -> None:
        self._enabled = bool(enabled)

    def enabled(self) -> bool:
        return self._enabled

    def node(self) -> "Node":
        return self._node

    def toScript(self) -> str:
        return str(self._value)

    def fromScript(self, script: str) -> None:
        self._value = self._coerce(script)


class Array_Knob(Knob):
    """Values, keys (`_keys`: [(frame, value)], `_constant`: K interpolation) or an expression."""

    _keys: Optional[List[tuple]] = None
    _constant = False
    _expression: Optional[str] = None

    def _default(self) -> Any:
        return 0.0

    def _coerce(self, value: Any) -> Any:
        return float(value)

    def setRange(self, *args: Any) -> Any:
        self._range = args

    def _animate(self, value: list) -> None:
        """A pasted `{{curve [K] x<frame> v ...}}` (keys) or `{{expression}}`."""
        (inner,) = value
        if isinstance(inner, list) and inner[:1] == ["curve"]:
            self._keys = [(f, self._coerce(v)) for f, v in nkparse.curve(inner)]
            self._constant = "K" in inner[1:2]
            self._expression = None
        else:
            self._expression = " ".join(inner) if isinstance(inner, list) else str(inner)
            self._keys = None

    def isAnimated(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._keys) or self._expression is not None

    def hasExpression(self, *args: Any, **kwargs: Any) -> bool:
        return self._expression is not None

    def getKeyList(self) -> List[int]:
        return [f for f, _ in self._keys or []]

    def getNumKeys(self, *args: Any, **kwargs: Any) -> int:
        return len(self._keys or [])

    def getValueAt(self, *args: Any, **kwargs: Any) -> Any:
        """The value at frame args[0]: keys held (K) or interpolated straight, held past the ends."""
        if self._expression is not None:
            raise NotImplementedError(f"fake nuke: cannot evaluate the expression {self._expression!r}")
        if not self._keys:
            return self._value
        t = float(args[0])
        keys = self._keys
        if t <= keys[0][0]:
            return keys[0][1]
        for (f0, v0), (f1, v1) in zip(keys, keys[1:]):
            if f0 <= t < f1:
                return v0 if self._constant else self._coerce(v0 + (v1 - v0) * (t - f0) / (f1 - f0))
        return keys[-1][1]

    def value(self, *args: Any, **kwargs: Any) -> Any:
        return self.getValueAt(_current[0]) if self._keys else self._value

    def toScript(self, *args: Any, **kwargs: Any) -> str:
        if self._expression is not None:
            return "{{%s}}" % self._expression
        if self._keys:
            body = " ".join("x%d %s" % (f, v) for f, v in self._keys)
            return "{{curve %s%s}}" % ("K " if self._constant else "", body)
        return str(self._value)


class Int_Knob(Array_Knob):
    def _default(self) -> Any:
        return 0

    def _coerce(self, value: Any) -> Any:
        return int(float(value))


class Double_Knob(Array_Knob):
    pass


class Boolean_Knob(Array_Knob):
    def _default(self) -> Any:
        return False

    def _coerce(self, value: Any) -> Any:
        return value not in ("false", "0", 0, False, None, "")

    def setValue(self, b: Any) -> bool:
        self._value = self._coerce(b)
        return True


class Unsigned_Knob(Array_Knob):
    pass


class Enumeration_Knob(Unsigned_Knob):
    def __init__(self, name: str = "", label: Optional[str] = None, values: Optional[List[str]] = None):
        self._values = list(values or [])
        super().__init__(name, label)
        self._value = self._values[0] if self._values else ""

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return self._values[value]
        if str(value) not in self._values:
            raise ValueError(f"{self._name}: {value!r} is not one of {self._values}")
        return str(value)

    def values(self) -> List[str]:
        return list(self._values)

    def numValues(self) -> int:
        return len(self._values)


class String_Knob(Knob):
    def _coerce(self, value: Any) -> Any:
        return str(value)


class EvalString_Knob(String_Knob):
    def evaluate(self) -> str:
        """The value with its TCL evaluated, as Nuke does; the fake knows `[getenv NAME]` (empty
        when unset) and `$env(NAME)` (an error when unset, as TCL's), and refuses anything else."""
        def env(m: "re.Match[str]") -> str:
            if m.group(1) not in os.environ:
                raise RuntimeError(f"can't read \"env({m.group(1)})\": no such variable")
            return os.environ[m.group(1)]

        text = re.sub(r"\[getenv\s+([A-Za-z_][A-Za-z0-9_]*)\]", lambda m: os.environ.get(m.group(1), ""), self._value)
        text = re.sub(r"\$env\(([A-Za-z_][A-Za-z0-9_]*)\)", env, text)
        if "[" in text or "$" in text:
            raise NotImplementedError(f"fake nuke: cannot evaluate {self._value!r}")
        return text


class File_Knob(EvalString_Knob):
    pass


class Multiline_Eval_String_Knob(EvalString_Knob):
    pass


class Text_Knob(Knob):
    pass


class Tab_Knob(Knob):
    pass


class Script_Knob(String_Knob):
    def __init__(self, name: str = "", label: Optional[str] = None, command: str = ""):
        super().__init__(name, label, command)

    def command(self) -> str:
        return self._value

    def setValue(self, cmd: Any) -> None:
        self._value = str(cmd)

    def execute(self) -> None:
        _run_script(self._value, self._node, self)


class PyScript_Knob(Script_Knob):
    pass


class Format_Knob(Knob):
    def _default(self) -> Any:
        return Format()

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, Format):
            return value
        parts = str(value).split()
        for f in _formats:
            if f._name == parts[-1]:
                return f
        if len(parts) == 8:  # "W H X Y R T PIXEL_ASPECT NAME", as a .nk file holds a format: Nuke adds it
            return addFormat(f"{parts[0]} {parts[1]} {parts[6]} {parts[7]}")
        raise ValueError(f"{self._name}: no format named {value!r}")

    def toScript(self, *args: Any, **kwargs: Any) -> str:
        f = self._value
        return f"{f._w} {f._h} 0 0 {f._w} {f._h} {f._pa:g} {f._name}"


class Node(_MainThreadOnly):
    def __init__(self, cls: str = "NoOp", **knobs: Any):
        self._class = cls
        self._knobs: Dict[str, Knob] = {}
        self._inputs: Dict[int, Node] = {}
        self._selected = False
        self._x = self._y = 0
        self._metadata: Dict[str, Any] = {}
        for name, make in _CATALOG["*"] + _CATALOG.get(cls, []):
            knob = make(name)
            knob._node = self
            self._knobs[name] = knob
        self._name = _unique(cls + "1" if cls != "Root" else "root")
        for name, value in knobs.items():
            if name == "name":
                self.setName(value)
            elif name not in self._knobs:
                raise NameError(f"{cls} has no knob {name!r}")
            else:
                self._knobs[name].setValue(value)
        if cls != "Root":
            _graph.append(self)

    def Class(self) -> str:
        return self._class

    def name(self) -> str:
        return self._name

    def fullName(self) -> str:
        return self._name

    def setName(self, name: str, uncollide: bool = True, updateExpressions: bool = False) -> None:
        self._name = _unique(name, exclude=self) if uncollide else name

    def knob(self, p: Any) -> Optional[Knob]:
        return self._knobs.get(p)

    def knobs(self) -> Dict[str, Knob]:
        return dict(self._knobs)

    def __getitem__(self, name: str) -> Knob:
        _main_only("Node[]")
        if name not in self._knobs:
            raise NameError(f"{self._class} {self._name} has no knob {name!r}")
        return self._knobs[name]

    def addKnob(self, knob: Knob) -> None:
        if knob._name in self._knobs:
            raise ValueError(f"{self._name} already has a knob {knob._name!r}")
        knob._node = self
        self._knobs[knob._name] = knob

    def input(self, index: int) -> Optional["Node"]:
        return self._inputs.get(index)

    def inputs(self) -> int:
        return max(self._inputs) + 1 if self._inputs else 0

    def setInput(self, i: int, node: Optional["Node"]) -> bool:
        if self._class in _NO_INPUTS:
            return False
        if node is None:
            self._inputs.pop(i, None)
        else:
            self._inputs[i] = node
        return True

    def format(self) -> Format:
        knob = self._knobs.get("format")
        return knob._value if knob is not None else _root._knobs["format"]._value

    def metadata(self, key: Optional[str] = None, time: float = 0.0, view: str = "main") -> Any:
        return dict(self._metadata) if key is None else self._metadata.get(key)

    def xpos(self) -> int:
        return self._x

    def ypos(self) -> int:
        return self._y

    def setXYpos(self, x: int, y: int) -> None:
        self._x, self._y = int(x), int(y)

    def setXpos(self, x: int) -> None:
        self._x = int(x)

    def setYpos(self, y: int) -> None:
        self._y = int(y)

    def isSelected(self) -> bool:
        return self._selected

    def setSelected(self, selected: bool) -> None:
        self._selected = bool(selected)

    def firstFrame(self) -> int:
        return int(self._knobs["first"]._value if "first" in self._knobs else _root._knobs["first_frame"]._value)

    def lastFrame(self) -> int:
        return int(self._knobs["last"]._value if "last" in self._knobs else _root._knobs["last_frame"]._value)


class Group(Node):
    pass


class Root(Group):
    def name(self) -> str:
        return self._knobs["name"]._value or "Root"

    def fps(self) -> int:
        return int(self._knobs["fps"]._value)

    def firstFrame(self) -> int:
        return int(self._knobs["first_frame"]._value)

    def lastFrame(self) -> int:
        return int(self._knobs["last_frame"]._value)


class MenuItem(_MainThreadOnly):
    def __init__(self, name: str = "", script: str = ""):
        self._name, self._script = name, script

    def name(self) -> str:
        return self._name

    def script(self) -> str:
        return self._script

    def invoke(self) -> None:
        _run_script(self._script, None, None)


class _Items(_MainThreadOnly):
    """What menus and toolbars share."""

    _name: str
    _items: List[MenuItem]

    def name(self) -> str:
        return self._name

    def addMenu(self, *args: Any, **kwargs: Any) -> "Menu":
        name = args[0]
        for item in self._items:
            if isinstance(item, Menu) and item._name == name:
                return item
        menu = Menu(name)
        self._items.append(menu)
        return menu

    def addCommand(self, *args: Any, **kwargs: Any) -> MenuItem:
        name, command = args[0], args[1] if len(args) > 1 else kwargs.get("command", "")
        path = name.split("/")
        menu = self
        for part in path[:-1]:
            menu = menu.addMenu(part)
        item = MenuItem(path[-1], command)
        menu._items.append(item)
        return item

    def addSeparator(self, *args: Any, **kwargs: Any) -> None:
        self._items.append(MenuItem("-"))

    def clearMenu(self) -> None:
        self._items = []

    def findItem(self, name: str) -> Optional[MenuItem]:
        menu: Any = self
        for part in name.split("/"):
            found = [i for i in menu._items if i._name == part]
            if not found:
                return None
            menu = found[0]
        return menu

    def items(self) -> List[MenuItem]:
        return list(self._items)


class Menu(MenuItem, _Items):
    def __init__(self, name: str = ""):
        super().__init__(name)
        self._items = []


class ToolBar(_Items):
    def __init__(self, name: str = ""):
        self._name, self._items = name, []


class ProgressTask:
    """Usable from any thread, as Nuke's is."""

    def __init__(self, *args: Any, **kwargs: Any):
        self._title = args[0] if args else ""
        self._progress: List[int] = []
        self._messages: List[str] = []
        self._cancelled = False
        _tasks.append(self)

    def setProgress(self, *args: Any) -> None:
        self._progress.append(int(args[0]))

    def setMessage(self, *args: Any) -> None:
        self._messages.append(str(args[0]))

    def isCancelled(self, *args: Any) -> bool:
        return self._cancelled


class Nodes:
    def __getattr__(self, item: str) -> Callable[..., Node]:
        def make(**knobs: Any) -> Node:
            _main_only(f"nodes.{item}")
            return Node(item, **knobs)
        return make


# -- module state -----------------------------------------------------------------------------

def _knob(kind: Callable[..., Knob], *args: Any) -> Callable[[str], Knob]:
    return lambda name: kind(name, name, *args)


_COLORSPACES = ["default", "linear", "sRGB", "rec709", "Gamma1.8", "Gamma2.2", "raw", "default (sRGB)",
                "default (linear)"]
_CATALOG: Dict[str, list] = {
    "*": [("label", _knob(Multiline_Eval_String_Knob)), ("knobChanged", _knob(String_Knob))],
    "Read": [("file", _knob(File_Knob)), ("proxy", _knob(File_Knob)), ("first", _knob(Int_Knob)),
             ("last", _knob(Int_Knob)), ("origfirst", _knob(Int_Knob)), ("origlast", _knob(Int_Knob)),
             ("frame_mode", _knob(Enumeration_Knob, ["expression", "start at", "offset"])),
             ("frame", _knob(String_Knob)), ("colorspace", _knob(Enumeration_Knob, _COLORSPACES)),
             ("format", _knob(Format_Knob)), ("raw", _knob(Boolean_Knob)),
             ("on_error", _knob(Enumeration_Knob, ["error", "black", "checkerboard", "nearest frame"]))],
    "FrameRange": [("first_frame", _knob(Int_Knob)), ("last_frame", _knob(Int_Knob))],
    "Tracker4": [("tracks", _knob(Knob)), ("reference_frame", _knob(Int_Knob))],
    "NoOp": [],
    "Text2": [("message", _knob(Multiline_Eval_String_Knob)),
              ("xjustify", _knob(Enumeration_Knob, ["left", "center", "right", "justify"])),
              ("yjustify", _knob(Enumeration_Knob, ["top", "center", "bottom"]))],
    "Copy": [("from0", _knob(String_Knob)), ("to0", _knob(String_Knob))],
    "AudioRead": [("file", _knob(File_Knob))],
    "Root": [("name", _knob(String_Knob)), ("fps", _knob(Double_Knob)), ("first_frame", _knob(Int_Knob)),
             ("last_frame", _knob(Int_Knob)), ("format", _knob(Format_Knob)),
             ("colorManagement", _knob(Enumeration_Knob, ["Nuke", "OCIO"])),
             ("OCIO_config", _knob(Enumeration_Knob, ["nuke-default", "aces_1.2", "custom"])),
             ("customOCIOConfigPath", _knob(File_Knob))],
}
_NO_INPUTS = {"Read", "AudioRead", "StickyNote", "BackdropNode"}
# addUserKnob type numbers (as .nk files write them) -> knob classes
_USER_KNOBS = {1: "String_Knob", 3: "Int_Knob", 6: "Boolean_Knob", 7: "Double_Knob", 20: "Tab_Knob",
               26: "Text_Knob"}
_PASTE_DIRECTIVES = {"inputs", "name", "xpos", "ypos", "selected"}

_graph: List[Node] = []
_formats: List[Format] = [Format()]
_main_calls: "queue.Queue[tuple]" = queue.Queue()
_tasks: List[ProgressTask] = []
_messages: List[str] = []
_answers: List[Optional[str]] = []
_this: List[tuple] = []
_menus: Dict[str, Menu] = {}
_current = [1]  # the current frame (the playhead)
nodes = Nodes()


def _unique(name: str, exclude: Optional[Node] = None) -> str:
    taken = {n._name for n in _graph if n is not exclude}
    if name not in taken:
        return name
    stem = name.rstrip("0123456789")
    k = 1
    while f"{stem}{k}" in taken:
        k += 1
    return f"{stem}{k}"


def _run_script(script: str, node: Optional[Node], knob: Optional[Knob]) -> None:
    import nuke

    _this.append((node, knob))
    try:
        exec(compile(script, "<nuke script>", "exec"), {"nuke": nuke})
    finally:
        _this.pop()


def _reset(script: str = "") -> None:
    """A new, empty script (`script`: its path, as if saved there)."""
    global _root
    _graph.clear()
    del _formats[1:]
    while not _main_calls.empty():
        _main_calls.get_nowait()
    _tasks.clear()
    _messages.clear()
    _answers.clear()
    _menus.clear()
    _current[0] = 1
    _root = Root("Root")
    _root._knobs["name"].setValue(script)
    _root._knobs["fps"].setValue(24)


def _drain(until: Callable[[], bool] = lambda: False, timeout: float = 120.0) -> None:
    """Run queued main-thread calls (as Nuke's event loop would) until `until()` holds and the
    queue is empty, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            call, args, kwargs = _main_calls.get(timeout=0.02)
            call(*args, **kwargs)
            continue
        except queue.Empty:
            pass
        if until():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the main-thread queue never reached the expected state")


def _read(path: Any, first: int, last: int, width: int, height: int, name: str = "plate",
          colorspace: str = "default", **knobs: Any) -> Node:
    """A Read as Nuke sets one up when a file is loaded: its range, format and colour space."""
    fmt = addFormat(f"{width} {height} 1 {name}_fmt")
    node = Node("Read", file=str(path), first=first, last=last, origfirst=first, origlast=last, format=fmt._name,
                colorspace=colorspace, **knobs)
    node.setName(name)
    node.setXYpos(100, 0)
    return node


def _user_sets(node: Node, knob: str, value: Any) -> None:
    """What a user's edit does: set the knob, then run the node's knobChanged script."""
    node[knob].setValue(value)
    script = node["knobChanged"].value()
    if script:
        _run_script(script, node, node[knob])


# -- module functions (names and signatures as in types-nuke) ---------------------------------

def root() -> Root:
    _main_only("root()")
    return _root  # type: ignore[return-value]


def createNode(typ: str, knobs: str = "", inpanel: bool = True) -> Node:
    """Like Nuke: the new node takes the selected node as its input and becomes the selection."""
    _main_only("createNode")
    selected = [n for n in _graph if n._selected]
    node = Node(typ)
    if selected and typ not in _NO_INPUTS:
        node._inputs[0] = selected[-1]
    for n in _graph:
        n._selected = n is node
    return node


def toNode(s: str) -> Optional[Node]:
    _main_only("toNode")
    return next((n for n in _graph if n._name == s), None)


def allNodes(filter: Optional[str] = None) -> List[Node]:
    _main_only("allNodes")
    return [n for n in _graph if filter is None or n._class == filter]


def selectedNodes(filter: Optional[str] = None) -> List[Node]:
    _main_only("selectedNodes")
    return [n for n in _graph if n._selected and (filter is None or n._class == filter)]


def delete(n: Node) -> None:
    _main_only("delete")
    _graph.remove(n)


def nodePaste(s: str) -> Optional[Node]:
    """Paste nodes from a file in the copy/paste format; the pasted nodes become the selection.

    Like Nuke, the file is run as a stack: `[stack 0]` starts as the selected node, a node takes
    its inputs from the top (input 0 the last pushed; `inputs N`, default 1) and is pushed;
    `push $variable`/`push 0` and `set variable [stack 0]` move nodes between. `addUserKnob`
    adds a knob; `{{curve ...}}` keys an integer or number knob, `{{...}}` gives it an expression."""
    _main_only("nodePaste")
    with open(s, encoding="utf-8") as f:
        parsed = nkparse.commands(f.read())
    selected = [n for n in _graph if n._selected]
    for n in _graph:
        n._selected = False
    stack: List[Optional[Node]] = [selected[-1] if selected else None]
    variables: Dict[str, Optional[Node]] = {}
    last = None
    for op, arg in parsed:
        if op == "set":
            variables[arg] = stack[-1] if stack else None
            continue
        if op == "push":
            if arg != "0" and arg not in variables:
                raise NameError(f"paste: push ${arg} before any set {arg}")
            stack.append(None if arg == "0" else variables[arg])
            continue
        cls, knobs = arg
        node = Node(cls)
        count = 1
        for name, value in knobs:
            if name == "name":
                node.setName(value)
            elif name == "xpos":
                node._x = int(value)
            elif name == "ypos":
                node._y = int(value)
            elif name == "inputs":
                count = int(value)
            elif name == "addUserKnob":
                _add_user_knob(node, value)
            elif name in _PASTE_DIRECTIVES:
                continue
            elif name not in node._knobs:
                raise NameError(f"pasted {cls} has no knob {name!r}")
            elif isinstance(value, list) and isinstance(node._knobs[name], Array_Knob):
                node._knobs[name]._animate(value)
            elif isinstance(node._knobs[name], (Array_Knob, String_Knob, Format_Knob)):
                node._knobs[name].setValue(value)  # validated as Nuke does (an unknown colorspace is an error)
            else:
                node._knobs[name]._value = value  # raw parsed value (the Tracker4 table)
        taken = [stack.pop() if stack else None for _ in range(count)]
        for i, source in enumerate(taken):
            if source is not None:
                node.setInput(i, source)
        stack.append(node)
        node._selected = True
        last = node
    return last


def _add_user_knob(node: Node, value: Any) -> None:
    kind, name, rest = nkparse.user_knob(value)
    if kind not in _USER_KNOBS:
        raise NameError(f"fake nuke: addUserKnob type {kind} is not known here")
    if kind == 20 and name in node._knobs:
        return  # a second tab of the same name adds nothing
    knob = globals()[_USER_KNOBS[kind]](name, rest.get("l") or name)
    if "t" in rest:
        knob.setTooltip(rest["t"])
    if "T" in rest:
        knob._value = rest["T"]
    if "+INVISIBLE" in rest["flags"]:
        knob.setFlag(INVISIBLE)
    node.addKnob(knob)


def executeInMainThread(call: Callable, args: Any = (), kwargs: Any = None) -> None:
    if not isinstance(args, tuple):
        args = (args,)
    _main_calls.put((call, args, kwargs or {}))


def message(prompt: str) -> None:
    _main_only("message")
    _messages.append(prompt)


def tprint(*args: Any, sep: str = " ", end: str = "\n") -> None:
    _messages.append(sep.join(str(a) for a in args))


def getFilename(message: str, pattern: str = "", default: str = "") -> Optional[str]:
    _main_only("getFilename")
    return _answers.pop(0) if _answers else None


def menu(name: str) -> Menu:
    _main_only("menu")
    return _menus.setdefault(name, Menu(name))


def toolbar(name: str, create: bool = True) -> Optional[ToolBar]:
    _main_only("toolbar")
    return _menus.setdefault("toolbar:" + name, ToolBar(name))  # type: ignore[return-value]


def formats() -> List[Format]:
    return list(_formats)


def addFormat(s: str) -> Format:
    parts = s.split()
    fmt = Format(int(parts[0]), int(parts[1]), float(parts[2]) if len(parts) > 3 else 1.0, parts[-1])
    _formats.append(fmt)
    return fmt


def frame(f: Optional[int] = None) -> int:
    """The current frame; with `f`, moves the playhead there first."""
    if f is not None:
        _current[0] = int(f)
    return _current[0]


def filename(node: Node, i: int = 0) -> Optional[str]:
    knob = node.knob("file")
    return None if knob is None else knob.value()


def thisNode() -> Optional[Node]:
    return _this[-1][0] if _this else None


def thisKnob() -> Optional[Knob]:
    return _this[-1][1] if _this else None


def pluginAddPath(args: str, addToSysPath: bool = True) -> None:
    import sys

    if addToSysPath and args not in sys.path:
        sys.path.insert(0, os.fspath(args))


_root = Root("Root")

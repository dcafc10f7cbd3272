"""The rushes node: a NoOp whose knobs come from an operator's parameter schema and UI hints,
with Run and Cancel buttons and a status line.

Knob per widget: bool -> Boolean_Knob, int -> Int_Knob, float -> Double_Knob (with its range),
choice -> Enumeration_Knob, path -> File_Knob, anything else (text, colorspace, language) ->
String_Knob. `advanced` parameters go on a second tab; `enabled_if` greys a knob out, kept up
to date by the node's knobChanged script. Parameter knobs are named rp_<parameter>.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

import nuke

from .connection import PluginError, connect, user_settings_path
from .reads import evaluated
from .rushes_hostkit import cache, params

PREFIX = "rp_"
OPERATOR = "rushes_operator"   # hidden: the operator's name
SCHEMA = "rushes_schema"       # hidden: the operator's description as JSON (the node works offline)
OUT = "rushes_out"
STATUS = "rushes_status"
JOB = "rushes_job"
KNOB_CHANGED = "import rushes_nuke.panel; rushes_nuke.panel.knob_changed(nuke.thisNode(), nuke.thisKnob())"
RUN = "import rushes_nuke.jobs; rushes_nuke.jobs.run_node(nuke.thisNode())"
CANCEL = "import rushes_nuke.jobs; rushes_nuke.jobs.cancel_node(nuke.thisNode())"


def cache_path() -> str:
    return os.path.join(os.path.dirname(user_settings_path()), "rushes_operators.json")


def operators(refresh: bool = False, start: bool = True) -> List[Dict[str, Any]]:
    """The worker's operators (a studio's own included); kept in ~/.nuke so menus and nodes can be
    built before a worker runs. `refresh` asks the worker."""
    cached = [] if refresh else cache.load(cache_path())
    if cached:
        return cached
    described = connect(start=start).describe()
    cache.save(cache_path(), described)  # not kept: the next menu asks the worker again
    return described["operators"]


def describe(name: str) -> Dict[str, Any]:
    for refresh in (False, True):
        for op in operators(refresh=refresh):
            if op["name"] == name:
                return op
    raise PluginError(f"rushes: the worker has no operator {name!r}")


def _label(param: Dict[str, Any]) -> str:
    label = param.get("label") or param["name"]
    unit = param.get("unit")
    return label if not unit or f"({unit})" in label else f"{label} ({unit})"


def param_knob(param: Dict[str, Any]) -> Any:
    """The knob for one parameter, set to its default, with its range and help."""
    name, label, widget = PREFIX + param["name"], _label(param), param.get("widget") or param["type"]
    default = param.get("default")
    knob: Any
    if param.get("choices"):
        knob = nuke.Enumeration_Knob(name, label, [str(c) for c in param["choices"]])
        knob.setValue(str(default))
    elif param["type"] == "bool":
        knob = nuke.Boolean_Knob(name, label)
        knob.setValue(bool(default))
        knob.setFlag(nuke.STARTLINE)
    elif param["type"] == "int":
        knob = nuke.Int_Knob(name, label)
        knob.setValue(int(default or 0))
    elif param["type"] == "float":
        knob = nuke.Double_Knob(name, label)
        if param.get("min") is not None and param.get("max") is not None:
            knob.setRange(float(param["min"]), float(param["max"]))
        knob.setValue(float(default or 0.0))
    elif widget == "path":
        knob = nuke.File_Knob(name, label)
        knob.setValue(str(default or ""))
    else:
        knob = nuke.String_Knob(name, label)
        knob.setValue("" if default is None else str(default))
    tip = param.get("help") or ""
    if param.get("min") is not None or param.get("max") is not None:
        tip += f" [{param.get('min')} .. {param.get('max')}]"
    knob.setTooltip(tip.strip())
    return knob


def create(name: str, operator: Optional[Dict[str, Any]] = None) -> Any:
    """Make the rushes node for operator `name`, connected to the selected Read (nuke.createNode
    wires a new node to the selection)."""
    op = operator or describe(name)
    node = nuke.createNode("NoOp", inpanel=False)
    node.setName("rushes_" + name.replace(".", "_"))
    node.addKnob(nuke.Tab_Knob("rushes_tab", "rushes"))
    summary = nuke.Text_Knob("rushes_summary", name, op.get("summary", ""))
    node.addKnob(summary)
    for hidden in (nuke.String_Knob(OPERATOR, "operator"), nuke.String_Knob(SCHEMA, "schema"),
                   nuke.String_Knob(JOB, "job")):
        hidden.setFlag(nuke.INVISIBLE)
        node.addKnob(hidden)
    node[OPERATOR].setValue(name)
    node[SCHEMA].setValue(json.dumps(op))
    advanced = [p for p in op["params"] if p.get("advanced")]
    for param in op["params"]:
        if not param.get("advanced"):
            node.addKnob(param_knob(param))
    out = nuke.File_Knob(OUT, "output folder")
    out.setTooltip("where the results go; empty: rushes/<Read>_<operator> beside the script (or the plate)")
    node.addKnob(out)
    run = nuke.PyScript_Knob("rushes_run", "Run", RUN)
    run.setFlag(nuke.STARTLINE)
    run.setTooltip("run on the Read connected to this node, else on the selected Read nodes")
    node.addKnob(run)
    node.addKnob(nuke.PyScript_Knob("rushes_cancel", "Cancel", CANCEL))
    node.addKnob(nuke.Text_Knob(STATUS, "status", "idle"))
    if advanced:
        node.addKnob(nuke.Tab_Knob("rushes_advanced", "advanced"))
        for param in advanced:
            node.addKnob(param_knob(param))
    node["knobChanged"].setValue(KNOB_CHANGED)
    update_enabled(node)
    return node


def schema(node: Any) -> Dict[str, Any]:
    knob = node.knob(SCHEMA)
    if knob is None or not knob.value():
        raise PluginError(f"rushes: {node.name()} is not a rushes node")
    return json.loads(knob.value())


def values(node: Any) -> Dict[str, Any]:
    """The parameter values the node's knobs hold, typed as the schema says."""
    out: Dict[str, Any] = {}
    for param in schema(node)["params"]:
        knob = node.knob(PREFIX + param["name"])
        if knob is None:
            continue
        value = knob.value()
        kind = param["type"]
        if param.get("choices"):
            choices = {str(c): c for c in param["choices"]}
            out[param["name"]] = choices.get(str(value), value)
        elif kind == "bool":
            out[param["name"]] = bool(value)
        elif kind == "int":
            out[param["name"]] = int(value)
        elif kind == "float":
            out[param["name"]] = float(value)
        else:  # a path knob as Nuke would use it: its expressions evaluated
            out[param["name"]] = evaluated(knob)
    return out


def update_enabled(node: Any) -> None:
    current = values(node)
    for param in schema(node)["params"]:
        knob = node.knob(PREFIX + param["name"])
        if knob is not None and param.get("enabled_if"):
            knob.setEnabled(params.holds(param["enabled_if"], current))


def knob_changed(node: Any, knob: Any) -> None:
    """The node's knobChanged script: keep `enabled_if` greying current."""
    if knob is not None and knob.name().startswith(PREFIX):
        update_enabled(node)


def set_status(node_name: str, text: str, job: Optional[str] = None) -> None:
    """Main thread: show one line on the node (a node deleted meanwhile is left alone)."""
    node = nuke.toNode(node_name)
    if node is None or node.knob(STATUS) is None:
        return
    node[STATUS].setValue(text)
    if job is not None:
        node[JOB].setValue(job)

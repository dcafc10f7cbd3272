"""Blender operators generated from the worker's operator list: rushes `a.b` is `bpy.ops.rushes.a_b`.

Until a worker has been reached the list is the one cached from the last worker seen, else the
built-in operators' list shipped beside this file (builtin_operators.json: the worker's /v1/ops
answer for rushes' own operators), so a fresh install offers every built-in operator at once;
the worker's own list replaces it on Connect.

Each generated operator takes its input from the editor it runs in (the active strip in the
Sequencer, the clip in the Movie Clip editor, the image in the Image editor) or from names and a
file path given by a script, submits a job, follows it without blocking Blender (a modal
operator's timer drains the job's events; Esc cancels) and draws the result's annotations as
native data (render.py), whatever its kind.
With `wait=True` (scripts, background mode, tests) it runs the job to the end before returning.
"""
from __future__ import annotations

import os
import pathlib
import time
from fractions import Fraction
from typing import Any

import bpy

from . import jobs, link, mapping, render
from .rushes_hostkit import cache, folders, params
from .rushes_hostkit.client import WorkerError

PREFIX = "RUSHES_OT_gen_"
SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "builtin_operators.json")
_generated: list[type] = []
_described: list[dict[str, Any]] = []
_source = ""  # where the operators offered now came from: "shipped", "cached" or "worker"

# how results show in Blender, offered by every operator that reads a strip (not core parameters):
# they say how an annotation type is drawn (render.py), whatever the result's kind
SHOW: dict[str, tuple[str, str]] = {
    "split": ("Split strip at markers", "Also cut the strip at each marker the result makes (Blender's soft "
              "split): one strip per shot for detected cuts"),
    "range_markers": ("Ranges as markers", "Mark each range the result makes (speech, a character's "
                      "appearances) with an in and an out marker instead of a colour strip"),
}
STRIP_INPUTS = {"movie", "sequence", "audio"}


def addon_prefs(context: Any) -> Any:
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon else None


def _identifier(name: str) -> str:
    return name.replace(".", "_").replace("-", "_").lower()


def _label(param: dict[str, Any]) -> str:
    label = param.get("label") or param["name"].replace("_", " ").capitalize()
    unit = param.get("unit")
    return f"{label} ({unit})" if unit and unit not in label else label


def param_property(param: dict[str, Any]) -> Any:
    """A bpy property for one parameter of the operator description (type, default, range, choices)."""
    kw: dict[str, Any] = {"name": _label(param), "description": param.get("help") or ""}
    default = param.get("default")
    kind = param.get("type")
    if param.get("choices"):
        items = [(str(c), str(c), "") for c in param["choices"]]
        return bpy.props.EnumProperty(items=items, default=str(default if default is not None else param["choices"][0]),
                                      **kw)
    if kind == "bool":
        return bpy.props.BoolProperty(default=bool(default), **kw)
    if kind in ("int", "float"):
        for key in ("min", "max"):
            if param.get(key) is not None:
                kw[key] = param[key]
        if kind == "int":
            return bpy.props.IntProperty(default=int(default or 0), **kw)
        if param.get("step"):
            kw["step"] = max(1, int(round(float(param["step"]) * 100)))  # Blender counts float steps in 1/100
        return bpy.props.FloatProperty(default=float(default or 0.0), precision=3, **kw)
    subtype = "FILE_PATH" if param.get("widget") == "path" else "NONE"
    return bpy.props.StringProperty(default="" if default is None else str(default), subtype=subtype, **kw)


def param_values(op: Any, params: list[dict[str, Any]]) -> dict[str, Any]:
    """The operator's property values as job parameters (enum strings back to numbers; an empty
    text for a parameter whose default is None means 'not set')."""
    values: dict[str, Any] = {}
    for param in params:
        value = getattr(op, param["name"])
        if param.get("choices"):
            value = next(c for c in param["choices"] if str(c) == value)
        elif param.get("type") == "str" and value == "" and param.get("default") is None:
            continue
        values[param["name"]] = value
    return values


def _enabled(param: dict[str, Any], op: Any) -> bool:
    cond = param.get("enabled_if") or {}
    return params.holds(cond, {cond.get("param"): getattr(op, cond["param"], None)} if cond else {})


# -- inputs ------------------------------------------------------------------------------------

def find_target(op: Any, context: Any, kinds: list[str]) -> render.Target:
    """The strip, clip or image a run reads: named by the operator's properties, else from the editor."""
    scene = context.scene
    if op.strip:
        strip = next((s for s in mapping.strips_of(scene) if s.name == op.strip), None)
        if strip is None:
            raise ValueError(f"no strip named {op.strip!r} in scene {scene.name!r}")
        return render.Target(scene, strip=strip)
    if op.clip:
        clip = bpy.data.movieclips.get(op.clip)
        if clip is None:
            raise ValueError(f"no movie clip named {op.clip!r}")
        return render.Target(scene, clip=clip)
    if op.image:
        image = bpy.data.images.get(op.image)
        if image is None:
            raise ValueError(f"no image named {op.image!r}")
        return render.Target(scene, image=image)
    space = getattr(context, "space_data", None)
    kind = getattr(space, "type", "")
    if kind == "CLIP_EDITOR" and space.clip is not None:
        return render.Target(scene, clip=space.clip)
    if kind == "IMAGE_EDITOR" and space.image is not None:
        return render.Target(scene, image=space.image)
    ed = scene.sequence_editor
    if ed is not None and ed.active_strip is not None and "text" not in kinds:
        return render.Target(scene, strip=ed.active_strip)
    return render.Target(scene)


def script_from_text_strips(context: Any, folder: str, run_name: str) -> tuple[str, list[int], int]:
    """A `CHARACTER: line` script from the selected text strips (in time order), written for
    speech.synthesize; returns its path, each line's frame and the highest channel used."""
    texts = sorted((s for s in mapping.strips_of(context.scene) if s.type == "TEXT" and s.select and s.text.strip()),
                   key=lambda s: s.frame_final_start)
    if not texts:
        raise ValueError("select text strips to voice, or give a script file")
    lines = []
    for strip in texts:
        text = " ".join(strip.text.split())
        lines.append(text if ":" in text.split(" ", 1)[0] else f"VOICE: {text}")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{run_name}.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path, [s.frame_final_start for s in texts], max(s.channel for s in texts)


def output_folder(context: Any, operator: str, media: str) -> str:
    """Where a run writes: the preference's folder (default //rushes beside the blend file, or
    ~/rushes for an unsaved one), then the operator and the input's name (the kit's rule: safe names,
    never a folder of the user's)."""
    prefs = addon_prefs(context)
    root = getattr(prefs, "output_dir", "") or "//rushes"
    if root.startswith("//") and not bpy.data.filepath:
        root = os.path.join(os.path.expanduser("~"), "rushes")
    root = bpy.path.abspath(root)
    stem = os.path.splitext(os.path.basename(media))[0].rstrip("#._") or "input"
    return folders.output_folder(root, operator, stem)


# -- the generated operators' shared behaviour ---------------------------------------------------

class RushesOperatorBase:
    """Behaviour of every generated operator; the subclasses add the description and properties."""

    bl_options = {"REGISTER", "UNDO"}
    rushes_op: dict[str, Any] = {}

    @classmethod
    def poll(cls, context: Any) -> bool:
        return context.scene is not None

    def invoke(self, context: Any, event: Any) -> set[str]:
        return context.window_manager.invoke_props_dialog(self, width=420)

    def draw(self, context: Any) -> None:
        layout = self.layout
        layout.use_property_split = True
        params = self.rushes_op.get("params", [])
        for param in params:
            if not param.get("advanced"):
                row = layout.row()
                row.active = _enabled(param, self)
                row.prop(self, param["name"])
        if STRIP_INPUTS & {i["kind"] for i in self.rushes_op.get("inputs", [])}:
            box = layout.box()
            box.label(text="In Blender")
            for name in SHOW:
                box.prop(self, name)
        advanced = [p for p in params if p.get("advanced")]
        if advanced:
            box = layout.box()
            box.label(text="Advanced")
            for param in advanced:
                row = box.row()
                row.active = _enabled(param, self)
                row.prop(self, param["name"])

    def execute(self, context: Any) -> set[str]:
        desc = self.rushes_op
        name = desc["name"]
        try:
            job = self._submit(context)
        except (ValueError, WorkerError, OSError) as exc:
            self.report({"ERROR"}, f"rushes {name}: {exc}")
            return {"CANCELLED"}
        if self.wait or bpy.app.background or context.window is None:
            job.wait()
            return self._finished(context, job)
        self._job = job
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 100)
        return {"RUNNING_MODAL"}

    def modal(self, context: Any, event: Any) -> set[str]:
        job = self._job
        if event.type == "ESC" and event.value == "PRESS":
            job.cancel()
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        finished = job.tick()
        context.window_manager.progress_update(int(job.fraction * 100))
        redraw(context)
        if not finished:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        context.window_manager.progress_end()
        return self._finished(context, job)

    def _finished(self, context: Any, job: jobs.Job) -> set[str]:
        self.report({"ERROR"} if job.error else {"INFO"}, job.summary)
        redraw(context)
        return {"CANCELLED"} if job.error or job.state != "done" else {"FINISHED"}

    def _submit(self, context: Any) -> jobs.Job:
        desc = self.rushes_op
        name = desc["name"]
        kinds = [i["kind"] for i in desc.get("inputs", [])]
        target = find_target(self, context, kinds)
        # the playhead now: where a result with no picture clock (a script's voice lines) goes
        options: dict[str, Any] = {key: getattr(self, key) for key in SHOW} | {"frame": context.scene.frame_current}
        media_spec: dict[str, Any] = {}
        if self.filepath:
            source = bpy.path.abspath(self.filepath)
        elif "text" in kinds:  # speech.synthesize from the selected text strips
            folder = os.path.join(os.path.dirname(output_folder(context, name, "x")), "scripts")
            stamp = bpy.path.clean_name(f"{context.scene.name}-{os.getpid()}-{len(jobs.ACTIVE) + 1}")
            source, frames, channel = script_from_text_strips(context, folder, stamp)
            options.update(caption_frames=frames, channel=channel)
        else:
            source = target.media()
            if not source:
                raise ValueError(f"nothing to read: select a strip, open a clip or an image "
                                 f"({name} reads {', '.join(kinds)})")
        ext = os.path.splitext(source)[1].lower()
        readable = {e for i in desc.get("inputs", []) for e in i.get("extensions", [])}
        if readable and ext not in readable:
            raise ValueError(f"cannot read {os.path.basename(source)!r}: {name} reads "
                             f"{', '.join(kinds)} ({', '.join(sorted(readable))})")
        strip = target.strip
        if (strip is not None and strip.type == "IMAGE" and desc.get("capabilities", {}).get("frame_ranges")
                and "frame_range" in desc.get("media", [])):
            first = mapping.sequence_number(strip.elements[0].filename)
            if first is not None:
                start, end = mapping.strip_source_range(strip, context.scene)
                media_spec["frame_range"] = [first + start, first + min(end, len(strip.elements))]
        if strip is not None and strip.type == "MOVIE" and "audio_stream" in desc.get("media", []):
            media_spec["audio_stream"] = max(0, getattr(strip, "stream_index", 0))
        sounds = {e for i in desc.get("inputs", []) if i["kind"] == "audio" for e in i.get("extensions", [])}
        if ext in sounds and "rate" in desc.get("media", []):
            # a sound file has no frames of its own: count them on the scene's clock, where it plays
            rate = Fraction(context.scene.render.fps) / Fraction(context.scene.render.fps_base).limit_denominator(1001)
            media_spec["rate"] = {"num": rate.numerator, "den": rate.denominator}
        target.options = options
        out = self.out_dir and bpy.path.abspath(self.out_dir) or output_folder(context, name, source)
        spec = {"operator": name, "input": os.path.abspath(source), "out": os.path.abspath(out),
                "params": param_values(self, desc.get("params", []))}
        if media_spec:
            spec["media"] = media_spec
        the_link = link.connect(addon_prefs(context))
        job_id = the_link.client.submit(spec)
        run = f"{time.strftime('%Y%m%d-%H%M%S')}-{job_id}"  # sorts by time: the tag on what the run adds
        label = f"{name} on {target.describe() if target.strip or target.clip or target.image else os.path.basename(source)}"

        def on_result(status_result: dict[str, Any]) -> str:
            return render.apply_result(status_result.get("result") or {}, target, run,
                                       status_result.get("out_dir", out))

        job = jobs.Job(the_link.client, job_id, name, label, on_result)
        jobs.ACTIVE.append(job)
        return job


def redraw(context: Any) -> None:
    wm = context.window_manager
    for window in wm.windows:
        for area in window.screen.areas:
            area.tag_redraw()


def make_operator(desc: dict[str, Any]) -> type:
    """The bpy operator class for one operator description."""
    ident = _identifier(desc["name"])
    annotations: dict[str, Any] = {p["name"]: param_property(p) for p in desc.get("params", [])}
    for key, (label, help_text) in SHOW.items():
        annotations[key] = bpy.props.BoolProperty(name=label, description=help_text, default=False)
    hidden = {"options": {"HIDDEN", "SKIP_SAVE"}}
    annotations.update(
        filepath=bpy.props.StringProperty(name="Input file", subtype="FILE_PATH", description="Read this file "
                                          "instead of the active strip, clip or image", **hidden),
        strip=bpy.props.StringProperty(name="Strip", description="Sequencer strip to read", **hidden),
        clip=bpy.props.StringProperty(name="Movie clip", description="Movie clip to read", **hidden),
        image=bpy.props.StringProperty(name="Image", description="Image to read", **hidden),
        out_dir=bpy.props.StringProperty(name="Output folder", subtype="DIR_PATH", **hidden),
        wait=bpy.props.BoolProperty(name="Wait", description="Run to the end before returning (scripts)", **hidden),
    )
    return type(PREFIX + ident, (RushesOperatorBase, bpy.types.Operator), {
        "bl_idname": f"rushes.{ident}",
        "bl_label": desc.get("label") or desc["name"],
        "bl_description": desc.get("summary", ""),
        "rushes_op": desc,
        "__annotations__": annotations,
    })


def generated() -> list[dict[str, Any]]:
    return list(_described)


def source() -> str:
    """Where the operators offered now came from: "shipped" (the built-in list of this extension),
    "cached" (the last worker's, kept in the user folder), "worker" (this session's worker); "" if none."""
    return _source


def build(descriptions: list[dict[str, Any]], origin: str = "worker") -> None:
    """(Re)register one Blender operator per described rushes operator."""
    global _source
    clear()
    for desc in descriptions:
        cls = make_operator(desc)
        bpy.utils.register_class(cls)
        _generated.append(cls)
        _described.append(desc)
    _source = origin if descriptions else ""


def clear() -> None:
    global _source
    while _generated:
        bpy.utils.unregister_class(_generated.pop())
    _described.clear()
    _source = ""


def cache_path() -> str:
    return os.path.join(bpy.utils.extension_path_user(__package__, create=True), "operators.json")


def load_cached() -> list[dict[str, Any]]:
    return cache.load(cache_path())


def build_at_start() -> None:
    """The operators to offer before any worker is reached: the last worker's list when one was
    cached (it may hold a studio's own operators), else the built-in list shipped with the extension."""
    cached = load_cached()
    if cached:
        build(cached, "cached")
    else:
        build(cache.load(SHIPPED), "shipped")


def refresh(context: Any, start: bool = True) -> int:
    """Ask the worker for its operators, rebuild the Blender operators, remember the list."""
    described = link.connect(addon_prefs(context), start=start).client.describe()
    remember(described)
    return len(described["operators"])


def remember(described: dict[str, Any]) -> None:
    """Build the operators of a worker's description and keep it for the next start."""
    build(described["operators"])
    cache.save(cache_path(), described)  # not kept: the next start offers the shipped list


# -- fixed operators: connect, cancel, remove ------------------------------------------------------

class RUSHES_OT_connect(bpy.types.Operator):
    """Reach rushes (in Blender or the local worker) and load its operators"""

    bl_idname = "rushes.connect"
    bl_label = "Connect to rushes"

    def execute(self, context: Any) -> set[str]:
        try:
            count = refresh(context)
        except (WorkerError, OSError) as exc:
            self.report({"ERROR"}, f"rushes: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"rushes: {count} operators ({link.current().describe()})")
        return {"FINISHED"}


class RUSHES_OT_cancel(bpy.types.Operator):
    """Cancel a running rushes job (all of them when none is named)"""

    bl_idname = "rushes.cancel"
    bl_label = "Cancel rushes job"

    job: bpy.props.StringProperty(name="Job", options={"SKIP_SAVE"})

    def execute(self, context: Any) -> set[str]:
        running = [j for j in jobs.active() if not self.job or j.id == self.job]
        for job in running:
            job.cancel()
        self.report({"INFO"}, f"rushes: cancelling {len(running)} job(s)")
        return {"FINISHED"}


class RUSHES_OT_remove_run(bpy.types.Operator):
    """Remove what a rushes run added (markers, strips, tracks, empties, clips, images), by its tag"""

    bl_idname = "rushes.remove_run"
    bl_label = "Remove rushes results"
    bl_options = {"REGISTER", "UNDO"}

    run: bpy.props.StringProperty(name="Run", description="Run id; LAST (default) or ALL", default="LAST")

    def execute(self, context: Any) -> set[str]:
        runs = mapping.runs_in(bpy.data)
        if not runs:
            self.report({"WARNING"}, "rushes: nothing added by rushes in this file")
            return {"CANCELLED"}
        chosen = runs if self.run == "ALL" else [runs[-1]] if self.run == "LAST" else [self.run]
        if not set(chosen) <= set(runs):
            self.report({"ERROR"}, f"rushes: no run {self.run!r} in this file")
            return {"CANCELLED"}
        removed = sum(mapping.remove_run(bpy.data, run) for run in chosen)
        self.report({"INFO"}, f"rushes: removed {removed} item(s) of {len(chosen)} run(s)")
        return {"FINISHED"}


def _open_url(url: str) -> None:
    """Hand a URL to the system's browser (a test replaces this to see what would open)."""
    bpy.ops.wm.url_open(url=url)


class RUSHES_OT_open_report(bpy.types.Operator):
    """Open the last rushes job's report page (its results drawn over its frames) in the web browser"""

    bl_idname = "rushes.open_report"
    bl_label = "Open report"

    @classmethod
    def poll(cls, context: Any) -> bool:
        return jobs.last_report() is not None

    def execute(self, context: Any) -> set[str]:
        page = jobs.last_report()
        if page is None or not os.path.isfile(page):
            gone = page and (f"rushes: the report page {page} is gone; "
                             f"make it again with `rushes report {os.path.dirname(page)}`")
            self.report({"WARNING"}, gone or "rushes: no report to open: run an operator first")
            return {"CANCELLED"}
        _open_url(pathlib.Path(page).as_uri())
        self.report({"INFO"}, f"rushes: opened {page}")
        return {"FINISHED"}


FIXED = (RUSHES_OT_connect, RUSHES_OT_cancel, RUSHES_OT_remove_run, RUSHES_OT_open_report)

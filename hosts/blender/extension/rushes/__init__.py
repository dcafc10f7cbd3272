"""The rushes extension for Blender: AI operators in the Sequencer, Movie Clip and Image editors.

Pure Python and standard library: the heavy work runs in the rushes core, imported in Blender's
Python when it is available there, otherwise in the local worker (see link.py). The operators
themselves come from the worker's operator list (ops.py), so a studio's own rushes operator
appears here without a change to this extension; before a worker is reached, from the list last
cached, else from the built-in operators' list shipped with the extension.
"""
from __future__ import annotations

from typing import Any

import bpy

from . import jobs, link, ops
from .rushes_hostkit import client as rushes_client


# what the preferences say of the operators offered (ops.source())
ORIGINS = {"shipped": "the built-in ones shipped with this extension (Connect for the worker's)",
           "cached": "those of the worker last reached", "worker": "the worker's"}


class RushesPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    mode: bpy.props.EnumProperty(name="Run jobs", items=link.MODES, default="AUTO")
    python_path: bpy.props.StringProperty(
        name="rushes Python environment", subtype="DIR_PATH",
        description="A virtual environment (or site-packages folder) where rushes is installed, for running "
                    "in Blender; empty: only what Blender's Python already has")
    executable: bpy.props.StringProperty(
        name="rushes executable", subtype="FILE_PATH",
        description="Started as the local worker when none runs (empty: `rushes` on PATH)")
    state_dir: bpy.props.StringProperty(
        name="Worker state folder", subtype="DIR_PATH",
        description="The worker's state folder (empty: RUSHES_STATE or the user's default)")
    output_dir: bpy.props.StringProperty(
        name="Output folder", subtype="DIR_PATH", default="//rushes",
        description="Where runs write (// is the blend file's folder; ~/rushes for an unsaved file)")

    def draw(self, context: Any) -> None:
        layout = self.layout
        layout.use_property_split = True
        for name in ("mode", "python_path", "executable", "state_dir", "output_dir"):
            layout.prop(self, name)
        current = link.current()
        row = layout.row()
        row.label(text=f"Connected: {current.describe()}" if current else "Not connected")
        row.operator("rushes.connect", text="Reconnect" if current else "Connect", icon="LINKED")
        layout.label(text=f"{len(ops.generated())} operators: {ORIGINS.get(ops.source(), 'none yet')}")


def _menu_for(kinds: set[str], with_results: bool = True):
    def draw(self: Any, context: Any) -> None:
        layout = self.layout
        listed = [d for d in ops.generated() if kinds & {i["kind"] for i in d.get("inputs", [])}]
        for desc in listed:
            layout.operator(f"rushes.{ops._identifier(desc['name'])}", text=desc.get("summary", desc["name"])[:60])
        layout.separator()
        # the operators shown may be the shipped or cached list: Connect loads the worker's own
        layout.operator("rushes.connect", text="Reconnect" if link.current() else "Connect", icon="LINKED")
        layout.operator("rushes.cancel", icon="CANCEL")
        if jobs.last_report() is not None:  # after a job: its report page
            layout.operator("rushes.open_report", icon="URL")
        if with_results:
            layout.operator("rushes.remove_run", icon="TRASH")
    return draw


class SEQUENCER_MT_rushes(bpy.types.Menu):
    bl_label = "Rushes"
    draw = _menu_for({"movie", "sequence", "audio", "text"})


class CLIP_MT_rushes(bpy.types.Menu):
    bl_label = "Rushes"
    draw = _menu_for({"movie", "sequence"})


class IMAGE_MT_rushes(bpy.types.Menu):
    bl_label = "Rushes"
    draw = _menu_for({"image", "sequence"})


def _jobs_panel(layout: Any) -> None:
    running = jobs.active()
    if not running:
        done = [j for j in jobs.ACTIVE if j.finished][-3:]
        for job in done:
            layout.label(text=job.summary, icon="ERROR" if job.error else "CHECKMARK")
        if not done:
            layout.label(text="No rushes jobs")
        return
    for job in running:
        row = layout.row(align=True)
        row.progress(factor=job.fraction, text=f"{job.operator}: {job.message}"[:60])
        row.operator("rushes.cancel", text="", icon="CANCEL").job = job.id


class _RushesPanel:
    bl_region_type = "UI"
    bl_category = "Rushes"
    bl_label = "Rushes jobs"

    def draw(self, context: Any) -> None:
        _jobs_panel(self.layout)
        self.layout.operator("rushes.remove_run", icon="TRASH")


class SEQUENCER_PT_rushes(_RushesPanel, bpy.types.Panel):
    bl_space_type = "SEQUENCE_EDITOR"


class CLIP_PT_rushes(_RushesPanel, bpy.types.Panel):
    bl_space_type = "CLIP_EDITOR"


class IMAGE_PT_rushes(_RushesPanel, bpy.types.Panel):
    bl_space_type = "IMAGE_EDITOR"


def _status_bar(self: Any, context: Any) -> None:
    running = jobs.active()
    if running:
        job = running[0]
        more = f" (+{len(running) - 1})" if len(running) > 1 else ""
        self.layout.progress(factor=job.fraction, text=f"rushes {job.operator}{more}: {job.message}"[:60])


def _menu_entry(menu: type):
    def draw(self: Any, context: Any) -> None:
        self.layout.menu(menu.__name__)
    return draw


CLASSES = (RushesPreferences, SEQUENCER_MT_rushes, CLIP_MT_rushes, IMAGE_MT_rushes,
           SEQUENCER_PT_rushes, CLIP_PT_rushes, IMAGE_PT_rushes, *ops.FIXED)
MENUS = (("SEQUENCER_MT_editor_menus", SEQUENCER_MT_rushes), ("CLIP_MT_editor_menus", CLIP_MT_rushes),
         ("IMAGE_MT_editor_menus", IMAGE_MT_rushes))
_hooks: list[tuple[Any, Any]] = []


def _connect_later() -> None:
    """First idle moment after start-up: take the operators of a worker that already runs, without
    starting one or loading rushes into Blender; the first run (or Connect) does that."""
    prefs = ops.addon_prefs(bpy.context)
    client = rushes_client.running_worker(getattr(prefs, "state_dir", "") or None, timeout=0.5)
    if client is not None:
        try:
            ops.remember(client.describe())
        except (rushes_client.WorkerError, OSError):
            pass  # it went away meanwhile: the cached list stays
    return None


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    for parent, menu in MENUS:
        host = getattr(bpy.types, parent, None)
        if host is not None:
            draw = _menu_entry(menu)
            host.append(draw)
            _hooks.append((host, draw))
    bar = getattr(bpy.types, "STATUSBAR_HT_header", None)
    if bar is not None:
        bar.append(_status_bar)
        _hooks.append((bar, _status_bar))
    ops.build_at_start()
    if not bpy.app.background:
        bpy.app.timers.register(_connect_later, first_interval=1.0)


def unregister() -> None:
    for job in jobs.active():
        job.cancel()
    link.disconnect()
    while _hooks:
        host, draw = _hooks.pop()
        host.remove(draw)
    ops.clear()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)

"""The rushes menu (Nuke's menu bar) and toolbar: one entry per operator the worker offers (a
studio's own operators too), plus Open report (the last job's page), Refresh operators and Settings.

Built at start-up from the operators cached in ~/.nuke/rushes_operators.json, or from a worker
already running; start-up never starts a worker. Refresh asks the worker (starting one if need be).
"""
from __future__ import annotations

from typing import Any, Dict, List

import nuke

from . import panel
from .connection import PluginError, save_user_settings, settings

MENU = "rushes"


def _command(op: Dict[str, Any]) -> str:
    return "import rushes_nuke.menus; rushes_nuke.menus.create(%r)" % op["name"]


def _fill(menu: Any, ops: List[Dict[str, Any]]) -> None:
    menu.clearMenu()
    for op in sorted(ops, key=lambda o: o["name"]):
        group, _, leaf = op["name"].partition(".")
        menu.addCommand("%s/%s" % (group, leaf or group), _command(op), tooltip=op.get("summary", ""))
    menu.addSeparator()
    menu.addCommand("Open report", "import rushes_nuke.jobs; rushes_nuke.jobs.open_report()",
                    tooltip="the last job's report page, in the web browser")
    menu.addCommand("Refresh operators", "import rushes_nuke.menus; rushes_nuke.menus.refresh()")
    menu.addCommand("Settings...", "import rushes_nuke.menus; rushes_nuke.menus.configure()")


def _operators(refresh: bool) -> List[Dict[str, Any]]:
    try:
        return panel.operators(refresh=refresh, start=refresh)
    except PluginError:
        if refresh:
            raise
        try:  # nothing cached yet: a worker that already runs, never a new one at start-up
            return panel.operators(refresh=True, start=False)
        except PluginError:
            return []


def install(refresh: bool = False) -> None:
    """Build (or rebuild) the menu and the toolbar entry."""
    ops = _operators(refresh)
    _fill(nuke.menu("Nuke").addMenu(MENU), ops)
    toolbar = nuke.toolbar("Nodes")
    if toolbar is not None:
        _fill(toolbar.addMenu(MENU), ops)


def create(name: str) -> Any:
    try:
        return panel.create(name)
    except PluginError as exc:
        nuke.message(str(exc))
        return None


def refresh() -> None:
    try:
        install(refresh=True)
    except PluginError as exc:
        nuke.message(str(exc))


def configure() -> None:
    """Settings: the rushes executable Nuke starts a worker with when none is running."""
    current = settings()["executable"] or ""
    chosen = nuke.getFilename("rushes executable (starts a worker when none runs)", default=current)
    if chosen:
        path = save_user_settings(executable=chosen)
        nuke.message("rushes: saved in %s" % path)

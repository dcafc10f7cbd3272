"""Runs one action from a Workspace > Scripts entry: finds Resolve, reads the user's settings, prints
each message to Resolve's console, and turns every failure into one line (details in a log file)."""
from __future__ import annotations

import json
import os
import sys
import time
import traceback

from . import actions
from .context import ResolveActionError

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = os.path.join(os.path.dirname(HERE), "rushes_settings.json")
LOG = os.path.join(os.path.dirname(HERE), "rushes_resolve.log")
ACTIONS = ("markers_at_cuts", "subtitles", "scratch_voice", "upscale_clips", "anonymize_clips", "face_markers")


def find_resolve(scope: dict | None = None):
    """The `resolve` object: the one Workspace > Scripts defines, else app/bmd's, else external
    scripting (DaVinciResolveScript, Studio only, with scripting set to Local in Preferences)."""
    scope = scope or {}
    if scope.get("resolve") is not None:
        return scope["resolve"]
    for name in ("app", "bmd"):
        host = scope.get(name)
        if host is not None:
            try:
                found = host.GetResolve() if name == "app" else host.scriptapp("Resolve")
            except Exception:  # an object without the call: try the next way
                found = None
            if found is not None:
                return found
    try:
        import DaVinciResolveScript  # noqa: F401 (only there for external scripting)
        found = DaVinciResolveScript.scriptapp("Resolve")
    except Exception:
        found = None
    if found is None:
        raise ResolveActionError("cannot reach DaVinci Resolve: run this from Workspace > Scripts (scripting from "
                                 "outside Resolve needs Studio and Preferences > System > General > External "
                                 "scripting using: Local)")
    return found


def load_settings(path: str = SETTINGS) -> dict:
    """The settings `rushes hosts install resolve` wrote (rushes executable, output root, parameters per action)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ResolveActionError("cannot read the rushes settings %s (%s)" % (path, exc))
    if not isinstance(data, dict):
        raise ResolveActionError("the rushes settings %s are not a JSON object" % path)
    return data


def say(line: str) -> None:
    print(line if line.startswith("rushes:") else "rushes: " + line)
    sys.stdout.flush()


def run(action: str, scope: dict | None = None, settings_path: str = SETTINGS, log=say):
    """Run `action` with the parameters of its section in the settings; returns its summary, or None
    after printing one line that says what went wrong."""
    try:
        if action not in ACTIONS:
            raise ResolveActionError("no action %r (known: %s)" % (action, ", ".join(ACTIONS)))
        settings = load_settings(settings_path)
        params = dict(settings.get(action) or {})
        resolve = find_resolve(scope)
        return getattr(actions, action)(resolve, settings=settings, log=log, **params)
    except ResolveActionError as exc:
        log("rushes: %s" % exc)
    except Exception as exc:  # never a traceback in the console: one line, the details in the log
        try:
            with open(LOG, "a", encoding="utf-8") as f:
                f.write("%s %s\n%s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), action, traceback.format_exc()))
            where = " (details in %s)" % LOG
        except OSError:
            where = ""
        log("rushes: %s stopped: %s: %s%s" % (action, type(exc).__name__, exc, where))
    return None

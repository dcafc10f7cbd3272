"""Runs one action from a Workspace > Scripts entry: finds Resolve, reads the user's settings, prints
each message to Resolve's console and the rushes panel, and turns every failure into one line (details
in a log file)."""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
import webbrowser
from pathlib import Path

from . import actions
from .rushes_hostkit import client as rushes_client
from .context import ResolveActionError, write_text

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = os.path.join(os.path.dirname(HERE), "rushes_settings.json")
LOG = os.path.join(os.path.dirname(HERE), "rushes_resolve.log")
PANEL_MARK = "rushes_panel.json"  # beside the settings: the Resolve process and worker whose panel was opened
LAST_REPORT = "rushes_last_report.json"  # beside the settings: the last action's report page (Open Report)
MAX_NOTE = 2000  # characters the worker takes in one note
ACTIONS = ("run_operator", "markers_at_cuts", "subtitles", "scratch_voice", "upscale_clips", "anonymize_clips",
           "face_markers")


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


class Panel(object):
    """The rushes panel of the worker running for the settings' state folder (free Resolve gives scripts
    no window): every message line also becomes a note there, and the page opens in the browser the
    first time an action runs in this Resolve session and again when one fails. Without a running
    worker, or with `"open_panel": false` in the settings for the opening, the console has it all."""

    def __init__(self, settings: dict, action: str, settings_path: str, log, open_url=None):
        self.log = log
        self.source = "resolve %s" % action
        self.open_panel = settings.get("open_panel", True) is not False
        self.open_url = open_url or webbrowser.open
        self.mark = os.path.join(os.path.dirname(os.path.abspath(settings_path)), PANEL_MARK)
        self.opened = False
        found = rushes_client.running_worker(settings.get("state_dir"), timeout=1.0)
        # notes are best effort: a short timeout, so a worker that stops answering never holds up an action
        self.client = rushes_client.WorkerClient(found.url, found.token, timeout=2.0, state=found.state) \
            if found else None

    def say(self, line: str, level: str = "info") -> None:
        self.log(line)
        if self.client is None:
            return
        text = line[len("rushes: "):] if line.startswith("rushes: ") else line
        try:
            # one try, no retries (the client's _call would retry a refused connection for 2 s)
            self.client._once("POST", "/v1/notes", {"text": text[:MAX_NOTE], "level": level, "source": self.source})
        except Exception:
            self.client = None  # the worker went away: the console still gets every line

    def show(self, failed: bool = False) -> None:
        """Open the panel: the first time in this Resolve process (for this worker), or after a failure."""
        if self.client is None or not self.open_panel or self.opened:
            return
        seen = {"pid": os.getpid(), "url": self.client.url}
        if not failed:
            try:
                with open(self.mark, encoding="utf-8") as f:
                    if json.load(f) == seen:
                        return
            except (OSError, ValueError):
                pass
        try:
            # a page only this user can read, which forwards to the panel: the token stays out of the
            # browser's command line, which any local user can read
            if not self.open_url(self.client.panel_page()):
                return
        except Exception:  # no browser here: the console has every message
            return
        self.opened = True
        try:
            with open(self.mark, "w", encoding="utf-8") as f:
                json.dump(seen, f)
        except OSError:
            pass


def run(action: str, scope: dict | None = None, settings_path: str = SETTINGS, log=say, open_url=None):
    """Run `action` with the parameters of its section in the settings; returns its summary, or None
    after printing one line that says what went wrong. Each line also goes to the rushes panel of a
    running worker, which `open_url` (default: webbrowser.open) opens (see Panel)."""
    panel = None
    try:
        if action not in ACTIONS:
            raise ResolveActionError("no action %r (known: %s)" % (action, ", ".join(ACTIONS)))
        try:
            settings = load_settings(settings_path)
        except ResolveActionError:  # unreadable settings: the default worker's panel still hears of it
            panel = Panel({}, action, settings_path, log, open_url)
            raise
        panel = Panel(settings, action, settings_path, log, open_url)
        params = dict(settings.get(action) or {})
        resolve = find_resolve(scope)
        panel.show()
        summary = getattr(actions, action)(resolve, settings=settings, log=panel.say, **params)
        if isinstance(summary, dict) and summary.get("reports"):
            _remember_report(settings_path, summary["reports"][-1])
        return summary
    except ResolveActionError as exc:
        failed = "rushes: %s" % exc
    except Exception as exc:  # never a traceback in the console: one line, the details in the log
        try:
            with open(LOG, "a", encoding="utf-8") as f:
                f.write("%s %s\n%s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), action, traceback.format_exc()))
            where = " (details in %s)" % LOG
        except OSError:
            where = ""
        failed = "rushes: %s stopped: %s: %s%s" % (action, type(exc).__name__, exc, where)
    if panel is None:
        log(failed)
    else:
        panel.say(failed, "error")
        panel.show(failed=True)
    return None


def _remember_report(settings_path: str, page: str) -> None:
    """Keep the last action's report page beside the settings, for Open Report (best effort)."""
    mark = os.path.join(os.path.dirname(os.path.abspath(settings_path)), LAST_REPORT)
    try:
        write_text(mark, json.dumps({"page": page}))
    except OSError:
        pass


def open_report(settings_path: str | None = None, log=say, open_url=None):
    """Workspace > Scripts > rushes > Open Report: the last action's report page (kept beside the
    settings, default SETTINGS) in the web browser. Returns the page, or None after one line saying
    why there is none."""
    mark = os.path.join(os.path.dirname(os.path.abspath(settings_path or SETTINGS)), LAST_REPORT)
    try:
        with open(mark, encoding="utf-8") as f:
            page = json.load(f)["page"]
    except (OSError, ValueError, KeyError, TypeError):
        log("rushes: no report to open: run a rushes action first (each one writes its report page)")
        return None
    if not isinstance(page, str) or not os.path.isfile(page):
        log("rushes: the report page %s is gone; make it again with `rushes report %s`"
            % (page, os.path.dirname(str(page))))
        return None
    url = Path(os.path.abspath(page)).as_uri()
    (open_url or webbrowser.open)(url)
    log("rushes: opened %s" % page)
    return page

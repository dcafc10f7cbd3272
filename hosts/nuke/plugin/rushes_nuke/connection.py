"""Finding the rushes worker from inside Nuke: the settings, the worker found or started, and
one-line errors that say how to fix them.

Settings, first found wins: the environment (RUSHES_EXECUTABLE, RUSHES_STATE), the user's
~/.nuke/rushes_settings.json (rushes > Settings), the rushes_settings.json that
`rushes hosts install nuke` put beside this package, then `rushes` on PATH.
"""
from __future__ import annotations

import atexit
import json
import os
import threading
from typing import Any, Dict, List, Optional

from .rushes_hostkit import client

PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTALLED_SETTINGS = os.path.join(PLUGIN_DIR, "rushes_settings.json")
FIX = ("start one with `rushes serve`, or set the rushes executable in rushes > Settings "
       "(or the RUSHES_EXECUTABLE environment variable)")

_lock = threading.Lock()
_started: List[client.WorkerProcess] = []


class PluginError(Exception):
    """Something the user can fix, said in one line (never a traceback in Nuke)."""


def user_settings_path() -> str:
    return os.path.join(os.path.expanduser("~"), ".nuke", "rushes_settings.json")


def _read(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def settings() -> Dict[str, Optional[str]]:
    """The rushes executable and the worker's state folder (None: the defaults)."""
    merged: Dict[str, Optional[str]] = {"executable": None, "state_dir": None}
    for source in (_read(INSTALLED_SETTINGS), _read(user_settings_path())):
        merged.update({k: v for k, v in source.items() if k in merged and v})
    if os.environ.get("RUSHES_EXECUTABLE"):
        merged["executable"] = os.environ["RUSHES_EXECUTABLE"]
    if os.environ.get(client.STATE_ENV):
        merged["state_dir"] = os.environ[client.STATE_ENV]
    return merged


def save_user_settings(**values: Optional[str]) -> str:
    path = user_settings_path()
    data = _read(path)
    data.update(values)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    return path


def connect(start: bool = True) -> client.WorkerClient:
    """The worker for the configured state folder; with `start`, one started from the configured
    rushes executable when none runs (stopped again when Nuke exits)."""
    with _lock:
        s = settings()
        try:
            found, process = client.connect(s["state_dir"], s["executable"], start=start)
        except client.WorkerError as exc:
            message = str(exc).split(" (start one")[0].split(": start one")[0]  # the fix is said below
            raise PluginError(f"rushes: {message}; {FIX}") from None
        if process is not None:
            _started.append(process)
            atexit.register(process.stop)
        return found


def stop_started_workers() -> None:
    """Stop the workers this Nuke session started (their unfinished jobs resume on the next start)."""
    while _started:
        _started.pop().stop()

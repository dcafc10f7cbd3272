"""Reaching the rushes core from Blender: in this process when `import rushes` works, else the local worker.

Either way the extension talks to a worker through the same job client (`rushes_client`, the
standard-library client of the core): in-process, a private worker runs on threads inside
Blender and listens on a loopback port; otherwise the worker of the state folder is used, or
started from the configured `rushes` executable and stopped again when Blender quits.
No torch is imported here: the in-process worker loads it only when a job runs.
"""
from __future__ import annotations

import atexit
import os
import site
import sys
import tempfile
import threading
from typing import Any

from .rushes_hostkit import client as rushes_client
from .rushes_hostkit.client import WorkerClient, WorkerError, WorkerProcess

MODES = (("AUTO", "Automatic", "In Blender when rushes can be imported here, otherwise the local worker"),
         ("IN_PROCESS", "In Blender", "Import rushes into Blender's Python and run jobs on its threads"),
         ("WORKER", "Local worker", "Always use the local worker (started from the rushes executable if none runs)"))


class Link:
    """A job client and how it was reached: `kind` is in-process, worker or started worker."""

    def __init__(self, client: WorkerClient, kind: str, process: WorkerProcess | None = None, server: Any = None):
        self.client = client
        self.kind = kind
        self.process = process
        self.server = server

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
        if self.server is not None:
            self.server.shutdown()
            self.server.worker.stop()
            self.server.server_close()
            self.server.store.close()

    def describe(self) -> str:
        return f"{self.kind} at {self.client.url}"


_link: Link | None = None
_lock = threading.Lock()


def _python_path(path: str) -> str | None:
    """The site-packages folder of `path`: a site-packages folder itself, or a virtual environment."""
    path = os.path.expanduser(path)
    if not os.path.isdir(path):
        return None
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (os.path.join(path, "lib", version, "site-packages"), os.path.join(path, "Lib", "site-packages")):
        if os.path.isdir(candidate):
            return candidate
    return path


def _in_process(python_path: str) -> Link | None:
    """A private worker inside Blender, or None when rushes cannot be imported here."""
    if python_path:
        found = _python_path(python_path)
        if found is None:
            raise WorkerError(f"the rushes Python environment {python_path!r} is not a folder")
        if found not in sys.path:
            site.addsitedir(found)
    try:
        from rushes.jobs.server import make_server
    except ImportError:
        return None
    state = tempfile.mkdtemp(prefix="rushes-blender-")
    server = make_server(port=0, state_dir=state, slots=1)
    threading.Thread(target=server.serve_forever, name="rushes-in-blender", daemon=True).start()
    with open(os.path.join(state, "worker.token"), encoding="utf-8") as f:
        token = f.read().strip()
    return Link(WorkerClient(server.url, token), "in-process", server=server)


def connect(prefs: Any = None, start: bool = True) -> Link:
    """The link, made on first use from the preferences (mode, Python path, executable, state folder)."""
    global _link
    with _lock:
        if _link is not None and (_link.process is None or _link.process.running()):
            return _link
        mode = getattr(prefs, "mode", "AUTO")
        python_path = getattr(prefs, "python_path", "")
        executable = getattr(prefs, "executable", "") or None
        state = getattr(prefs, "state_dir", "") or None
        link = None
        if mode in ("AUTO", "IN_PROCESS"):
            link = _in_process(python_path)
            if link is None and mode == "IN_PROCESS":
                raise WorkerError("rushes cannot be imported in Blender's Python: set the rushes Python "
                                  "environment in the preferences, or use the local worker")
        if link is None:
            client, process = rushes_client.connect(state, executable, start=start)
            link = Link(client, "started worker" if process else "worker", process)
        _link = link
        return link


def current() -> Link | None:
    return _link


def disconnect() -> None:
    """Stop what this Blender started (the in-process worker, a worker process); keep others running."""
    global _link
    with _lock:
        link, _link = _link, None
    if link is not None:
        link.close()


atexit.register(disconnect)

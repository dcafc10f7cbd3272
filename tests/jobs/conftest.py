"""Worker tests' shared pieces: a third-party-style operator that waits at a gate the test opens.

Nothing in the worker tests waits for time to pass: a job that must be caught mid-way is a
`test.gated` job, which writes its frames one by one, reports each, and after frame `hold` waits
until the test opens its gate (a threading.Event in this process, or a file for a worker in
another process). While it waits, the test kills, cancels or times it out.
"""
from __future__ import annotations

from pathlib import Path

import pytest

SAFETY = 60  # seconds: only ever reached when something is broken

GATED_OPS = '''
"""test.gated: writes numbered frames, reporting each, and waits at a gate after frame `hold`."""
import os
import threading
import time

import pluggy

from rushes.operators import Operator, Param
from rushes.results import Frames

hookimpl = pluggy.HookimplMarker("rushes")
_lock = threading.Lock()
_gates = {}
_arrived = {}


def _event(table, name):
    with _lock:
        return table.setdefault(name, threading.Event())


def gate(name):
    """The gate a run with gate=`name` waits at; the test sets it."""
    return _event(_gates, name)


def arrived(name):
    """Set once a run has reached the gate `name` (its frames up to `hold` are written and reported)."""
    return _event(_arrived, name)


class Gated(Operator):
    name = "test.gated"
    summary = "Writes numbered frames; after frame `hold` waits until the test opens its gate"
    inputs = ("text",)
    result = "Frames"
    output_stem = "frames"
    network = True
    resume_params = ("frames",)
    params = (
        Param("frames", int, 4, "Frames", "frames to write", min=1, max=1000),
        Param("hold", int, 1, "Hold after", "frame after which to wait at the gate (0: never)", min=0, max=1000),
        Param("gate", str, "", "Gate", "an absolute path: wait until that file exists; else a gate name"),
        Param("cpu", bool, False, "CPU only", "take no compute device"),
    )

    @classmethod
    def needs_device(cls, params):
        if params["gate"] == "boom":
            raise RuntimeError("needs_device exploded")
        return not params["cpu"]

    def open_input(self, path, params):
        return path

    def outputs(self, media, params, frame_range):
        return [f"f.{n:04d}.txt" for n in range(1, params["frames"] + 1)]

    def run(self, media, params, ctx):
        written, resumed, total = [], [], params["frames"]
        for n in range(1, total + 1):
            name = f"f.{n:04d}.txt"
            if ctx.output.trusted(name):
                resumed.append(n)
            else:
                with ctx.output.write(name) as tmp:
                    tmp.write_text(f"frame {n}\\n")
                written.append(n)
            ctx.report(phase="frames", current=n, total=total, unit="frame", message=f"frame {n}/{total}")
            if n == params["hold"]:
                self.wait(params["gate"], ctx)
        return Frames(source=media, pattern="f.####.txt", first_frame=1, frame_count=total, width=0, height=0,
                      written=written, resumed=resumed)

    @staticmethod
    def wait(name, ctx):
        if os.path.isabs(name):  # a worker in another process: the test creates the file
            arrived(name).set()
            while not os.path.exists(name):
                ctx.check_cancelled()
                time.sleep(0.01)
            return
        arrived(name).set()
        while not gate(name).wait(0.01):
            ctx.check_cancelled()  # a cancel or a time limit stops it here


class GatedOnce(Gated):
    name = "test.gated_once"
    summary = "test.gated without resume: its frames land with its result, or not at all"
    resume_params = None


@hookimpl
def rushes_operators():
    return [Gated, GatedOnce]
'''


@pytest.fixture()
def gated_ops(plugin_package):
    """The `rushes_test_gated` package on sys.path, found through the entry point group; yields its
    module (gates, arrivals). `gated_ops.site` is the folder to put on a subprocess's PYTHONPATH."""
    from rushes.operators import discover

    module = plugin_package("rushes_test_gated", GATED_OPS)
    assert "test.gated" in discover()
    yield module
    for event in list(module._gates.values()):
        event.set()  # no run is left waiting


@pytest.fixture()
def script(tmp_path) -> Path:
    """The text file a test.gated job names as its input (it is not read)."""
    path = tmp_path / "script.txt"
    path.write_text("A: hello\n")
    return path

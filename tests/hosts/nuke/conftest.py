"""The Nuke plug-in's test set-up: the fake `nuke` and the plug-in folder on sys.path, a fresh
script per test, HOME in a temporary folder (~/.nuke is written), and a real worker."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fixtures.worker import serving
HERE = Path(__file__).resolve().parent
FAKE = HERE / "fake"
PLUGIN = HERE.parents[2] / "hosts" / "nuke" / "plugin"
for folder in (FAKE, PLUGIN):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import nuke  # noqa: E402  (the fake)


@pytest.fixture()
def script(tmp_path, monkeypatch):
    """A new Nuke script saved as tmp_path/comp/sh010_comp_v001.nk; HOME is tmp_path/home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("RUSHES_EXECUTABLE", raising=False)
    (tmp_path / "comp").mkdir()
    path = tmp_path / "comp" / "sh010_comp_v001.nk"
    nuke._reset(str(path))
    yield path
    nuke._reset()


@pytest.fixture()
def worker(tmp_path, store, monkeypatch):
    """A real rushes worker (in this process, on a loopback port) that the plug-in finds through
    its state folder (RUSHES_STATE), as it would find `rushes serve`."""
    state = tmp_path / "state"
    monkeypatch.setenv("RUSHES_STATE", str(state))
    with serving(state, allowed_roots=[tmp_path], models=store) as server:
        yield server


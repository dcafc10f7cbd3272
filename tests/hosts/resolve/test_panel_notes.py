"""The rushes panel from Resolve's side: each message line of a menu action is also a note in the panel of
the running worker, and the panel opens once per Resolve session and again when an action fails."""
from __future__ import annotations

import json
import os
import runpy
from pathlib import Path

import pytest

from fake_resolve import DAVINCI, Resolve
from fixtures.worker import serving
from rushes_resolve import menu
from rushes_resolve.rushes_hostkit import client as rushes_client
from test_actions import cut_in, feature, pool_item


@pytest.fixture(scope="module")
def running(tmp_path_factory, store):
    """A real worker running for its own state folder, as `rushes serve` would: (state folder, client)."""
    state = tmp_path_factory.mktemp("panel_state")
    with serving(state, allowed_roots=[tmp_path_factory.getbasetemp()], models=store):
        yield state, rushes_client.WorkerClient.from_state(state)


def notes(client, since: int = 0) -> list:
    return client._call("GET", "/v1/notes?since=%d" % since)["notes"]


def settings_file(tmp_path, **values) -> str:
    path = tmp_path / "rushes_settings.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    return str(path)


def test_messages_become_notes_and_the_panel_opens_once(running, cut_movies, tmp_path, browser_opened, monkeypatch):
    state, client = running
    settings = settings_file(tmp_path, state_dir=str(state), output_root=str(tmp_path / "out"),
                             markers_at_cuts={"color": "Cyan", "method": "fast"})
    resolve, project, timeline = feature()
    cut_in(project, timeline, pool_item(project, cut_movies["23.976"]), 20, 140, 0)
    lines: list = []
    summary = menu.run("markers_at_cuts", {"resolve": resolve}, settings, log=lines.append)
    assert summary is not None and summary["markers"]["added"], lines
    # opened before the action ran (its progress is in the panel), through a page only this user can read:
    # the browser's command line never holds the token
    assert browser_opened == [client.panel_page()] and client.token not in browser_opened[0]
    got = notes(client)
    assert [n["text"] for n in got] == [line[len("rushes: "):] if line.startswith("rushes: ") else line
                                        for line in lines]
    assert any(n["text"].startswith("detect.shots: %d marker(s) added to 'Edit'" % len(summary["markers"]["added"]))
               for n in got)
    assert {(n["level"], n["source"]) for n in got} == {("info", "resolve markers_at_cuts")}
    with open(os.path.join(str(tmp_path), menu.PANEL_MARK), encoding="utf-8") as f:
        assert json.load(f) == {"pid": os.getpid(), "url": client.url}

    # the same Resolve session: the panel is not opened again for an action that works ...
    seen = got[-1]["seq"]
    assert menu.run("markers_at_cuts", {"resolve": resolve}, settings, log=lines.append) is not None
    assert browser_opened == [client.panel_page()] and notes(client, seen)
    # ... but it is for one that fails, with the reason as an error note
    seen = notes(client)[-1]["seq"]
    assert menu.run("subtitles", {"resolve": Resolve()}, settings, log=lines.append) is None
    assert lines[-1] == "rushes: no project is open in DaVinci Resolve"
    assert [(n["level"], n["source"], n["text"]) for n in notes(client, seen)] == \
        [("error", "resolve subtitles", "no project is open in DaVinci Resolve")]
    assert browser_opened == [client.panel_page()] * 2

    # settings that cannot be read still reach the panel of the worker for the default state folder
    broken = tmp_path / "broken" / "rushes_settings.json"
    broken.parent.mkdir()
    broken.write_text("{not json", encoding="utf-8")
    seen = notes(client)[-1]["seq"]
    monkeypatch.setenv("RUSHES_STATE", str(state))
    menu.run("face_markers", {"resolve": Resolve()}, str(broken), log=lines.append)
    assert lines[-1].startswith("rushes: cannot read the rushes settings")
    assert [n["level"] for n in notes(client, seen)] == ["error"] and len(browser_opened) == 3


def test_open_panel_false_and_no_worker(running, tmp_path, browser_opened):
    state, client = running
    lines: list = []
    quiet = settings_file(tmp_path, state_dir=str(state), open_panel=False)
    seen = (notes(client) or [{"seq": 0}])[-1]["seq"]
    assert menu.run("face_markers", {"resolve": Resolve()}, quiet, log=lines.append) is None
    assert browser_opened == [] and [n["text"] for n in notes(client, seen)] == ["no project is open in DaVinci Resolve"]

    # no worker running: the console has the line, nothing is opened, nothing waits
    nobody = settings_file(tmp_path, state_dir=str(tmp_path / "nobody"))
    assert menu.run("face_markers", {"resolve": Resolve()}, nobody, log=lines.append) is None
    assert lines[-1] == "rushes: no project is open in DaVinci Resolve" and browser_opened == []

    # a worker that stops answering mid-action: the line still reaches the console, later ones skip the panel
    panel = menu.Panel({"state_dir": str(state)}, "subtitles", nobody, lines.append)
    assert panel.client is not None
    panel.client = rushes_client.WorkerClient("http://127.0.0.1:9", panel.client.token, timeout=2.0)
    panel.say("rushes: transcribing 1 audio clip(s) of 'Edit'")
    assert lines[-1] == "rushes: transcribing 1 audio clip(s) of 'Edit'" and panel.client is None
    panel.show(failed=True)
    assert browser_opened == []


def test_the_last_line_names_the_report_and_open_report_opens_it(running, cut_movies, tmp_path, browser_opened):
    state, client = running
    settings = settings_file(tmp_path, state_dir=str(state), output_root=str(tmp_path / "out"), open_panel=False,
                             markers_at_cuts={"color": "Cyan", "method": "fast"})
    lines: list = []
    assert menu.open_report(settings, log=lines.append) is None  # no action yet: says so, opens nothing
    assert lines[-1].startswith("rushes: no report to open") and browser_opened == []
    resolve, project, timeline = feature()
    cut_in(project, timeline, pool_item(project, cut_movies["23.976"]), 20, 140, 0)
    summary = menu.run("markers_at_cuts", {"resolve": resolve}, settings, log=lines.append)
    assert summary is not None and len(summary["reports"]) == 1, lines
    page = summary["reports"][0]
    assert page.startswith(str(tmp_path / "out")) and page.endswith(os.sep + "shots.html") and os.path.isfile(page)
    assert lines[-1].startswith("rushes: detect.shots: ") and lines[-1].endswith("; report: %s" % page), lines[-1]
    assert notes(client)[-1]["text"] == lines[-1][len("rushes: "):]  # the panel's last note names it too
    assert browser_opened == []
    assert menu.open_report(settings, log=lines.append) == page
    assert browser_opened == [Path(page).as_uri()] and lines[-1] == "rushes: opened %s" % page
    os.remove(page)
    assert menu.open_report(settings, log=lines.append) is None and len(browser_opened) == 1
    assert lines[-1].startswith("rushes: the report page %s is gone" % page)


def test_the_open_report_entry_opens_the_page_kept_beside_the_settings(tmp_path, browser_opened, monkeypatch, capsys):
    page = tmp_path / "out" / "shots.html"
    page.parent.mkdir()
    page.write_text("<!doctype html><title>shots</title>", encoding="utf-8")
    monkeypatch.setattr(menu, "SETTINGS", settings_file(tmp_path))
    entry = DAVINCI / "scripts" / "rushes" / "Open Report.py"
    runpy.run_path(str(entry))
    assert capsys.readouterr().out.startswith("rushes: no report to open: run a rushes action first")
    menu._remember_report(menu.SETTINGS, str(page))  # what menu.run does after an action with a report
    runpy.run_path(str(entry))
    assert browser_opened == [page.as_uri()] and capsys.readouterr().out == "rushes: opened %s\n" % page

"""The extension's first start: the built-in operators it ships, before any worker; the worker's list after Connect.

The shipped list (hosts/blender/extension/rushes/builtin_operators.json) must be what the core's
built-in operators describe now (checked here without Blender). Then one Blender process runs
scenarios/first_start.py on a fresh user folder with no worker running and no `rushes` to start
one (PATH without it, nothing configured): every built-in operator is bpy.ops.rushes.<name> and
in the menus. A worker with a studio's own operator is then started by hand and Connect replaces
the list with the worker's, which is also what the add-on offers when enabled again.
"""
from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest
import studio_plugin
from shipped_operators import SHIPPED, builtin_list, text

RUSHES = str(Path(sys.executable).with_name("rushes"))
MENUS = {"SEQUENCER_MT_rushes": {"movie", "sequence", "audio", "text"}, "CLIP_MT_rushes": {"movie", "sequence"},
         "IMAGE_MT_rushes": {"image", "sequence"}}


def _ident(name: str) -> str:
    return name.replace(".", "_").replace("-", "_").lower()


def test_the_shipped_list_is_what_the_built_in_operators_describe_now():
    from rushes import builtin

    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert shipped == builtin_list(), (f"{SHIPPED} is stale: rewrite it with "
                                       "`.venv/bin/python tests/hosts/blender/shipped_operators.py`")
    assert SHIPPED.read_text(encoding="utf-8") == text(builtin_list())  # as written, so diffs stay small
    assert [d["name"] for d in shipped["operators"]] == sorted(op.name for op in builtin.rushes_operators())
    assert all(d["params"] and d["inputs"] and d["summary"] for d in shipped["operators"])


def test_the_shipped_list_leaves_out_a_studio_operator(plugin_package):
    plugin_package(studio_plugin.MODULE, studio_plugin.STUDIO)
    from rushes.operators import describe_all

    assert "studio.slate" in [d["name"] for d in describe_all()["operators"]]
    assert "studio.slate" not in [d["name"] for d in builtin_list()["operators"]]
    assert builtin_list()["operators"] == json.loads(SHIPPED.read_text(encoding="utf-8"))["operators"]


def test_the_zip_holds_the_shipped_list(extension_zip):
    with zipfile.ZipFile(extension_zip) as z:
        assert z.read("builtin_operators.json") == SHIPPED.read_bytes()


@pytest.fixture(scope="module")
def observed(blender_python, extension_zip, studio_site, tmp_path_factory, run_scenario):
    tmp = tmp_path_factory.mktemp("blender first start")
    state = tmp / "worker state"
    args = {"zip": str(extension_zip), "movie": str(tmp / "A001_C003.mov"), "rushes": RUSHES,
            "studio_site": str(studio_site)}
    # no rushes on PATH and none beside Blender's Python; no worker in the (empty) state folder
    env = {"PATH": os.pathsep.join(p for p in ("/usr/bin", "/bin") if not os.path.exists(os.path.join(p, "rushes"))),
           "RUSHES_STATE": str(state)}
    data = run_scenario(blender_python, "first_start", args, tmp, env=env)
    data["state"] = state
    return data


def _built_in() -> list[str]:
    return [d["name"] for d in json.loads(SHIPPED.read_text(encoding="utf-8"))["operators"]]


def test_a_fresh_install_without_a_worker_has_every_built_in_operator(observed):
    first = observed["first"]
    assert observed["before_install"] == []  # nothing cached from an earlier start
    assert first["source"] == "shipped"
    assert first["described"] == sorted(_built_in())
    fixed = {"connect", "cancel", "remove_run", "open_report"}
    assert {_ident(n) for n in _built_in()} | fixed == set(first["operators"])


def test_a_fresh_install_lists_each_built_in_operator_in_the_menus_of_what_it_reads(observed):
    menus = observed["first"]["menus"]
    described = {d["name"]: d for d in json.loads(SHIPPED.read_text(encoding="utf-8"))["operators"]}
    for menu, kinds in MENUS.items():
        entries = [idname for idname, _ in menus[menu]]
        expected = [f"rushes.{_ident(n)}" for n, d in described.items() if kinds & {i["kind"] for i in d["inputs"]}]
        assert entries[:len(expected)] == expected, menu
        assert {"rushes.connect", "rushes.cancel"} <= set(entries[len(expected):])
        # every entry is a registered operator
        assert {e.removeprefix("rushes.") for e in entries} <= set(observed["first"]["operators"])
    listed = {e for entries in menus.values() for e, _ in entries}
    assert {f"rushes.{_ident(n)}" for n in _built_in()} <= listed
    assert "rushes.open_report" not in listed  # offered once a job has a report page, not before
    assert [t for e, t in menus["SEQUENCER_MT_rushes"] if e == "rushes.detect_shots"] == \
        [described["detect.shots"]["summary"][:60]]
    assert [t for e, t in menus["SEQUENCER_MT_rushes"] if e == "rushes.connect"] == ["Connect"]


def test_running_without_a_worker_says_why_in_one_line(observed):
    message = observed["run_without_worker"]
    assert "rushes detect.shots:" in message and "no rushes worker running for" in message
    assert str(observed["state"]) in message and "no `rushes` executable on PATH" in message
    assert "rushes serve" in message and "Traceback" not in message and message.strip().count("\n") == 0


def test_connect_replaces_the_list_with_the_workers(observed):
    connected = observed["connected"]
    assert observed["link"] == "worker" and connected["source"] == "worker"
    assert connected["described"] == sorted([*_built_in(), "studio.slate"])
    assert "studio_slate" in connected["operators"]
    assert "rushes.studio_slate" in [e for e, _ in connected["menus"]["SEQUENCER_MT_rushes"]]
    assert "rushes.studio_slate" in [e for e, _ in connected["menus"]["CLIP_MT_rushes"]]
    assert "rushes.studio_slate" not in [e for e, _ in connected["menus"]["IMAGE_MT_rushes"]]
    assert [t for e, t in connected["menus"]["SEQUENCER_MT_rushes"] if e == "rushes.connect"] == ["Reconnect"]


def test_enabled_again_the_workers_list_is_kept_over_the_shipped_one(observed):
    again = observed["enabled_again"]
    assert again["source"] == "cached"
    assert again["operators"] == observed["connected"]["operators"]
    cached = json.loads(Path(observed["cache"]).read_text(encoding="utf-8"))
    assert "studio.slate" in [d["name"] for d in cached["operators"]]

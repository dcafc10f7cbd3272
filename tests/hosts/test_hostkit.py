"""The host kit (hosts/kit/rushes_hostkit): one copy of what every host shares, standard library only,
held by each host package as a link in the source tree and as a real copy in what install writes
(those copies are compared with the kit in each host's install test)."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.gated import SAFETY, gated_ops  # noqa: F401 - a fixture the tests here use
from fixtures.hostkit import KIT, kit_files
from fixtures.worker import serving

HOSTS = KIT.parents[1]
PACKAGES = [HOSTS / "blender" / "extension" / "rushes", HOSTS / "nuke" / "plugin" / "rushes_nuke",
            HOSTS / "davinci" / "rushes_resolve"]
if str(KIT.parent) not in sys.path:
    sys.path.insert(0, str(KIT.parent))

from rushes_hostkit import cache, folders, jobs, params, results  # noqa: E402
from rushes_hostkit.client import WorkerClient  # noqa: E402


def test_the_kit_imports_only_the_standard_library_and_itself():
    for name, data in kit_files().items():
        tree = ast.parse(data.decode("utf-8"), feature_version=(3, 8))  # Resolve 18.5's oldest Python
        assert (ast.get_docstring(tree) or "").strip(), f"{name}: no docstring saying what it is for"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue  # relative: the kit itself
            assert roots <= set(sys.stdlib_module_names), f"{name}: imports {roots - set(sys.stdlib_module_names)}"


def test_the_kit_runs_in_a_python_with_no_site_packages(tmp_path):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import rushes_hostkit.jobs, rushes_hostkit.params, "
            "rushes_hostkit.cache, rushes_hostkit.client, rushes_hostkit.results, rushes_hostkit.folders;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rushes', 'numpy', 'torch')))")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(KIT.parent)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.parent.name)
def test_each_host_package_holds_the_kit_as_a_link_and_no_copy_of_its_own(package):
    link = package / "rushes_hostkit"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert link.resolve() == KIT.resolve()
    assert kit_files(link) == kit_files()
    assert not (package / "rushes_client.py").exists()  # the job client is the kit's, nowhere else
    # the core's client is the kit's client: one file
    assert (KIT / "client.py").resolve() == (HOSTS.parent / "core" / "rushes" / "jobs" / "client.py").resolve()


def test_enabled_if_holds_as_the_core_decides_for_every_operator_parameter():
    from rushes.operators import discover

    checked = 0
    for op in discover().values():
        by_name = {p.name: p for p in op.params}
        for p in op.params:
            if p.enabled_if is None:
                continue
            other = by_name[p.enabled_if[0]]
            described = p.to_json()
            values = list(other.choices or ()) or ([True, False] if other.type is bool else [other.default])
            for value in values:
                core = p.enabled({other.name: value})
                assert params.applies(described, {other.name: value}) is core, (op.name, p.name, value)
                # a host widget holding the value as text (Blender's enum properties) gets the same answer
                assert params.applies(described, {other.name: str(value)}) is core, (op.name, p.name, value)
                checked += 1
    assert checked >= 10


def test_enabled_if_conditions_by_hand():
    on = {"param": "mode", "op": "in", "value": ["blur", "pixelate"]}
    assert params.holds(on, {"mode": "blur"}) and not params.holds(on, {"mode": "none"})
    assert params.holds({**on, "op": "not in"}, {"mode": "none"}) and not params.holds({**on, "op": "not in"}, {"mode": "blur"})
    assert params.holds({"param": "n", "op": "!=", "value": 2}, {"n": 3}) and not params.holds({"param": "n", "op": "!=", "value": 2}, {"n": "2"})
    assert params.holds(None, {}) and params.holds({"param": "n", "op": "~", "value": 1}, {"n": 2})  # unknown: shown


def test_the_operator_cache_round_trip_and_what_it_does_with_a_bad_file(tmp_path):
    path = tmp_path / "user" / "operators.json"
    described = {"schema_version": 1, "operators": [{"name": "studio.breakdown", "params": []}]}
    assert cache.save(str(path), described)
    assert json.loads(path.read_text(encoding="utf-8")) == described
    assert cache.load(str(path)) == described["operators"]
    assert [p.name for p in path.parent.iterdir()] == ["operators.json"]  # nothing left beside it
    for bad in ("{", '{"operators": 3}', '[1]', '{"operators": [1, {"no": "name"}]}', "[" * 100000):
        path.write_text(bad, encoding="utf-8")
        assert cache.load(str(path)) == []
    assert cache.load(str(tmp_path / "missing.json")) == []
    blocked = tmp_path / "file"
    blocked.write_text("mine", encoding="utf-8")
    assert not cache.save(str(blocked / "operators.json"), described)  # its folder is a file: not written
    assert blocked.read_text(encoding="utf-8") == "mine"


def test_following_a_job_to_its_end(tmp_path, store):
    with serving(tmp_path / "state", allowed_roots=[tmp_path], models=store):
        client = WorkerClient.from_state(tmp_path / "state")
        notes = tmp_path / "notes.mov"
        notes.write_text("not a movie", encoding="utf-8")  # passes the worker's checks, fails when it is read
        seen: list = []
        final = jobs.follow(client, client.submit({"operator": "detect.shots", "input": str(notes),
                                                   "out": str(tmp_path / "out")}), progress=seen.append, wait=0.5)
        assert final["state"] == "failed" and "notes.mov" in jobs.reason(final)
        assert seen and seen[-1]["phase"] == "failed" and not jobs.running(seen[-1])
        assert all(jobs.running(e) for e in seen[:-1])
    assert jobs.reason({"state": "cancelled"}) == "cancelled"


@pytest.fixture()
def gated_worker(tmp_path, store, gated_ops):
    """A worker in this process with test.gated, and a submit(out, **params) for a test.gated job on a script."""
    script = tmp_path / "script.txt"
    script.write_text("A: hello\n", encoding="utf-8")
    with serving(tmp_path / "state", allowed_roots=[tmp_path], models=store):
        client = WorkerClient.from_state(tmp_path / "state")

        def submit(out, **params):
            return client.submit({"operator": "test.gated", "input": str(script), "out": str(out),
                                  "params": {"cpu": True, **params}})
        yield client, submit


def test_a_host_cancelling_a_running_job_stops_it_and_gets_its_final_status(tmp_path, gated_worker, gated_ops):
    client, submit = gated_worker
    out = tmp_path / "out"
    job = submit(out, frames=6, hold=2, gate="host cancel")
    seen: list = []
    asked: list = []
    began = time.monotonic()

    def stop() -> bool:  # the user clicks Cancel once the job holds at frame 2
        asked.append(gated_ops.arrived("host cancel").is_set())
        if time.monotonic() - began > SAFETY:
            gated_ops.gate("host cancel").set()  # broken: let the job end (done) rather than hang
        return asked[-1]

    final = jobs.follow(client, job, progress=seen.append, stop=stop, wait=0.2)
    assert final["state"] == "cancelled" and jobs.reason(final) and final.get("result") is None
    assert not gated_ops.gate("host cancel").is_set()  # it stopped while held: the cancel did it
    assert sorted(p.name for p in out.glob("f.*.txt")) == ["f.0001.txt", "f.0002.txt"]
    assert seen[-1]["phase"] == "cancelled" and any(e["phase"] == "frames" for e in seen)  # progress, then the end
    assert asked.count(True) == 1  # never asked again after its yes: one cancel sent
    assert results.report_page(final) is None


def test_the_report_page_and_the_result_files_of_a_done_job(tmp_path, gated_worker):
    client, submit = gated_worker
    out = tmp_path / "out"
    job = submit(out, frames=2, hold=0)
    final = jobs.follow(client, job, wait=0.5)
    assert final["state"] == "done", final
    page = results.report_page(final)
    assert page == str(out / "frames.html") and "<html" in (out / "frames.html").read_text(encoding="utf-8").lower()
    assert page == client._call("GET", f"/v1/jobs/{job}/report")["page"]  # the page the worker serves
    assert results.report_page(final["result"]) == page  # a job's result alone names it too
    assert results.first(final, "html") == "frames.html" and results.first(final, "srt") is None
    assert results.first(final["result"]["result"], "json") == "frames.json"
    assert results.media_path(final["result"]["out_dir"], results.first(final, "html")) == page
    elsewhere = str(tmp_path / "elsewhere.mov")
    assert results.media_path(final["result"]["out_dir"], elsewhere) == elsewhere
    (out / "frames.html").unlink()
    assert results.report_page(final) is None  # a page removed: nothing to open
    assert results.report_page({"state": "running"}) is None and results.report_page(None) is None


def test_output_folder_names_are_safe_on_every_os():
    assert folders.safe_part("detect.shots") == "detect.shots"
    assert folders.safe_part("Ep 101: the \"pilot\" <v2>/cut?") == "Ep_101_the_pilot_v2_cut"
    assert folders.safe_part("Épisode_été") == "Épisode_été"  # letters of any script kept
    assert folders.safe_part("..") == folders.safe_part("") == folders.safe_part("***") == "untitled"
    devices = [folders.safe_part(n) for n in ("CON", "nul.txt", "Com1", "console")]
    assert devices == ["_CON", "_nul.txt", "_Com1", "console"]
    assert len(folders.safe_part("x" * 500)) == folders.MAX_PART
    assert folders.output_folder("/shows", "Ep 101", "Edit/v2", "detect.shots") == \
        os.path.join("/shows", "Ep_101", "Edit_v2", "detect.shots")


def test_output_folder_never_lands_on_a_folder_of_the_users(tmp_path, gated_worker):
    root = str(tmp_path / "renders")
    first = folders.output_folder(root, "detect.shots", "take1")
    assert first == os.path.join(root, "detect.shots", "take1") and not os.path.exists(first)
    mine = Path(first)
    mine.mkdir(parents=True)
    assert folders.output_folder(root, "detect.shots", "take1") == first  # empty: free
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    assert folders.output_folder(root, "detect.shots", "take1") == first + "_2"  # the user's: the next one
    # a folder a real run wrote is rushes' (a rerun resumes there), also one holding such folders
    client, submit = gated_worker
    second = first + "_2"
    Path(second).mkdir()
    (Path(second) / "sub").mkdir()
    done = client.wait(submit(Path(second) / "sub" / "run", frames=1, hold=0), poll=0.5, timeout=SAFETY)
    assert done["state"] == "done", done
    assert folders.output_folder(root, "detect.shots", "take1") == first + "_2"
    assert folders.is_ours(str(Path(second) / "sub" / "run")) and not folders.is_ours(first)
    (tmp_path / "renders" / "a file").write_text("x", encoding="utf-8")
    assert folders.output_folder(root, "a file") == os.path.join(root, "a_file")
    (tmp_path / "renders" / "a_file").write_text("x", encoding="utf-8")
    assert folders.output_folder(root, "a file") == os.path.join(root, "a_file_2")  # a file there: never over it

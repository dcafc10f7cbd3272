"""`rushes report OUT_DIR` and the report's files in an output folder: made again from results already
written (pictures that are there kept), an index of every run, versioned with their result set, never
over a file rushes did not write, and one line with exit 2 for a folder with no results or a damaged one."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import rushes
from fixtures.files import state
from rushes import cli

SAFETY = 120


def rushes_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rushes.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=SAFETY)


@pytest.fixture(scope="module")
def shots(tmp_path_factory, edit_clip, store):
    """A detect.shots run's output folder, made once; tests copy it."""
    out = tmp_path_factory.mktemp("shots") / "take"
    rushes.run("detect.shots", edit_clip[0], out, {"method": "fast"}, models=store)
    return out


def copy(folder: Path, to: Path) -> Path:
    import shutil

    shutil.copytree(folder, to, copy_function=shutil.copy2)  # times kept: the manifest's records still hold
    return to


def manifest_files(folder: Path) -> dict:
    from rushes.outputs import Manifest

    return Manifest.read(folder).files


def test_a_run_writes_its_page_pictures_and_sheet_through_its_output_folder_as_one_set(shots):
    names = sorted(p.name for p in shots.iterdir())
    assert names == [".rushes", "shots.csv", "shots.edl", "shots.html", "shots.json", "shots.nk", "shots.otio",
                     "shots_pictures", "shots_sheet.jpg"]
    files = manifest_files(shots)
    pictures = sorted(p.relative_to(shots).as_posix() for p in (shots / "shots_pictures").iterdir())
    assert pictures and set(pictures) <= set(files)  # every picture is recorded, as each result file is
    page_run = files["shots.html"].run
    assert {files[n].run for n in pictures + ["shots.json", "shots_sheet.jpg"]} == {page_run}  # one result set
    assert not list((shots / ".rushes" / "tmp").iterdir())


def test_a_second_run_versions_the_page_with_its_results(shots, tmp_path, store, edit_clip):
    out = copy(shots, tmp_path / "take")
    before = {p: (out / p).read_bytes() for p in ("shots.json", "shots.html")}
    pictures = sorted(p.name for p in (out / "shots_pictures").iterdir())
    rushes.run("detect.shots", edit_clip[0], out, {"method": "fast", "min_shot_length": 80}, models=store)
    kept = out / "versions" / "v001"
    assert {p: (kept / p).read_bytes() for p in before} == before
    assert sorted(p.name for p in (kept / "shots_pictures").iterdir()) == pictures  # moved whole, with its page
    assert sorted(p.name for p in (out / "versions").iterdir()) == ["v001"]
    assert (out / "shots.html").read_bytes() != before["shots.html"]


def test_rushes_report_makes_the_pages_again_keeping_the_pictures_that_are_there(shots, tmp_path, capsys):
    out = copy(shots, tmp_path / "take")
    page = (out / "shots.html").read_text()
    some = sorted((out / "shots_pictures").iterdir())
    gone, kept = some[0], some[1]
    kept_time = kept.stat().st_mtime_ns
    gone.unlink()
    (out / "shots.html").unlink()
    assert cli.main(["report", str(out)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == [f"rushes: {out / 'shots.html'}", f"rushes: 1 page(s); open {out.resolve() / 'index.html'}"]
    assert (out / "shots.html").read_text() == page and gone.exists() and kept.stat().st_mtime_ns == kept_time
    assert not (out / "versions").exists()  # the page joined its own result set: nothing moved
    files = manifest_files(out)
    assert files[gone.relative_to(out).as_posix()].run == files["shots.json"].run
    index = (out / "index.html").read_text()
    assert 'href="shots.html"' in index and "detect.shots" in index and files["index.html"].run != files["shots.json"].run
    # and again, with everything there: the same page, nothing else changes
    before = state(out)
    assert cli.main(["report", str(out)]) == 0
    after = state(out)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed <= {".rushes/manifest.jsonl", "index.html"}


def test_rushes_report_over_several_runs_indexes_them_all(shots, tmp_path, capsys):
    root = tmp_path / "reel"
    copy(shots, root / "a")
    copy(shots, root / "b")
    assert cli.main(["report", str(root), "--frames-per-stretch", "3"]) == 0
    assert capsys.readouterr().out.count("shots.html\n") == 2
    index = (root / "index.html").read_text()
    assert index.count('class="card run"') == 2 and 'href="a/shots.html"' in index and 'href="b/shots.html"' in index
    shots = json.loads((root / "a" / "shots.json").read_text())["shots"]
    html = (root / "a" / "shots.html").read_text()
    assert html.count("<figure>") == sum(len({s["start"], (s["start"] + s["end"] - 1) // 2, s["end"] - 1})
                                         for s in shots)  # first, middle and last frame of each shot


@pytest.mark.parametrize("case", ["missing", "file", "empty", "damaged", "cut short", "annotations"])
def test_rushes_report_refuses_bad_folders_with_one_line(case, shots, tmp_path):
    target = tmp_path / "out"
    if case == "file":
        target.write_text("not a folder")
    elif case == "empty":
        target.mkdir()
        (target / "notes.json").write_text('{"operator": "x", "annotations": {}}')  # not written by a run
    elif case != "missing":
        copy(shots, target)
        text = (target / "shots.json").read_text()
        if case == "damaged":
            text = text.replace('"cuts"', '"cuts', 1)
        elif case == "cut short":
            text = text[: len(text) // 2]
        else:
            doc = json.loads(text)
            doc["annotations"]["sets"][0]["items"][0]["type"] = "Hologram"
            text = json.dumps(doc)
        (target / "shots.json").write_text(text)
    before = state(tmp_path)
    proc = rushes_cli("report", target)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"rushes: error: {target}"), proc.stderr
    says = {"missing": "no such folder", "file": "is not a folder", "empty": "no rushes results here",
            "damaged": "malformed JSON", "cut short": "malformed JSON",
            "annotations": "damaged annotations block"}[case]
    assert says in lines[0]
    assert state(tmp_path) == before  # nothing written, nothing half-written


@pytest.mark.parametrize("theirs", ["shots.html", "shots_sheet.jpg", "shots_pictures/mine.jpg", "shots_pictures"])
def test_a_run_refuses_to_write_over_a_page_rushes_did_not_write(theirs, tmp_path, edit_clip):
    out = tmp_path / "out"
    target = out / theirs
    target.parent.mkdir(parents=True)
    target.write_text("my own notes\n")
    before = state(out)
    proc = rushes_cli("run", "detect.shots", edit_clip[0], "--out", out, "-p", "method=fast", "-q")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert str(target) in proc.stderr
    assert "not written by rushes" in proc.stderr or "not made by rushes" in proc.stderr
    assert state(out) == before


@pytest.mark.parametrize("theirs", ["shots.html", "index.html"])
def test_rushes_report_refuses_to_write_over_a_page_changed_since_or_an_index_of_the_users(theirs, shots, tmp_path):
    out = copy(shots, tmp_path / "take")
    (out / theirs).write_text("edited by hand\n")
    before = state(out)
    proc = rushes_cli("report", out)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and str(out / theirs) in proc.stderr
    assert ("was changed since rushes wrote it" if theirs == "shots.html" else "not written by rushes") in proc.stderr
    assert state(out) == before

"""rushes publish, whole or absent: every plate of a publish lands or none does (a full disk, Ctrl-C
and kill -9 at known points of integrating), a stopped run's staging is cleaned or finished by the
next run, plate names are made safe before they become folders, --verify compares the tree
exactly, bad input is one line with nothing created, and what is not a plate is listed with why."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fixtures import held_run
from rushes.media import write_image
from test_publish import publish, sha


def still(path: Path, size: int = 8, seed: int = 0) -> Path:
    """A real PNG of noise (it does not compress, so its size follows `size`)."""
    pixels = np.random.default_rng(seed).random((size, size, 3), dtype=np.float32)
    write_image(path, pixels, fmt="uint8")
    return path


def entries(root: Path) -> dict[str, str]:
    """Every entry below `root`, rushes' bookkeeping included: a file's sha256, `dir`, `link` or `fifo`."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        found[rel] = ("link" if path.is_symlink() else "dir" if path.is_dir() else
                      "fifo" if path.is_fifo() else sha(path))
    return found


def versions(root: Path) -> dict[str, list[str]]:
    """Plate folder -> its version folders, for every plate folder of a publish root."""
    return {p.name: sorted(v.name for v in p.iterdir()) for p in sorted(root.iterdir())
            if p.is_dir() and p.name not in (".rushes", "versions")}


def staging(root: Path) -> list[Path]:
    tmp = root / ".rushes" / "tmp"
    return sorted(tmp.iterdir()) if tmp.exists() else []


def manifest(version: Path) -> dict:
    return json.loads((version / "manifest.json").read_text())


def two_plates(tmp_path: Path, big: int = 8) -> Path:
    """A folder with two stills, `a` (small) and `b` (`big` pixels a side)."""
    plates = tmp_path / "plates"
    plates.mkdir()
    still(plates / "a.png", seed=1)
    still(plates / "b.png", size=big, seed=2)
    return plates


def test_plate_names_become_safe_folder_names(tmp_path, capsys):
    """Names that would climb out of the root, land in it, in rushes' own folder or among the
    report's versions each get a folder of their own inside the root."""
    plates = tmp_path / "plates"
    plates.mkdir()
    names = {"...png": "__", "..png": "_", ".rushes.png": "_rushes", "versions.png": "_versions",
             "report.json.png": "_report.json", "sh010.png": "sh010"}
    for n, name in enumerate(names):
        still(plates / name, seed=n)
    shows = tmp_path / "shows"
    root = shows / "publish"
    code, out, err = publish(capsys, *[plates / n for n in names], "--to", root)
    assert code == 0, out + err
    assert sorted(p.name for p in shows.iterdir()) == ["publish"]  # nothing beside the root
    assert sorted(p.name for p in root.iterdir()) == sorted([".rushes", "report.json", *names.values()])
    assert sorted(p.name for p in (root / ".rushes").iterdir()) == ["lock", "manifest.jsonl", "tmp"]
    report = json.loads((root / "report.json").read_text())
    assert report["published"] == {folder: str(root / folder / "v001") for folder in names.values()}
    for file, folder in names.items():
        version = root / folder / "v001"
        assert entries(root / folder) == {"v001": "dir", "v001/manifest.json": sha(version / "manifest.json"),
                                          "v001/plate": "dir", f"v001/plate/{file}": sha(plates / file)}
    first_report = (root / "report.json").read_bytes()
    code, out, err = publish(capsys, plates / "versions.png", "--to", root)
    assert code == 0, out + err
    kept = root / "versions" / "v001" / "report.json"
    assert entries(root / "versions") == {"v001": "dir", "v001/report.json": sha(kept)}
    assert kept.read_bytes() == first_report
    assert versions(root)["_versions"] == ["v001", "v002"]


def test_a_write_that_fails_on_the_second_plate_publishes_neither(tmp_path):
    """A file-size limit that the first plate fits and the second does not: nothing is published,
    and the output and report.json say so; without the limit both land as v001."""
    plates = two_plates(tmp_path, big=160)
    still(plates / "c.png", seed=3)
    limit = 16384
    assert (plates / "a.png").stat().st_size < limit < (plates / "b.png").stat().st_size
    root = tmp_path / "publish"
    proc = held_run.command("publish", plates, "--to", root, "-q", limit=limit)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "rushes: report written to " + str(root / "report.json")
    assert "\n1 check(s) failed; nothing was published\n" in proc.stdout and "published a" not in proc.stdout
    rows = {line.split()[3]: line for line in proc.stdout.splitlines() if " Integrate version " in line}
    assert rows["a"].startswith("passed")
    assert rows["b"].startswith("failed") and f"{root}/" in rows["b"], rows
    assert "b.png: cannot write (file too large); nothing of this publish is published" in rows["b"]
    assert rows["c"].startswith("failed") and "Not published: Integrate version failed on b" in rows["c"]
    (claim,) = [line for line in proc.stdout.splitlines() if " Publish versions " in line]
    assert claim.startswith("failed") and "no plate of this publish is published" in claim
    report = json.loads((root / "report.json").read_text())
    assert report["status"] == "failed" and report["published"] == {}
    assert sorted(p.name for p in root.iterdir()) == [".rushes", "report.json"]
    assert staging(root) == []

    proc = held_run.command("publish", plates, "--to", root, "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert versions(root) == {"a": ["v001"], "b": ["v001"], "c": ["v001"]}
    for name in "abc":
        assert sha(root / name / "v001" / "plate" / f"{name}.png") == sha(plates / f"{name}.png")


@pytest.fixture()
def tmpfs(tmp_path):
    """A 256 KiB file system of its own (a real full disk), where mounting works."""
    where = tmp_path / "small disk"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield where
    subprocess.run(["umount", str(where)], check=True)


def test_a_full_disk_on_the_second_plate_publishes_neither(tmp_path, tmpfs, capsys):
    plates = two_plates(tmp_path, big=400)
    assert (plates / "b.png").stat().st_size > 256 * 1024
    root = tmpfs / "publish"
    code, out, err = publish(capsys, plates, "--to", root)
    assert code == 1, out + err
    (row,) = [line for line in out.splitlines() if line.startswith("failed  Integrate version")]
    assert f"{root}/" in row and "b.png: cannot write (disk full)" in row, row
    assert "nothing was published" in out
    assert sorted(p.name for p in root.iterdir()) == [".rushes", "report.json"]  # written once the staging went
    assert json.loads((root / "report.json").read_text())["published"] == {}
    assert staging(root) == []


def marker(tmp_path: Path, name: str = "held") -> Path:
    return tmp_path / f"{name}.json"


def test_kill_9_while_integrating_leaves_no_version_and_the_next_run_cleans_up(tmp_path, capsys):
    plates = tmp_path / "plates"
    plates.mkdir()
    for k in range(4):
        still(plates / f"sh010.{1001 + k:04d}.png", size=32, seed=k)
    root = tmp_path / "publish"
    proc, _ = held_run.start(marker(tmp_path), "integrate:3", ["publish", plates, "--to", root, "-q"])
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert versions(root) == {}  # no version folder appears before it is complete
    (left,) = staging(root)
    assert len([p for p in left.rglob("*.png") if p.is_file()]) == 3  # the copies so far, in staging only

    code, out, err = publish(capsys, plates, "--to", root)
    assert code == 0, out + err
    assert f"note    removed what a stopped publish left in {root / '.rushes' / 'tmp'}" in out
    assert staging(root) == []
    assert versions(root) == {"sh010": ["v001"]}
    version = root / "sh010" / "v001"
    assert manifest(version)["version"] == 1
    for k in range(4):
        name = f"sh010.{1001 + k:04d}.png"
        assert sha(version / "plate" / name) == sha(plates / name)


def test_ctrl_c_while_integrating_leaves_the_earlier_versions_and_no_trace(tmp_path, capsys):
    plates = two_plates(tmp_path)
    root = tmp_path / "publish"
    assert publish(capsys, plates, "--to", root)[0] == 0
    before = entries(root / "a"), entries(root / "b")
    proc, _ = held_run.start(marker(tmp_path), "integrate:1", ["publish", plates, "--to", root, "-q"])
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert (entries(root / "a"), entries(root / "b")) == before
    assert staging(root) == []
    code, out, err = publish(capsys, plates, "--to", root)
    assert code == 0, out + err
    assert versions(root) == {"a": ["v001", "v002"], "b": ["v001", "v002"]}  # v002, not v003


def test_ctrl_c_while_claiming_lands_every_plate_and_says_so(tmp_path):
    plates = two_plates(tmp_path)
    root = tmp_path / "publish"
    held = marker(tmp_path)
    proc, _ = held_run.start(held, "claim:1", ["publish", plates, "--to", root, "-q"])
    proc.send_signal(signal.SIGINT)  # held back until every version is claimed
    held.with_suffix(".release").write_text("")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == (f"rushes: interrupted after publishing a -> {root / 'a' / 'v001'}, "
                                            f"b -> {root / 'b' / 'v001'}; report.json not written")
    assert versions(root) == {"a": ["v001"], "b": ["v001"]}
    assert staging(root) == []


def test_kill_9_while_claiming_is_finished_by_the_next_run(tmp_path, capsys):
    plates = two_plates(tmp_path)
    root = tmp_path / "publish"
    proc, info = held_run.start(marker(tmp_path), "claim:1", ["publish", plates, "--to", root, "-q"])
    proc.kill()
    proc.communicate(timeout=60)
    assert info["done"] == str(root / "a" / "v001")
    assert versions(root) == {"a": ["v001"]}  # b was staged whole and its claim written down

    code, out, err = publish(capsys, plates, "--to", root)
    assert code == 0, out + err
    assert f"note    finished publishing what a stopped run had staged: b -> {root / 'b' / 'v001'}" in out
    assert versions(root) == {"a": ["v001", "v002"], "b": ["v001", "v002"]}
    assert staging(root) == []
    for name in "ab":
        for v in (1, 2):
            version = root / name / f"v{v:03d}"
            assert manifest(version)["version"] == v
            assert sha(version / "plate" / f"{name}.png") == sha(plates / f"{name}.png")
    assert json.loads((root / "report.json").read_text())["recovered"] == {"b": str(root / "b" / "v001")}


def test_the_publisher_that_claims_first_takes_the_number(tmp_path, capsys):
    """Two publishes of one plate at once: the one held while staging finds v001 taken when it
    claims, and takes v002 with a manifest that says so."""
    plates = tmp_path / "plates"
    plates.mkdir()
    still(plates / "a.png")
    root = tmp_path / "publish"
    held = marker(tmp_path)
    proc, _ = held_run.start(held, "integrate:1", ["publish", plates, "--to", root, "-q"])
    code, out, err = publish(capsys, plates, "--to", root)
    assert code == 0 and f"published a -> {root / 'a' / 'v001'}" in out, out + err
    held.with_suffix(".release").write_text("")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and f"published a -> {root / 'a' / 'v002'}" in out, out + err
    assert versions(root) == {"a": ["v001", "v002"]}
    assert manifest(root / "a" / "v002")["version"] == 2
    assert publish(capsys, "--verify", root / "a" / "v002")[0] == 0


def test_a_report_that_cannot_be_written_names_the_file_and_leaves_no_temporary(tmp_path, capsys):
    """The plates land, then rushes' journal of the root cannot grow: one line naming the file,
    saying what was published, exit 2, and no temporary left behind."""
    plates = tmp_path / "plates"
    plates.mkdir()
    still(plates / "a.png")
    root = tmp_path / "publish"
    assert publish(capsys, plates, "--to", root)[0] == 0
    report = (root / "report.json").stat().st_size
    journal = root / ".rushes" / "manifest.jsonl"
    while journal.stat().st_size < report + 4096:  # earlier publishes make the journal longer than a report
        assert publish(capsys, plates, "--to", root)[0] == 0
    limit = report + 2048
    proc = held_run.command("publish", plates, "--to", root, "-q", limit=limit)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    newest = sorted((root / "a").iterdir())[-1]
    assert f"published a -> {newest}" in proc.stdout
    assert proc.stderr == (f"rushes: error: report.json not written: {journal}: cannot write (file too large); "
                           f"published: a -> {newest}\n")
    assert staging(root) == []
    assert publish(capsys, "--verify", newest)[0] == 0


def test_a_publish_root_in_the_plates_own_folder_is_refused(tmp_path, capsys):
    plates = tmp_path / "plates"
    plates.mkdir()
    still(plates / "a.png")
    before = entries(plates)
    for given, root in ((plates, plates), (plates / "a.png", plates), (plates, plates / "publish")):
        code, out, err = publish(capsys, given, "--to", root)
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert err.startswith(f"rushes: error: {root}: ") and f"the plates' own folder {plates}" in err, err
        assert entries(plates) == before
    shows = tmp_path / "shows"  # ROOT/<plate> would be the folder the plate is in
    (shows / "a").mkdir(parents=True)
    still(shows / "a" / "a.png")
    code, out, err = publish(capsys, shows / "a" / "a.png", "--to", shows)
    assert code == 2 and f"{shows / 'a'}: " in err and "the plates' own folder" in err, err
    assert entries(shows) == {"a": "dir", "a/a.png": sha(shows / "a" / "a.png")}


@pytest.fixture()
def published(tmp_path, capsys) -> Path:
    plates = tmp_path / "plates"
    plates.mkdir()
    still(plates / "a.png")
    still(plates / "a2.png", seed=3)
    root = tmp_path / "publish"
    assert publish(capsys, plates / "a.png", "--to", root)[0] == 0
    return root / "a" / "v001"


@pytest.mark.parametrize("change, line", [
    ("file to link", "plate/a.png: a symbolic link, not the published file"),
    ("folder to link", "plate: a symbolic link, not the published folder"),
    ("fifo", "plate/pipe: not in the manifest (a FIFO, added after publishing)"),
    ("bookkeeping", ".rushes/notes.txt: not in the manifest (added after publishing)"),
    ("folder", "extra: not in the manifest (a folder, added after publishing)"),
    ("link added", "plate/more.png: not in the manifest (a symbolic link, added after publishing)"),
])
def test_verify_compares_the_tree_exactly(published, tmp_path, capsys, change, line):
    assert publish(capsys, "--verify", published)[0] == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if change == "file to link":
        shutil.copy(published / "plate" / "a.png", elsewhere / "a.png")
        (published / "plate" / "a.png").unlink()
        (published / "plate" / "a.png").symlink_to(elsewhere / "a.png")
    elif change == "folder to link":
        shutil.copytree(published / "plate", elsewhere / "plate")
        shutil.rmtree(published / "plate")
        (published / "plate").symlink_to(elsewhere / "plate")
    elif change == "fifo":
        os.mkfifo(published / "plate" / "pipe")
    elif change == "bookkeeping":
        (published / ".rushes").mkdir()
        (published / ".rushes" / "notes.txt").write_text("x")
    elif change == "folder":
        (published / "extra").mkdir()
    else:
        (published / "plate" / "more.png").symlink_to(tmp_path / "plates" / "a2.png")
    code, out, err = publish(capsys, "--verify", published)
    assert code == 1, out + err
    assert out.splitlines() == [f"rushes: {line}", f"rushes: {published}: 1 problem(s)"]


@pytest.mark.parametrize("case", ["spec not utf-8", "missing movie", "missing text", "missing sequence",
                                  "same path twice", "folder and its plate"])
def test_bad_input_is_one_line_and_creates_nothing(tmp_path, capsys, case):
    plates = tmp_path / "plates"
    plates.mkdir()
    still(plates / "a.png")
    args, named = [plates], str(plates / "a.png")
    if case == "spec not utf-8":
        spec = tmp_path / "project.toml"
        spec.write_bytes(b'[project]\nname = "caf\xe9"\n')
        args, named = [plates, "--spec", spec], f"{spec}: not UTF-8 text"
    elif case.startswith("missing"):
        name = {"movie": "nope.mp4", "text": "nope.txt", "sequence": "nope.####.png"}[case.split()[1]]
        args, named = [plates / name], f"{plates / name}: does not exist"
    elif case == "same path twice":
        args, named = [plates / "a.png", plates / "a.png"], f"{plates / 'a.png'}: given twice"
    else:
        args, named = [plates, plates / "a.png"], f"{plates / 'a.png'}: given twice"
    before = entries(plates)
    root = tmp_path / "publish"
    code, out, err = publish(capsys, *args, "--to", root)
    assert code == 2 and out == "" and err.count("\n") == 1, out + err
    assert err.startswith(f"rushes: error: {named}"), err
    assert not root.exists()
    assert entries(plates) == before


def test_links_fifos_and_folders_named_like_plates_are_left_out_with_why(tmp_path, capsys):
    plates = tmp_path / "plates"
    plates.mkdir()
    still(plates / "a.png")
    (plates / "gone.png").symlink_to(tmp_path / "nowhere.png")
    (tmp_path / "frames").mkdir()
    still(tmp_path / "frames" / "f.0001.png")
    (plates / "frames.png").symlink_to(tmp_path / "frames")
    os.mkfifo(plates / "pipe.mp4")
    (plates / "more").mkdir()
    still(plates / ".hidden.png")
    (plates / "gone.otio").symlink_to(tmp_path / "nowhere.otio")
    (plates / "notes.txt").write_text("not a plate")
    os.rename(still(tmp_path / "cafe.png"), plates / os.fsdecode(b"caf\xe9.png"))  # Latin-1: unreadable to OIIO
    still(tmp_path / "linked.png", seed=4)
    (plates / "linked.png").symlink_to(tmp_path / "linked.png")  # a link to a picture is a plate
    root = tmp_path / "publish"
    code, out, err = publish(capsys, plates, "--to", root)
    assert code == 0, out + err
    assert versions(root) == {"a": ["v001"], "linked": ["v001"]}
    assert sha(root / "linked" / "v001" / "plate" / "linked.png") == sha(tmp_path / "linked.png")
    why = {".hidden.png": "a hidden file (its name starts with a dot)",
           "caf\ufffd.png": "its name is not UTF-8 text (rename it)",
           "frames.png": "a symbolic link to a folder (folders are read one level deep)",
           "gone.otio": "broken symbolic link: its target does not exist",
           "gone.png": "broken symbolic link: its target does not exist",
           "more": "a folder (folders are read one level deep)",
           "notes.txt": "not a plate (a movie, a picture, an image sequence) nor a sidecar (.otio, .edl, .srt, .vtt)",
           "pipe.mp4": "is not a regular file (a FIFO)"}
    report = json.loads((root / "report.json").read_text())
    assert report["ignored"] == [{"path": str(plates / name), "why": reason} for name, reason in why.items()]
    notes = [line for line in out.splitlines() if line.startswith("note")]
    assert notes == [f"note    left out: {plates / name}: {reason}" for name, reason in why.items()]


def test_verify_of_a_deeply_nested_manifest_is_one_line(tmp_path):
    from rushes.errors import OutputError
    from rushes.publish import verify

    version = tmp_path / "v001"
    version.mkdir()
    (version / "manifest.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(OutputError) as err:
        verify(version)
    assert "nested 100000 levels deep" in err.value.line() and "manifest.json" in err.value.line()

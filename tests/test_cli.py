"""The `rushes` command: exit codes, one-line errors, nothing half-written, final line names the output."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BUILTIN_OPERATORS = ["detect.characters", "detect.faces", "detect.pose", "detect.shots", "gan.upscale",
                     "mattes.people", "speech.synthesize", "speech.transcribe", "speech.vad"]


def rushes(*args, cwd=None):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "rushes.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env)


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_ops_lists_and_describes():
    table = rushes("ops")
    assert table.returncode == 0 and "detect.shots" in table.stdout
    described = json.loads(rushes("ops", "--json").stdout)
    assert described["schema_version"] == 1
    schema = {op["name"]: op for op in described["operators"]}
    assert list(schema) == BUILTIN_OPERATORS
    assert {p["name"] for p in schema["detect.shots"]["params"]} >= {"method", "threshold", "min_shot_length"}
    assert {p["name"] for p in schema["detect.faces"]["params"]} >= {"method", "min_face", "max_gap", "anonymize"}


def test_run_writes_all_formats(edit_clip, tmp_path):
    clip, truth = edit_clip
    out = tmp_path / "out folder ü"
    proc = rushes("run", "detect.shots", clip, "--out", out, "-p", "method=fast")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [".rushes", "shots.csv", "shots.edl", "shots.html", "shots.json",
                                                     "shots.nk", "shots.otio", "shots_pictures", "shots_sheet.jpg"]
    last = proc.stdout.strip().splitlines()[-1]
    assert str(out.resolve()) in last and "shots" in last
    assert last.endswith(f"; see {out.resolve() / 'shots.html'}")  # the report page, to open
    data = json.loads((out / "shots.json").read_text())
    assert data["shots"][-1]["end"] == truth["frames"]


@pytest.mark.parametrize("case,needle", [("empty", "0 bytes"), ("text", "not a readable movie"),
                                         ("corrupt", "corrupt")])
def test_bad_movies(bad_movies, tmp_path, case, needle):
    out = tmp_path / "out"
    proc = rushes("run", "detect.shots", bad_movies[case], "--out", out, "-q")
    assert_one_line_error(proc, needle, bad_movies[case].name)
    assert not out.exists()


def test_usage_errors(edit_clip, tmp_path):
    clip, _ = edit_clip
    out = tmp_path / "out"
    assert_one_line_error(rushes("run", "detect.shot", clip, "--out", out), "unknown operator")
    assert_one_line_error(rushes("run", "detect.shots", clip, "--out", out, "-p", "threshold=2"), "out of range")
    assert_one_line_error(rushes("run", "detect.shots", clip, "--out", out, "-p", "colour=1"), "no parameter")
    assert_one_line_error(rushes("run", "detect.shots", clip, "--out", out, "-p", "threshold"), "KEY=VALUE")
    assert_one_line_error(rushes("run", "detect.shots", tmp_path / "missing.mov", "--out", out), "does not exist")
    assert not out.exists()
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    assert_one_line_error(rushes("run", "detect.shots", clip, "--out", blocker / "sub", "-q"),
                          "cannot create the output folder")
    assert rushes("run", "detect.shots").returncode == 2  # argparse usage


def test_missing_frames_in_a_sequence(tmp_path):
    import numpy as np
    import OpenImageIO as oiio

    for f in (1, 2, 3, 5, 6):
        path = tmp_path / f"plate.{f:04d}.png"
        o = oiio.ImageOutput.create(str(path))
        o.open(str(path), oiio.ImageSpec(32, 18, 3, "uint8"))
        o.write_image(np.full((18, 32, 3), f * 20, np.uint8))
        o.close()
    out = tmp_path / "out"
    proc = rushes("run", "detect.shots", tmp_path / "plate.%04d.png", "--out", out, "-q", "-p", "method=fast")
    assert_one_line_error(proc, "missing", "4", "--on-bad-frame")
    moved = rushes("run", "detect.shots", tmp_path / "plate.%04d.png", "--out", out, "-q", "-p", "allow_missing=1")
    assert_one_line_error(moved, "media description", "--on-bad-frame hold")
    ok = rushes("run", "detect.shots", tmp_path / "plate.%04d.png", "--out", out, "-q",
                "-p", "method=fast", "--on-bad-frame", "hold")
    assert ok.returncode == 0, ok.stderr
    assert json.loads((out / "shots.json").read_text())["first_frame"] == 1


def test_models_list_and_verify(transnet_dir):
    listing = rushes("models", "list")
    assert listing.returncode == 0 and "transnetv2" in listing.stdout and "ready" in listing.stdout
    verify = rushes("models", "verify", "transnetv2")
    assert verify.returncode == 0 and verify.stdout.strip() == "transnetv2: ready"
    path = rushes("models", "path", "transnetv2", "sample.mp4")
    assert Path(path.stdout.strip()) == transnet_dir / "sample.mp4"


def test_rerun_keeps_the_previous_results(edit_clip, tmp_path):
    clip, _ = edit_clip
    out = tmp_path / "out"
    assert rushes("run", "detect.shots", clip, "--out", out, "-q", "-p", "method=fast").returncode == 0
    first = (out / "shots.json").read_text()
    proc = rushes("run", "detect.shots", clip, "--out", out, "-q", "-p", "method=fast", "-p", "min_shot_length=80")
    assert proc.returncode == 0, proc.stderr
    assert (out / "versions" / "v001" / "shots.json").read_text() == first
    assert sorted(p.name for p in (out / "versions" / "v001").iterdir()) == [
        "shots.csv", "shots.edl", "shots.html", "shots.json", "shots.nk", "shots.otio", "shots_pictures",
        "shots_sheet.jpg"]
    assert json.loads((out / "shots.json").read_text())["shots"] != json.loads(first)["shots"]


def test_upscale_bad_movies(tmp_path):
    data = Path(__file__).parent / "data" / "realesrgan"
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "notes.exr"
    text.write_text("not an image\n" * 20)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes((data / "stage.png").read_bytes()[:400])
    out = tmp_path / "out"
    assert_one_line_error(rushes("run", "gan.upscale", empty, "--out", out, "-q"), "0 bytes", "empty.png")
    assert_one_line_error(rushes("run", "gan.upscale", text, "--out", out, "-q"), "notes.exr")
    assert_one_line_error(rushes("run", "gan.upscale", truncated, "--out", out, "-q"), "cut.png")
    assert_one_line_error(rushes("run", "gan.upscale", data / "stage.png", "--out", out, "-p", "model=x8"),
                          "not one of")
    assert_one_line_error(rushes("run", "gan.upscale", data / "stage.png", "--out", out, "-p", "scale=8"),
                          "out of range")
    assert not out.exists()


def test_inputs_that_are_not_regular_files_are_named_for_what_they_are(tmp_path, edit_clip):
    out = tmp_path / "out"
    fifo = tmp_path / "take.mov"
    os.mkfifo(fifo)  # reading it would block forever
    loop = tmp_path / "loop.mov"
    loop.symlink_to(loop)
    broken = tmp_path / "gone.mov"
    broken.symlink_to(tmp_path / "nowhere.mov")
    assert_one_line_error(rushes("run", "detect.shots", fifo, "--out", out, "-q"), "not a regular file", "FIFO")
    assert_one_line_error(rushes("run", "detect.shots", "/dev/zero", "--out", out, "-q"), "not a regular file")
    assert_one_line_error(rushes("run", "detect.shots", loop, "--out", out, "-q"), "symlink loop")
    assert_one_line_error(rushes("run", "detect.shots", broken, "--out", out, "-q"), "broken symbolic link")
    assert_one_line_error(rushes("run", "speech.vad", tmp_path, "--out", out, "-q"), "is a folder")
    assert_one_line_error(rushes("run", "speech.transcribe", tmp_path / "sh010.####.exr", "--out", out, "-q"),
                          "is an image sequence", "speech.transcribe")
    assert_one_line_error(rushes("run", "detect.shots", tmp_path / ("x" * 300 + ".mov"), "--out", out, "-q"),
                          "file name too long")
    assert_one_line_error(rushes("run", "detect.shots", edit_clip[0], "--out", tmp_path / ("y" * 300), "-q"),
                          "file name too long")
    assert not out.exists()


def test_several_inputs_carry_on_past_a_bad_one(tmp_path, edit_clip, bad_movies):
    out = tmp_path / "out"
    proc = rushes("run", "detect.shots", bad_movies["empty"], edit_clip[0], "--out", out, "-q", "-p", "method=fast")
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 2 and "0 bytes" in errors[0] and "1 of 2 inputs failed" in errors[1], proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "edit clip é" / "shots.json").exists() and not (out / "empty take").exists()


def test_version_models_and_pipes(tmp_path, transnet_dir):
    version = rushes("--version")
    assert version.returncode == 0 and version.stdout.startswith("rushes 0.")
    assert_one_line_error(rushes("models", "verify", "nosuch"), "unknown model", "nosuch")
    assert_one_line_error(rushes("models", "path", "transnetv2", "../../../../etc/passwd"), "has no file")
    assert_one_line_error(rushes("models", "path", "transnetv2", "entry.json"), "has no file")
    blocker = tmp_path / "cache file"
    blocker.write_text("not a folder")
    env = dict(os.environ, RUSHES_CACHE=str(blocker))
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "models", "fetch", "silero-vad"], capture_output=True,
                          text=True, env=env)
    assert_one_line_error(proc, "model cache unusable", "RUSHES_CACHE")
    # a reader that went away (`rushes jobs | head`): the pipe's read end is closed before rushes writes
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "ops"], stdout=write_end, stderr=subprocess.PIPE,
                          text=True)
    os.close(write_end)
    assert_one_line_error(proc, "broken pipe")

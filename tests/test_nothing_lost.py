"""Nothing lost: every operator, run as a user would (the `rushes` command), against folders that
hold other people's files, reruns, shared folders, a write that fails half-way, and interrupts.

Each case asserts that every file that was there before is byte-identical and in place, that no
file under a final name is short, and that a rerun ends with the same bytes as a run that was
never disturbed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fixtures import held_run
from rushes.media import color, read_image, write_image

DATA = Path(__file__).parent / "data"


# -- inputs: one small, real input per operator, in a "plates" folder with other files beside it --
def _face_sequence(folder: Path) -> str:
    # the whole astronaut photo at 256 px: her face is about 64 px, which BlazeFace finds
    face = color.scale_rgb8(color.to_display_rgb8(*read_image(DATA / "photos" / "astronaut.png"), "auto"), (256, 256))
    for k in range(6):
        frame = np.full((360, 640, 3), 60, np.uint8)
        frame[60:316, 20 + 14 * k:276 + 14 * k] = face
        write_image(folder / f"sh010.{1001 + k:04d}.png", frame.astype(np.float32) / 255.0, fmt="uint8")
    return str(folder / "sh010.####.png")


def _plate_sequence(folder: Path) -> str:
    camera, _ = read_image(DATA / "photos" / "camera.png")
    for k in range(4):
        write_image(folder / f"sh020.{1001 + k:04d}.png", camera[100 + 4 * k:124 + 4 * k, 200:232], fmt="uint8")
    return str(folder / "sh020.####.png")


def _speech(folder: Path) -> str:
    shutil.copy(DATA / "speech" / "austen-0870.wav", folder / "dialogue take 1.wav")
    return str(folder / "dialogue take 1.wav")


def _script(folder: Path) -> str:
    (folder / "scene 12.txt").write_text("ANNA: We should go.\nBEN: (quietly) Not yet.\n", encoding="utf-8")
    return str(folder / "scene 12.txt")


# operator -> (input maker, parameters, other parameters for a rerun, progress report to hold at)
CASES = {
    "detect.shots": ("movie", ["method=fast"], ["method=fast", "min_shot_length=80"], 3),
    "detect.faces": (_face_sequence, ["anonymize=blur"], ["anonymize=pixelate"], 4),
    "gan.upscale": (_plate_sequence, [], ["scale=2"], 3),
    "mattes.people": (_plate_sequence, ["people=frame"], ["people=frame", "feather=1"], 3),
    "speech.vad": (_speech, [], ["threshold=0.6"], 1),
    "speech.transcribe": (_speech, [], ["max_chars=30"], 2),
    "speech.synthesize": (_script, ["engine=piper"], ["engine=piper", "speed=1.2"], 2),
}
OPS = list(CASES)
RESUMABLE = {"gan.upscale": "frames", "mattes.people": "mattes"}  # operator -> its result file's stem


@pytest.fixture()
def plates(tmp_path, edit_clip):
    """A source folder with the operator's input, an unrelated picture and a user's own JSON."""
    folder = tmp_path / "plates é"
    folder.mkdir()
    write_image(folder / "reference.png", np.full((8, 8, 3), 0.25, np.float32), fmt="uint8")
    (folder / "frames.json").write_text('{"mine": true}\n')
    (folder / "notes.txt").write_text("do not touch\n")

    def make(op: str) -> str:
        maker = CASES[op][0]
        if maker == "movie":
            shutil.copy(edit_clip[0], folder / "A001 take.mp4")
            return str(folder / "A001 take.mp4")
        return maker(folder)

    return folder, make


rushes = held_run.command  # `rushes ARGS` in a child process, optionally under a file-size limit


def run_op(op: str, source: str, out: Path, other: bool = False, **kw) -> subprocess.CompletedProcess:
    params = CASES[op][2] if other else CASES[op][1]
    return rushes("run", op, source, "--out", out, "-q", *[a for p in params for a in ("-p", p)], **kw)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (rushes' own bookkeeping folder aside) -> its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".rushes" not in p.relative_to(folder).parts}


def normalised(data: bytes, out: Path) -> bytes:
    """Result text with the test's own folder taken out of paths (sources and outputs sit at the same
    place below it in every test), and resume bookkeeping dropped."""
    if data[:4] == b"RIFF":  # Piper samples prosody noise, so speech differs run to run: compare its form
        import io
        import wave

        with wave.open(io.BytesIO(data)) as w:
            assert w.getnframes() > 0
            return repr((w.getnchannels(), w.getsampwidth(), w.getframerate())).encode()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    text = text.replace(str(out.parent), "ROOT")
    # a scratch voice's page and .nk show its lines' times too, which Piper's prosody noise moves
    if not text.lstrip().startswith("{") and ("VoiceLines" in text or "voice/combined.wav" in text):
        return re.sub(r"\d+", "0", text).encode()
    try:
        doc = json.loads(text)
    except ValueError:
        return text.encode()
    if isinstance(doc, dict):
        doc.pop("written", None)
        doc.pop("resumed", None)
        voice = doc.get("kind") == "VoiceLines"
        for line in doc.get("lines", []) if voice else []:
            line.pop("start", None)
            line.pop("end", None)
        for item in (i for s in doc.get("annotations", {}).get("sets", []) for i in s["items"]) if voice else []:
            for timing in ("start", "end", "last"):  # the same timings, in milliseconds
                item.pop(timing, None)
    return json.dumps(doc, sort_keys=True).encode()


def same_results(a: Path, b: Path) -> None:
    sa, sb = snapshot(a), snapshot(b)
    top = lambda s: {k: v for k, v in s.items() if not k.startswith("versions/")}  # noqa: E731
    assert sorted(top(sa)) == sorted(top(sb))
    for name in top(sa):
        assert normalised(sa[name], a) == normalised(sb[name], b), name


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def temporaries(out: Path) -> list[Path]:
    tmp = out / ".rushes" / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


@pytest.fixture(scope="module")
def reference(tmp_path_factory, edit_clip):
    """An undisturbed run of each operator (and of its rerun parameters), made once."""
    made: dict[tuple[str, bool], Path] = {}

    def get(op: str, other: bool = False) -> Path:
        if (op, other) not in made:
            root = tmp_path_factory.mktemp("reference")
            folder = root / "plates é"
            folder.mkdir()
            maker = CASES[op][0]
            if maker == "movie":
                shutil.copy(edit_clip[0], folder / "A001 take.mp4")
                source = str(folder / "A001 take.mp4")
            else:
                source = maker(folder)
            out = root / "out"
            proc = run_op(op, source, out, other)
            assert proc.returncode == 0, proc.stderr
            made[(op, other)] = out
        return made[(op, other)]

    return get


# -- the cases ------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", OPS)
def test_out_is_the_source_folder(op, plates):
    folder, make = plates
    source = make(op)
    before = snapshot(folder)
    proc = run_op(op, source, folder)
    after = snapshot(folder)
    assert {k: after.get(k) for k in before} == before  # every file that was there, byte-identical
    if op in ("detect.faces", "gan.upscale"):  # they would write frames named like the source's
        one_line_error(proc, "sh0", "source")
        assert after == before and not (folder / ".rushes").exists() and not (folder / "versions").exists()
    else:
        assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("op", OPS)
def test_foreign_files_with_output_names_are_refused_before_any_work(op, plates, reference, tmp_path):
    folder, make = plates
    source = make(op)
    names = sorted(snapshot(reference(op)))
    out = tmp_path / "out"
    out.mkdir()
    (out / "unrelated.txt").write_text("mine\n")
    taken = [names[0], names[-1]]  # e.g. a frame and the result JSON: made by someone else
    for name in taken:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(b"someone else's file")
    before = snapshot(out)
    line = one_line_error(run_op(op, source, out), "not written by rushes")
    assert any(name.split("/")[-1] in line for name in taken), line
    assert snapshot(out) == before and not (out / ".rushes").exists()


@pytest.mark.parametrize("op", OPS)
def test_rerun_with_other_parameters_keeps_the_earlier_set_whole(op, plates, reference, tmp_path):
    folder, make = plates
    source = make(op)
    out = tmp_path / "out"
    (out / "voice").mkdir(parents=True)
    (out / "voice" / "director notes.txt").write_text("mine\n")  # a user's file inside an output subfolder
    assert run_op(op, source, out).returncode == 0
    first = snapshot(out)
    proc = run_op(op, source, out, other=True)
    assert proc.returncode == 0, proc.stderr
    after = snapshot(out)
    kept = {k[len("versions/v001/"):]: v for k, v in after.items() if k.startswith("versions/v001/")}
    assert kept == {k: v for k, v in first.items() if k != "voice/director notes.txt"}
    assert after["voice/director notes.txt"] == b"mine\n"
    (out / "voice" / "director notes.txt").unlink()
    same_results(out, reference(op, other=True))


def test_two_operators_sharing_a_folder(plates, tmp_path):
    folder, make = plates
    faces = make("detect.faces")
    movie = make("detect.shots")
    out = tmp_path / "shared"
    # detect.faces writes anonymized frames under the plate's names, so an upscale of that
    # sequence into the same folder replaces them: the faces set moves to versions/ whole
    assert run_op("detect.faces", faces, out).returncode == 0
    faces_set = snapshot(out)
    assert run_op("gan.upscale", faces, out).returncode == 0
    after = snapshot(out)
    assert {k[len("versions/v001/"):]: v for k, v in after.items() if k.startswith("versions/v001/")} == faces_set
    upscaled = {k: v for k, v in after.items() if not k.startswith("versions/")}
    page = lambda stem, k: k in (f"{stem}.html", f"{stem}_sheet.jpg") or k.startswith(f"{stem}_pictures/")  # noqa: E731
    assert sorted(k for k in upscaled if not page("frames", k)) == \
        sorted([*(k for k in faces_set if k not in ("faces.json", "faces.nk") and not page("faces", k)),
                "frames.json", "frames.nk"]) and "frames.html" in upscaled
    # an operator with other names leaves both sets side by side
    assert run_op("detect.shots", movie, out).returncode == 0
    both = snapshot(out)
    assert {k: both[k] for k in after} == after and "shots.otio" in both
    # and the upscale, run again, resumes its own frames instead of redoing the faces' files
    proc = rushes("run", "gan.upscale", faces, "--out", out)
    assert proc.returncode == 0 and "6 already there" in proc.stdout, proc.stdout + proc.stderr
    again = snapshot(out)
    results = ("frames.json", "frames.nk", "frames.html")  # the second run's own results, written again
    assert {k: v for k, v in again.items() if k not in results} == {k: v for k, v in both.items()
                                                                     if k not in results}


@pytest.mark.parametrize("op", OPS)
def test_a_write_that_fails_half_way_leaves_nothing_short_and_a_rerun_completes(op, plates, reference, tmp_path):
    folder, make = plates
    source = make(op)
    ref = reference(op)
    sizes = sorted(len(v) for v in snapshot(ref).values())
    limit = max(sizes[-1] // 2, 4096)  # the biggest output cannot be written whole
    out = tmp_path / "out"
    out.mkdir()
    (out / "unrelated.txt").write_text("mine\n")
    proc = run_op(op, source, out, limit=limit)
    one_line_error(proc)
    wanted = snapshot(ref)
    for name, data in snapshot(out).items():  # whatever reached a final name is whole
        if name != "unrelated.txt":
            assert normalised(data, out) == normalised(wanted[name], ref), name
    assert not temporaries(out)
    assert run_op(op, source, out).returncode == 0
    assert (out / "unrelated.txt").read_text() == "mine\n"
    (out / "unrelated.txt").unlink()
    same_results(out, ref)


def held(op: str, source: str, out: Path, hold_at: str, other: bool = False) -> tuple[subprocess.Popen, dict]:
    """Start a run that stops at a known point (tests/fixtures/held_run.py) and wait until it is there."""
    params = CASES[op][2] if other else CASES[op][1]
    return held_run.start(out.parent / f"{out.name}.held", hold_at,
                          ["run", op, source, "--out", out, "-q", *[a for p in params for a in ("-p", p)]])


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("op", OPS)
def test_interrupted_mid_run_then_rerun(op, how, plates, reference, tmp_path):
    folder, make = plates
    source = make(op)
    out = tmp_path / "out"
    assert run_op(op, source, out, other=True).returncode == 0  # an earlier result set is there
    earlier = snapshot(out)
    proc, _ = held(op, source, out, f"report:{CASES[op][3]}")
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    if how == "SIGINT":
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
        assert not temporaries(out)
    else:
        assert proc.returncode == -signal.SIGKILL
    now = snapshot(out)
    if op in RESUMABLE:  # resumable: the earlier set was kept whole in versions/, some frames are done
        assert {k[len("versions/v001/"):]: v for k, v in now.items() if k.startswith("versions/v001/")} == earlier
        assert f"{RESUMABLE[op]}.json" not in now  # stopped mid-way: the result file is not there yet
    else:  # the earlier set is still in place, untouched, and nothing of the stopped run is
        assert now == earlier
    assert run_op(op, source, out).returncode == 0
    assert not temporaries(out)
    assert not any(".part" in k or "~" in k for k in snapshot(out))  # no temporary was ever versioned
    same_results(out, reference(op))


def test_sigterm_ends_the_engine_child_and_kill_9_does_too(plates, tmp_path):
    folder, make = plates
    source = make("speech.synthesize")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        out = tmp_path / f"out {sig.name}"
        proc, info = held("speech.synthesize", source, out, "child")
        child = info["child"]
        assert _running(child)
        proc.send_signal(sig)
        proc.communicate(timeout=60)
        deadline = time.monotonic() + 30
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child), f"engine process {child} outlived rushes after {sig.name}"
        assert not snapshot(out) if out.exists() else True


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_an_interrupt_while_the_result_set_lands_still_lands_it_whole(plates, reference, tmp_path):
    folder, make = plates
    source = make("detect.shots")
    out = tmp_path / "out"
    proc, info = held("detect.shots", source, out, "commit")
    proc.send_signal(signal.SIGINT)  # held back until the set is in place
    (out.parent / f"{out.name}.release").write_text("")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    same_results(out, reference("detect.shots"))


# -- untrusted files that once crashed the process --
DEEP_EDIT = "[" * 100_000 + "]" * 100_000  # OpenTimelineIO's reader recursed once a bracket: a segfault


def test_a_deeply_nested_edit_is_one_line_for_run_publish_and_serve(tmp_path, edit_clip, store):
    """The same .otio, nested past any stack, read by `rushes run` (detect.characters' edit input), by
    `rushes publish` (the plate's edit beside it) and by a job on `rushes serve`: each time one line
    naming the file and its depth, nothing crashes, and the worker serves on."""
    from rushes.jobs.client import WorkerClient

    plates = tmp_path / "plates"
    plates.mkdir()
    edit = plates / "reel 1.otio"
    edit.write_text(DEEP_EDIT)
    shutil.copy(edit_clip[0], plates / "reel 1.mp4")
    before = snapshot(plates)
    says = "JSON nested 100000 levels deep (at most 256); not read"

    one_line_error(rushes("run", "detect.characters", edit, "--out", tmp_path / "characters", "-q"),
                   str(edit), says)
    assert not (tmp_path / "characters").exists()

    spec = tmp_path / "project.toml"
    spec.write_text('[operators."detect.shots"]\nmethod = "fast"\n')
    proc = rushes("publish", plates, "--to", tmp_path / "publish", "--spec", spec, "--quiet")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, (proc.returncode, proc.stdout, proc.stderr)
    (failed,) = [line for line in proc.stdout.splitlines() if line.startswith("failed")]
    assert "Shot list agrees with the edit" in failed and f"{edit}: {says}" in failed
    assert not (tmp_path / "publish" / "reel 1").exists()  # nothing published

    state = tmp_path / "state"
    worker = subprocess.Popen([sys.executable, "-m", "rushes.cli", "serve", "--port", "0", "--state", str(state)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, RUSHES_CACHE=str(store.cache_dir)))
    try:
        assert "listening" in worker.stdout.readline()
        client = WorkerClient.from_state(state)
        job = client.submit({"operator": "detect.characters", "input": str(edit), "out": str(tmp_path / "job")})
        status = client.wait(job, poll=1, timeout=120)
        assert (status["state"], status["error"]) == ("failed", f"{edit}: {says}")
        assert worker.poll() is None and [op["name"] for op in client.operators()]  # still serving
    finally:
        worker.send_signal(signal.SIGINT)
        worker.communicate(timeout=60)
    assert worker.returncode == 0
    assert snapshot(plates) == before  # the edit and its plate untouched


def test_a_journal_line_nested_too_deeply_is_passed_over_not_a_crash(plates, tmp_path):
    folder, make = plates
    out = tmp_path / "out"
    (out / ".rushes").mkdir(parents=True)
    (out / ".rushes" / "manifest.jsonl").write_text("[" * 100000 + "]" * 100000 + "\n")
    proc = run_op("detect.shots", make("detect.shots"), out)
    assert proc.returncode == 0, proc.stderr
    assert (out / "shots.json").exists() and "internal error" not in proc.stderr

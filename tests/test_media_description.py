"""One media description for every operator: rate, start timecode, frame range, OCIO config and
colour space, bad-frame policy and audio stream, given the same way on the command line, in a
job spec and to the Python API."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

import rushes
from rushes.errors import MediaError, ParameterError
from rushes.jobs.spec import JobSpec, validate_spec
from rushes.media import MediaSpec, color, read_image, write_image

DATA = Path(__file__).parent / "data"


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "rushes.cli", *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONIOENCODING="utf-8", **(env or {})))


def one_line(proc, *needles):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def whole_edit(edit_clip, tmp_path_factory, store):
    return rushes.run("detect.shots", edit_clip[0], tmp_path_factory.mktemp("whole") / "o", {"method": "fast"},
                      models=store).result


def test_a_movies_in_out_and_start_timecode_from_the_command_line(edit_clip, whole_edit, tmp_path):
    clip, _ = edit_clip
    proc = cli("run", "detect.shots", clip, "--out", tmp_path / "o", "-q", "-p", "method=fast",
               "--frame-range", "100:300", "--start-timecode", "00:00:00:00")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "o" / "shots.json").read_text())
    assert (doc["first_frame"], doc["frame_count"]) == (100, 200)
    assert doc["shots"][0]["start"] == 100 and doc["shots"][-1]["end"] == 300
    inside = [c for c in whole_edit.cuts if 100 + 6 <= c < 300 - 6]  # away from the range's own edges
    assert inside and set(inside) <= set(doc["cuts"])
    assert doc["media"]["frame_range"] == [100, 300]
    # the same movie said to start at 01:00:00:00 (25 fps): every cut moves by 90000 frames
    shifted = rushes.run("detect.shots", clip, tmp_path / "tc", {"method": "fast"},
                         media={"start_timecode": "01:00:00:00"}).result
    assert shifted.cuts == [c + 90000 for c in whole_edit.cuts] and shifted.start_timecode == "01:00:00:00"
    one_line(cli("run", "detect.shots", clip, "--out", tmp_path / "x", "--frame-range", "400:900"),
             "outside the media", "0:480")
    one_line(cli("run", "detect.shots", clip, "--out", tmp_path / "x", "--frame-range", "300:300"), "empty")
    one_line(cli("run", "speech.vad", clip, "--out", tmp_path / "x", "--frame-range", "0:10"),
             "cannot run a frame range")
    one_line(cli("run", "detect.shots", clip, "--out", tmp_path / "x", "--rate", "fast"), "not a frame rate")
    one_line(cli("run", "detect.shots", clip, "--out", tmp_path / "x", "-p", "fps=25"), "--rate")
    assert not (tmp_path / "x").exists()


def test_the_job_spec_takes_the_same_description(edit_clip, tmp_path):
    clip = str(edit_clip[0])
    spec = JobSpec.from_json({"operator": "detect.faces", "input": clip, "out": str(tmp_path / "o"),
                              "media": {"rate": "24000/1001", "frame_range": [10, 20], "on_bad_frame": "skip"}})
    validate_spec(spec)
    assert spec.media["rate"] == {"num": 24000, "den": 1001} and spec.media["frame_range"] == [10, 20]
    for bad, message in (({"fps": 25}, "unknown field"), ({"rate": "abc"}, "not a frame rate"),
                         ({"frame_range": [5, 5]}, "empty"), ({"on_bad_frame": "ignore"}, "not one of"),
                         ({"audio_stream": True}, "integer"), ({"start_timecode": "1h"}, "not a timecode")):
        with pytest.raises(ParameterError, match=message):
            JobSpec.from_json({"operator": "detect.faces", "input": clip, "out": str(tmp_path / "o"), "media": bad})
    with pytest.raises(ParameterError, match="cannot run a frame range"):
        validate_spec(JobSpec.from_json({"operator": "speech.vad", "input": clip, "out": str(tmp_path / "o"),
                                         "media": {"frame_range": [0, 10]}}))


def _sequence(folder: Path, frames: int = 6, small: bool = False) -> Path:
    # the whole astronaut photo at 256 px: her face is about 64 px, which BlazeFace finds
    face = color.scale_rgb8(color.to_display_rgb8(*read_image(DATA / "photos" / "astronaut.png"), "auto"), (256, 256))
    folder.mkdir()
    for k in range(frames):
        frame = np.full((360, 640, 3), 50 + 10 * k, np.uint8)
        frame[60:316, 20 + 14 * k:276 + 14 * k] = face
        if small:  # for the upscaler: a corner of the frame is enough
            frame = frame[60:108, 20:84]
        write_image(folder / f"sh030.{1001 + k:04d}.png", frame.astype(np.float32) / 255, fmt="uint8")
    return folder / "sh030.####.png"


@pytest.mark.parametrize("op", ["detect.shots", "detect.faces", "gan.upscale"])
def test_a_bad_frame_means_the_same_to_every_operator(op, tmp_path, store):
    pattern = _sequence(tmp_path / "plates", small=op == "gan.upscale")
    (tmp_path / "plates" / "sh030.1003.png").write_bytes(b"")  # empty
    (tmp_path / "plates" / "sh030.1005.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")  # unreadable
    params = {"method": "fast"} if op == "detect.shots" else {}
    with pytest.raises(MediaError, match="1003"):
        rushes.run(op, pattern, tmp_path / "stop", params, models=store)
    assert not (tmp_path / "stop").exists()
    for policy in ("skip", "hold"):
        out = rushes.run(op, pattern, tmp_path / policy, params, models=store, media={"on_bad_frame": policy})
        notes = " | ".join(out.result.notes)
        verb = "skipped" if policy == "skip" else "held"
        assert f"frame 1003 {verb}" in notes and f"frame 1005 {verb}" in notes, notes
        if op != "detect.shots":  # pictures are never written for frames that were not read
            written = {o["path"]: o for o in out.to_json()["outputs"]}
            if op == "gan.upscale":
                assert written["sh030.####.png"]["missing"] == [1003, 1005]
            assert not (tmp_path / policy / "sh030.1003.png").exists()


def test_faces_on_a_clip_in_out(tmp_path, store):
    pattern = _sequence(tmp_path / "plates")
    out = rushes.run("detect.faces", pattern, tmp_path / "o", {"anonymize": "blur"}, models=store,
                     media={"frame_range": [1002, 1005]}).result
    frames = sorted({p.frame for t in out.tracks for p in t.positions})
    assert frames == [1002, 1003, 1004] and (out.first_frame, out.frame_count) == (1002, 3)
    assert sorted(p.name for p in (tmp_path / "o").glob("*.png")) == [f"sh030.{n}.png" for n in (1002, 1003, 1004)]


def test_exr_headers_give_the_sequences_timecode_and_rate(tmp_path, store):
    folder = tmp_path / "scans"
    folder.mkdir()
    for k in range(12):
        spec = oiio.ImageSpec(64, 36, 3, "half")
        spec.attribute("smpte:TimeCode", oiio.TypeDesc("timecode"), (0x01000000 + k, 0))  # 01:00:00:00 + k
        spec.attribute("FramesPerSecond", oiio.TypeDesc("rational2i"), (24000, 1001))
        out = oiio.ImageOutput.create(str(folder / f"A001.{86400 + k:07d}.exr"))
        out.open(str(folder / f"A001.{86400 + k:07d}.exr"), spec)
        out.write_image(np.full((36, 64, 3), 0.05 * (1 + (k >= 6) * 8), np.float32))
        out.close()
    result = rushes.run("detect.shots", folder / "A001.#######.exr", tmp_path / "o", {"method": "fast",
                        "min_shot_length": 2}, models=store).result
    assert result.rate == Fraction(24000, 1001) and result.start_timecode == "01:00:00:00"
    assert result.first_frame == 86400 and result.cuts == [86406]
    given = rushes.run("detect.shots", folder / "A001.#######.exr", tmp_path / "o2", {"method": "fast"},
                       models=store, media={"rate": 25}).result
    assert given.rate == 25  # what the caller says wins over the header


def test_broadcast_wav_time_reference_places_speech_at_its_timecode(tmp_path, store):
    import av

    src = DATA / "speech" / "austen-0870.wav"
    bwf = tmp_path / "A001_T03 scene 4.wav"
    with av.open(str(src)) as inp, av.open(str(bwf), "w", format="wav", options={"write_bext": "1"}) as out:
        rate = inp.streams.audio[0].rate
        out.metadata["time_reference"] = str(rate * 3600)  # recorded at 01:00:00:00
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        for frame in inp.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    plain = rushes.run("speech.vad", src, tmp_path / "plain", models=store).result
    placed = rushes.run("speech.vad", bwf, tmp_path / "bwf", models=store, media={"rate": 25}).result
    assert placed.clock.start_timecode == "01:00:00:00" and placed.clock.first_frame == 90000
    assert placed.regions == plain.regions
    doc = json.loads((tmp_path / "bwf" / "speech.json").read_text())
    assert doc["regions"][0]["start_frame"] == 90000 + round(plain.regions[0][0] * 25)


def test_a_studio_colour_space_from_ocio_and_close_names_for_a_typo(tmp_path, store):
    folder = tmp_path / "plates"
    folder.mkdir()
    camera, _ = read_image(DATA / "photos" / "camera.png")
    linear = color.convert(np.repeat(camera[80:104, 200:232], 3, axis=2), color.SRGB, color.LINEAR_REC709)
    studio = "ocio://studio-config-latest"
    logc = "ARRI LogC3 (EI800)"  # a camera space the studio config has and the built-in one lacks
    with color.using_config(studio):
        plate = color.convert(linear, color.LINEAR_REC709, logc)
    write_image(folder / "sh040.1001.exr", plate.astype(np.float32), fmt="half", channels=["R", "G", "B"])
    proc = cli("run", "gan.upscale", folder / "sh040.1001.exr", "--out", tmp_path / "up", "-q",
               "--colorspace", logc, env={"OCIO": studio})
    assert proc.returncode == 0, proc.stderr
    up, meta = read_image(tmp_path / "up" / "sh040.1001.exr")
    assert meta["format"] == "half" and up.shape == (96, 128, 3)
    assert abs(float(up.mean()) - float(plate.mean())) < 0.03  # came back in LogC, not in another encoding
    doc = json.loads((tmp_path / "up" / "frames.json").read_text())
    assert doc["media"]["ocio_config"] == studio and doc["media"]["colorspace"] == logc
    one_line(cli("run", "gan.upscale", folder / "sh040.1001.exr", "--out", tmp_path / "bad", "--colorspace", logc),
             f"unknown colour space '{logc}' in ocio://default")  # without $OCIO it is not there
    one_line(cli("run", "gan.upscale", folder / "sh040.1001.exr", "--out", tmp_path / "bad", "--colorspace",
                 "ARRI LogC3 (EI80)", env={"OCIO": studio}), "close: 'ARRI LogC3 (EI800)'")
    one_line(cli("run", "gan.upscale", folder / "sh040.1001.exr", "--out", tmp_path / "bad", "--ocio",
                 tmp_path / "no such config.ocio"), "cannot load the OpenColorIO config")
    assert not (tmp_path / "bad").exists()


def test_media_spec_reads_rates_and_ranges_the_way_people_write_them():
    assert MediaSpec.from_json({"rate": "23.976"}).rate == Fraction(24000, 1001)
    assert MediaSpec.from_json({"rate": 29.97}).rate == Fraction(30000, 1001)
    assert MediaSpec.from_json({"rate": {"num": 48, "den": 1}}).rate == 48
    assert MediaSpec.from_json({"frame_range": "1001:1101"}).frame_range == (1001, 1101)
    assert MediaSpec.from_json(None) == MediaSpec()
    with pytest.raises(ParameterError, match="END is the first frame after"):
        MediaSpec.from_json({"frame_range": "1101:1001"})

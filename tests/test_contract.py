"""Contract v1: operators that describe themselves, results that carry their envelope and match
their JSON Schemas, OTIO that links image sequences, and a plug-in that adds a writer."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import rushes
from rushes import schemas
from rushes.interchange import read_result
from rushes.media import read_image, write_image
from rushes.operators import CONDITIONS, INPUT_KINDS, WIDGETS, Operator, Param, describe_all, discover

DATA = Path(__file__).parent / "data"


def test_every_operator_describes_itself_for_a_host():
    described = json.loads(json.dumps(describe_all()))
    assert described["schema_version"] == 1 and described["rushes_version"] == rushes.__version__
    ops = {op["name"]: op for op in described["operators"]}
    assert set(ops) == set(discover())
    for name, op in ops.items():
        cls = discover()[name]
        assert op["inputs"] and all(i["extensions"] == list(INPUT_KINDS[i["kind"]]) for i in op["inputs"])
        assert op["writes"]["results"][0] == f"{cls.output_stem}.json"
        assert set(op["capabilities"]) == {"frame_ranges", "network", "resumable", "cancel"}
        assert set(op["media"]) <= {"rate", "start_timecode", "frame_range", "ocio_config", "colorspace",
                                    "on_bad_frame", "audio_stream"}
        names = {p["name"] for p in op["params"]}
        for p in op["params"]:
            assert p["widget"] in WIDGETS, (name, p)
            assert (p["widget"] == "choice") == bool(p["choices"]), (name, p)
            assert cls.param(p["name"]).coerce(p["default"]) == p["default"]
            if p["enabled_if"]:
                assert p["enabled_if"]["param"] in names - {p["name"]} and p["enabled_if"]["op"] in CONDITIONS
    faces = {p["name"]: p for p in ops["detect.faces"]["params"]}
    assert faces["strength"]["enabled_if"] == {"param": "anonymize", "op": "!=", "value": "none"}
    assert faces["min_face"]["unit"] == "px" and next(p for p in ops["gan.upscale"]["params"] if p["name"] == "working_space")["widget"] == "colorspace"
    assert ops["detect.faces"]["media"] == ["rate", "start_timecode", "frame_range", "ocio_config", "colorspace",
                                            "on_bad_frame"]
    assert ops["speech.transcribe"]["media"] == ["rate", "start_timecode", "audio_stream"]
    assert discover()["detect.faces"].param("strength").enabled({"anonymize": "blur"})
    assert not discover()["detect.faces"].param("strength").enabled({"anonymize": "none"})
    assert ops["gan.upscale"]["capabilities"] == {"frame_ranges": True, "network": True, "resumable": True,
                                                  "cancel": "tile"}
    assert ops["speech.transcribe"]["writes"]["results"] == ["transcript.json", "transcript.srt", "transcript.vtt",
                                                                 "transcript.nk"]


@pytest.mark.parametrize("bad, message", [
    (Param("gain", float, 5.0, "Gain", "", min=0.0, max=1.0), "default does not fit"),
    (Param("gain", float, 0.5, "Gain", "", enabled_if=("nosuch", "==", 1)), "enabled_if"),
    (Param("gain", float, 0.5, "Gain", "", widget="knob"), "unknown widget"),
    (Param("mode", str, "fast", "Mode", "", choices=("slow", "best")), "default does not fit"),
])
def test_a_schema_a_host_cannot_build_is_refused_when_the_class_is_defined(bad, message):
    with pytest.raises(TypeError, match=message):
        type("Broken", (Operator,), {"name": "studio.broken", "summary": "", "inputs": ("movie",),
                                     "result": "Cuts", "output_stem": "broken", "params": (bad,)})


@pytest.fixture(scope="module")
def plate_sequence(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("plate") / "sh 010"
    folder.mkdir()
    camera, _ = read_image(DATA / "photos" / "camera.png")
    for k in range(4):
        write_image(folder / f"sh010.{1001 + k:04d}.png", camera[100 + 4 * k:124 + 4 * k, 200:232], fmt="uint8")
    return str(folder / "sh010.####.png")


def check_envelope(out: Path, stem: str, op: str, params: dict, store) -> dict:
    doc = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    schemas.validate(doc)
    assert doc["operator"] == op and doc["params"] == discover()[op].resolve_params(params)
    for model in doc["models"]:
        assert model["artifact_sha256"] == [a.sha256 for a in store.manifest(model["id"]).artifacts]
    paths = [o["path"] for o in doc["outputs"]]
    assert f"{stem}.json" in paths and all((out / p).exists() for p in paths if "#" not in p)
    doc["added_by_a_newer_rushes"] = {"x": 1}
    assert type(read_result(doc)).__name__ == doc["kind"]  # readers ignore what they do not know
    return doc


def test_results_of_every_kind_carry_the_envelope_and_match_their_schema(tmp_path, edit_clip, plate_sequence,
                                                                         store):
    clip, _ = edit_clip
    doc = check_envelope(rushes.run("detect.shots", clip, tmp_path / "shots", {"method": "fast"}, models=store).out_dir,
                         "shots", "detect.shots", {"method": "fast"}, store)
    assert doc["media"] == {"rate": {"num": 25, "den": 1}, "first_frame": 0, "start_timecode": None,
                            "frame_range": [0, 480], "ocio_config": None, "colorspace": "auto",
                            "on_bad_frame": "stop", "audio_stream": 0} and doc["models"] == []
    (shots,) = doc["annotations"]["sets"]
    assert shots["source"]["path"] == str(clip) and shots["source"]["rate"] == {"num": 25, "den": 1}
    assert [m["frame"] for m in shots["items"]] == doc["cuts"] and {m["type"] for m in shots["items"]} == {"Marker"}

    out = rushes.run("gan.upscale", plate_sequence, tmp_path / "up", models=store).out_dir
    doc = check_envelope(out, "frames", "gan.upscale", {}, store)
    (media,) = doc["annotations"]["sets"][0]["items"]
    assert media == {"type": "Media", "path": doc["pattern"], "role": "plate", "first": 1001, "last": 1004,
                     "colorspace": media["colorspace"]}
    assert {"path": "sh010.####.png", "kind": "image sequence", "frame_range": [1001, 1005]} in doc["outputs"]
    assert [m["id"] for m in doc["models"]] == ["realesrgan"]

    photo = tmp_path / "astronaut.png"
    photo.write_bytes((DATA / "photos" / "astronaut.png").read_bytes())
    out = rushes.run("detect.faces", photo, tmp_path / "faces", {"anonymize": "blur"}, models=store).out_dir
    doc = check_envelope(out, "faces", "detect.faces", {"anonymize": "blur"}, store)
    track = doc["tracks"][0]
    assert track["end_frame"] == track["first_frame"] + len(track["frames"]) == 1
    face, anonymized = doc["annotations"]["sets"][0]["items"]
    assert face["type"] == "Track" and face["boxes"] == [[0, *track["frames"][0]["box"]]]
    assert anonymized["type"] == "Media" and anonymized["role"] == "image" and anonymized["path"].endswith("astronaut.png")
    assert {"path": "astronaut.png", "kind": "image"} in doc["outputs"]

    speech = DATA / "speech" / "austen-0870.wav"
    doc = check_envelope(rushes.run("speech.vad", speech, tmp_path / "vad", models=store).out_dir,
                         "speech", "speech.vad", {}, store)
    assert doc["media"]["rate"] == {"num": 24, "den": 1} and doc["regions"]
    assert [(r["start"], r["end"]) for r in doc["annotations"]["sets"][0]["items"]] == \
        [(r["start_frame"], max(r["end_frame"], r["start_frame"] + 1)) for r in doc["regions"]]
    doc = check_envelope(rushes.run("speech.transcribe", speech, tmp_path / "subs", models=store).out_dir,
                         "transcript", "speech.transcribe", {}, store)
    assert sorted(m["id"] for m in doc["models"]) == ["silero-vad", "whisper-tiny-en"] and doc["subtitles"]
    assert [c["text"] for c in doc["annotations"]["sets"][0]["items"]] == ["\n".join(c["lines"]) for c in doc["subtitles"]]

    script = tmp_path / "sc 12.txt"
    script.write_text("ANNA: We should go.\n")
    doc = check_envelope(rushes.run("speech.synthesize", script, tmp_path / "vo", {"engine": "piper"},
                                    models=store).out_dir, "voice", "speech.synthesize", {"engine": "piper"}, store)
    assert {"path": "voice/line_001_anna.wav", "kind": "audio"} in doc["outputs"]
    sound, line = doc["annotations"]["sets"][0]["items"]
    assert sound["path"] == "voice/combined.wav" and (line["text"], line["speaker"]) == ("We should go.", "ANNA")


def test_otio_of_an_image_sequence_links_its_frames(tmp_path, edit_clip):
    import av
    import opentimelineio as otio

    folder = tmp_path / "plates ü"
    folder.mkdir()
    with av.open(str(edit_clip[0])) as movie:
        for k, frame in enumerate(movie.decode(video=0)):
            if k == 120:
                break
            write_image(folder / f"A001.{1001 + k:04d}.png", frame.to_ndarray(format="rgb24")[::4, ::4]
                        .astype(np.float32) / 255, fmt="uint8")
    out = rushes.run("detect.shots", folder / "A001.####.png", tmp_path / "shots", {"method": "fast"}).out_dir
    timeline = otio.adapters.read_from_file(str(out / "shots.otio"))
    clips = list(timeline.find_clips())
    assert len(clips) >= 2
    ref = clips[0].media_reference
    assert isinstance(ref, otio.schema.ImageSequenceReference)
    assert ref.start_frame == 1001 and ref.frame_zero_padding == 4 and ref.rate == 24  # the sequence default
    first = ref.target_url_for_image_number(0)
    assert first.startswith("file://") and first.endswith("/A001.1001.png")
    from urllib.parse import unquote, urlparse

    assert Path(unquote(urlparse(first).path)) == folder / "A001.1001.png"
    assert clips[1].source_range.start_time.value == json.loads((out / "shots.json").read_text())["cuts"][0]


def test_a_plugin_package_adds_a_writer_and_a_model_manifest(plugin_package, edit_clip):
    plugin = plugin_package("studio_writers", '''
        import os

        from rushes.hookspecs import hookimpl

        def to_text(cuts):
            return "".join(f"{shot.start} {shot.end}\\n" for shot in cuts.shots)

        @hookimpl
        def rushes_writers():
            return [("Cuts", "shots.txt", "studio_writers:to_text")]

        @hookimpl
        def rushes_model_manifests():
            return [os.path.join(os.path.dirname(__file__), "studio_models")]
    ''')
    (plugin.site / "studio_models").mkdir()
    vad = (Path(__file__).parent.parent / "models" / "silero-vad.toml").read_text()
    (plugin.site / "studio_models" / "studio-vad.toml").write_text(vad.replace('id = "silero-vad"', 'id = "studio-vad"'))
    shots = discover()["detect.shots"]
    assert "shots.shots.txt" in shots.describe()["writes"]["results"]
    out = rushes.run("detect.shots", edit_clip[0], plugin.site / "out", {"method": "fast"})
    lines = (out.out_dir / "shots.shots.txt").read_text().splitlines()
    cuts = read_result(json.loads((out.out_dir / "shots.json").read_text()))
    assert lines == [f"{s.start} {s.end}" for s in cuts.shots] and len(lines) >= 7
    assert cuts.rate == Fraction(25)
    from rushes.modelstore import ModelStore

    assert ModelStore().manifest("studio-vad").sha256 == ModelStore().manifest("silero-vad").sha256

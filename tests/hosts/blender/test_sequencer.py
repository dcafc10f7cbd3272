"""The extension in a real headless Blender's Sequencer, rushes running inside Blender (in-process).

One Blender process runs tests/hosts/blender/scenarios/sequencer.py: the zip installed from
disk, detect.shots / speech.transcribe / speech.vad / speech.synthesize run with wait=True on the
edit clip and a LibriVox reading, undo, save and reload, then removal by tag. Everything is drawn
from the results' annotations (cuts as markers, subtitles as captions, speech as ranges, voice
lines as audio media and captions); the values are checked against the result files the same
runs wrote and the clip's known cuts.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import srt

STRIP_START, TRIM_START, TRIM_END, SCENE_FPS, SOUND_START, PLAYHEAD = 101, 30, 60, 24, 1001, 2001


@pytest.fixture(scope="module")
def observed(blender_python, extension_zip, edit_clip, reading, tmp_path_factory, run_scenario):
    tmp = tmp_path_factory.mktemp("blender sequencer")
    movie, _ = edit_clip
    args = {"zip": str(extension_zip), "movie": str(movie), "speech": str(reading[0]),
            "out": str(tmp / "results é"), "blend": str(tmp / "edit é.blend"),
            "strip_start": STRIP_START, "trim_start": TRIM_START, "trim_end": TRIM_END,
            "scene_fps": SCENE_FPS, "sound_start": SOUND_START, "playhead": PLAYHEAD,
            # rushes importable in Blender's Python: the environment running these tests
            "prefs": {"mode": "IN_PROCESS", "python_path": sys.prefix, "output_dir": str(tmp / "default out")}}
    data = run_scenario(blender_python, "sequencer", args, tmp)
    data["out"] = Path(args["out"])
    return data


def test_operators_come_from_the_core_and_run_in_blender(observed):
    # before connecting (a fresh user folder): the built-in operators shipped with the extension
    assert {"connect", "cancel", "remove_run", "detect_shots", "speech_transcribe"} <= set(observed["operators"])
    assert {"detect_shots", "detect_faces", "gan_upscale", "speech_transcribe", "speech_vad",
            "speech_synthesize"} <= set(observed["operators_after_connect"])
    assert observed["link"] == "in-process"


def test_cut_markers_land_on_scene_frames(observed, edit_clip):
    _, truth = edit_clip
    shots = json.loads((observed["out"] / "shots" / "shots.json").read_text())
    assert observed["shots"]["result"] == ["FINISHED"]
    first, last = STRIP_START + TRIM_START, STRIP_START + truth["frames"] - TRIM_END
    assert observed["take"] == [STRIP_START, first, last]
    # each cut the trimmed strip shows, at strip position + source frame (one scene frame per
    # source frame: the strip is not retimed, so the 25 fps movie plays frame for frame at 24)
    expected = sorted([f"cut {i}", STRIP_START + c] for i, c in enumerate(shots["cuts"], start=1)
                      if first <= STRIP_START + c < last)
    assert observed["shots"]["markers"] == expected
    # every hard cut of the clip that the trimmed strip shows, on its frame (and transitions)
    shown = {frame - STRIP_START for _, frame in expected}
    assert {c for c in truth["cuts"] if first <= STRIP_START + c < last} <= shown
    assert shown <= set(truth["cuts"]) | set(truth["gradual"])
    assert len(expected) == 8  # the trim hides the last cut (430 + 101 >= 580 - 60)


def test_open_report_opens_the_page_of_the_last_job(observed):
    page = observed["out"] / "shots" / "shots.html"
    report = observed["report"]
    assert report["operator"] and report["last"] == str(page) and page.is_file()
    assert report["summary"].endswith(f"; report: {page} (Rushes > Open report)"), report["summary"]
    assert report["result"] == ["FINISHED"] and report["opened"] == [page.as_uri()]


def test_undo_removes_the_markers_and_redo_brings_them_back(observed):
    assert observed["after_undo"] == []
    assert observed["after_redo"] == observed["shots"]["markers"]


def test_split_makes_one_strip_per_shot(observed, edit_clip):
    _, truth = edit_clip
    pieces = observed["split"]
    bounds = [[p[1], p[2]] for p in pieces]
    shots = json.loads((observed["out"] / "shots" / "shots.json").read_text())
    expected = [[1 + s["start"], 1 + s["end"]] for s in shots["shots"]]
    assert bounds == expected and len(bounds) == len(shots["cuts"]) + 1 >= len(truth["cuts"]) + 1
    assert all(p[5] == "" for p in pieces)  # the user's footage: not tagged, never removed by rushes


def test_subtitles_are_text_strips_timed_to_the_scene(observed, reading):
    texts = observed["transcribe"]["texts"]
    srt_path = observed["out"] / "transcript" / "transcript.srt"
    subs = list(srt.parse(srt_path.read_text(encoding="utf-8")))
    assert len(texts) == len(subs) >= 3
    sound_start, _, channel = observed["transcribe"]["sound"]
    for strip, sub in zip(texts, subs):
        name, start, end, strip_channel, text, run = strip
        assert text == sub.content
        # the sound strip runs on the scene clock: seconds * 24 from its first frame
        assert abs(start - (sound_start + sub.start.total_seconds() * SCENE_FPS)) <= 1
        assert abs(end - (sound_start + sub.end.total_seconds() * SCENE_FPS)) <= 1
        assert strip_channel == channel + 1 and run
    starts = [t[1] for t in texts]
    for sentence_start in reading[1]:  # a subtitle begins near each sentence of the reading
        assert any(abs(s - (SOUND_START + sentence_start * SCENE_FPS)) <= 0.8 * SCENE_FPS for s in starts)
    words = " ".join(t[4] for t in texts).lower()
    assert "dashwood" in words and "ill-disposed" in words, words  # Sense and Sensibility, read
    style = observed["text_style"]
    assert style["use_box"] and style["use_outline"] and style["font_size"] >= 24


def test_speech_regions_become_colour_strips_on_the_scene_clock(observed, reading):
    vad = json.loads(next((observed["out"] / "vad").glob("*.json")).read_text())
    # a sound file has no frames of its own: the extension asked for the scene's rate
    assert vad["rate"] == {"num": SCENE_FPS, "den": 1} and vad["media"]["rate"] == {"num": SCENE_FPS, "den": 1}
    ranges = [a for s in vad["annotations"]["sets"] for a in s["items"]]
    assert [a["type"] for a in ranges] == ["Range"] * len(vad["regions"]) and len(ranges) >= 3
    sound_start, sound_end, channel = observed["transcribe"]["sound"]
    assert observed["vad_strips"]["result"] == ["FINISHED"]
    made = [s[:4] for s in observed["vad_strips"]["strips"]]
    # on the first free channel above the sound: the subtitles hold the one right above it
    assert made == [[r["name"], sound_start + r["start"] - vad["first_frame"],
                     min(sound_end, sound_start + r["end"] - vad["first_frame"]), channel + 2] for r in ranges]
    assert all(s[5] for s in observed["vad_strips"]["strips"])  # tagged with the run
    # the annotation's colour (green), as a block on the timeline that does not cover the picture
    assert len(observed["vad_strips"]["colors"]) == len(ranges)
    assert all(rgb == pytest.approx([0.2, 0.7, 0.3]) and alpha == 0 for rgb, alpha in observed["vad_strips"]["colors"])
    for sentence_start in reading[1]:  # a strip begins near each sentence of the reading
        assert any(abs(s[1] - (SOUND_START + sentence_start * SCENE_FPS)) <= 0.6 * SCENE_FPS for s in made)


def test_speech_regions_as_markers_with_the_option(observed):
    vad = json.loads(next((observed["out"] / "vad").glob("*.json")).read_text())
    marks = observed["vad"]["markers"]
    assert observed["vad"]["colour_strips"] == len(observed["vad_strips"]["strips"])  # none added this time
    assert len(marks) == 2 * len(vad["regions"]) >= 6
    ins = sorted(frame for name, frame in marks if name.endswith(" in"))
    outs = sorted(frame for name, frame in marks if name.endswith(" out"))
    assert ins == sorted(SOUND_START + r["start_frame"] - vad["first_frame"] for r in vad["regions"])
    assert outs == sorted(SOUND_START + r["end_frame"] - vad["first_frame"] for r in vad["regions"])
    # frames at the scene's rate: the region's seconds on the scene clock
    assert ins == sorted(round(SOUND_START + r["start"] * SCENE_FPS) for r in vad["regions"])


def test_scratch_voice_lands_at_the_selected_text_strips(observed):
    sounds = observed["synthesize"]["sounds"]
    voiced = observed["voiced"]
    assert observed["synthesize"]["result"] == ["FINISHED"]
    assert [s[1] for s in sounds] == [frame for frame, _ in voiced]
    voice = json.loads((observed["out"] / "voice" / "voice.json").read_text())
    # each line is its stretch of the combined file (the result's audio Media), cut at its caption
    combined = observed["out"] / "voice" / voice["combined"]
    files = observed["synthesize"]["files"]
    assert [Path(f[1]) for f in files] == [combined] * len(voiced)
    for (name, _, skip), (_, start, end, *_), line in zip(files, sounds, voice["lines"]):
        assert name == f"{line['number']:03d} VOICE"
        assert skip == round(line["start"] * SCENE_FPS)
        assert end - start == round((line["end"] - line["start"]) * SCENE_FPS) > 12  # more than half a second
    # the captions are the text strips the script came from: not added a second time
    assert observed["synthesize"]["texts_unchanged"]
    script = next((observed["out"].parent / "default out" / "speech.synthesize" / "scripts").glob("*.txt"))
    assert script.read_text(encoding="utf-8").splitlines() == [f"VOICE: {' '.join(t.split())}" for _, t in voiced]


def test_a_scripts_voice_lands_at_the_playhead_with_a_text_strip_per_line(observed):
    made = observed["script"]
    assert made["result"] == ["FINISHED"]
    voice = json.loads((observed["out"] / "script voice" / "voice.json").read_text())
    (sound,) = made["sounds"]
    assert sound[0] == Path(voice["combined"]).name and sound[1] == PLAYHEAD
    assert abs(sound[2] - (PLAYHEAD + voice["lines"][-1]["end"] * SCENE_FPS)) <= 1
    texts = [[t[4], t[1], t[2]] for t in made["texts"]]
    assert texts == [[f"{line['character']}: {line['text']}", PLAYHEAD + round(line["start"] * SCENE_FPS),
                      PLAYHEAD + round(line["end"] * SCENE_FPS)] for line in voice["lines"]]
    assert [t[0] for t in texts] == ["ANNA: We should go.", "BEN: Not yet."]
    assert all(t[5] for t in made["texts"]) and sound[5]


def test_saved_and_reloaded(observed):
    reloaded = observed["reloaded"]
    assert reloaded["markers"] == sorted(observed["shots"]["markers"] + observed["vad"]["markers"])
    assert reloaded["texts"] == sorted(observed["transcribe"]["texts"] + observed["script"]["texts"],
                                       key=lambda row: (row[1], row[0]))
    assert reloaded["colour"] == observed["vad_strips"]["strips"]
    assert reloaded["sounds"] == sorted(observed["synthesize"]["sounds"] + observed["script"]["sounds"],
                                        key=lambda row: (row[1], row[0]))


def test_remove_takes_away_only_what_rushes_added(observed):
    removed = observed["removed"]
    assert removed["markers"] == [] and removed["texts"] == [] and removed["colour"] == []
    assert [s[0] for s in removed["sounds"]] == ["reading"]
    assert [s[0] for s in removed["movies"]] == ["take"]


def test_a_strip_rushes_cannot_read_is_one_line(observed):
    message = observed["bad_input"]
    assert "detect.shots" in message and "nothing to read" in message
    assert "Traceback" not in message

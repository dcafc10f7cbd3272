"""Results shown in Nuke through their annotations alone: detect.characters (appearances as ranges),
speech.vad, speech.synthesize and a studio's own kind (studio.breakdown -> Breakdown, all five types)
run through the plug-in and a real worker, and their `.nk` files read back and pasted on a Read.
Nothing under hosts/ names a result kind."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nkparse
import nuke
import nuke_plates
import rushes_nuke.apply
import rushes_nuke.panel
import rushes_nuke.reads
from test_nuke_plugin import menu_node, run_and_wait

from fixtures import studio
from rushes.runner import run

HOSTS = Path(__file__).resolve().parents[3] / "hosts" / "nuke"
NAMING_KNOBS = ("label", "name")  # what may differ between the plug-in's nodes and the .nk's: names


def paste_file(path: Path, read) -> list:
    """Paste a .nk file as a user does, with `read` selected; the pasted nodes."""
    for node in nuke.allNodes():
        node.setSelected(node is read)
    nuke.nodePaste(str(path))
    return nuke.selectedNodes()


def knobs_of(node) -> dict:
    return {name: knob.toScript() for name, knob in node.knobs().items() if name not in NAMING_KNOBS}


def assert_same_nodes(made: list, farm: list, prefix: tuple[str, str]) -> None:
    """The plug-in's nodes and those of the .nk pasted on a Read the same way: class, every knob,
    labels but for the node names in them."""
    assert [n.Class() for n in made] == [n.Class() for n in farm]
    for mine, theirs in zip(made, farm):
        assert knobs_of(mine) == knobs_of(theirs), mine.name()
        assert mine["label"].value().replace(*prefix) == theirs["label"].value()
        assert mine.name().replace(*prefix) == theirs.name()


def user_knobs(node_knobs: list) -> dict:
    return {name: rest for kind, name, rest in (nkparse.user_knob(v) for k, v in node_knobs if k == "addUserKnob")}


# -- a studio's own kind: all five types, no change under hosts/ for it ---------------------------

def test_a_studio_kind_renders_in_nuke_through_the_plugin(script, worker, edit_clip, plugin_package, tmp_path):
    plugin_package(studio.MODULE, studio.SOURCE)
    rushes_nuke.panel.operators(refresh=True)  # the worker now lists studio.breakdown
    clip, _ = edit_clip
    read = nuke._read(clip, 1, 480, 320, 180, name="edit")  # a movie: Read frame 1 is rushes frame 0
    node = menu_node("studio.breakdown", read)
    node["rp_key"].setValue(3)
    status = run_and_wait(node)
    assert status.startswith("done:"), status
    out = script.parent / "rushes" / "edit_studio_breakdown"
    doc = json.loads((out / "breakdown.json").read_text())
    assert doc["kind"] == "Breakdown" and doc["first_frame"] == 0 and doc["frame_count"] == 480
    base = "rushes_studio_breakdown_edit"

    tracker = nuke.toNode(base + "_tracks")
    assert tracker.Class() == "Tracker4" and tracker.input(0) is read
    shoulder, hand = nkparse.tracks(tracker["tracks"].value())
    assert (shoulder["name"], hand["name"]) == ("shoulder", "hand")
    xs, ys = nkparse.curve(hand["track_x"]), nkparse.curve(hand["track_y"])
    assert [f for f, _ in xs] == [f for f, _ in ys] == list(range(1, 481))
    for (frame, x), (_, y) in zip(xs, ys):
        assert x == pytest.approx(320 * 0.25 + (frame - 1) * 2.0) and y == pytest.approx(180 - 180 * 0.25)
    assert [hand[c] for c in ("pattern_x", "pattern_y", "pattern_r", "pattern_t")] == ["-4", "-4", "4", "4"]  # its box
    assert [shoulder[c] for c in ("pattern_x", "pattern_r", "search_x", "search_r")] == ["-72", "72", "-50", "50"]
    assert "hand: 1-480, on shoulder" in tracker["label"].value()  # the skeleton, named

    markers = nuke.toNode(base + "_markers")
    assert markers.Class() == "NoOp" and markers.input(0) is read
    assert markers["marker"].getKeyList() == [4] and markers["marker"].getValueAt(4) == 1  # key frame 3 -> Read 4
    # the action [1, 479) -> Read frames 2..479: keys where it opens and closes
    assert markers["ranges"].getKeyList() == [1, 2, 480]
    assert [markers["ranges"].getValueAt(f) for f in (1, 2, 479, 480)] == [0, 1, 1, 0]
    assert markers["label"].value().splitlines()[2:] == ["key frame: 4 - the hand is highest",
                                                         "action: 2-479 - the arm moves"]

    text = nuke.toNode(base + "_captions")
    assert text.Class() == "Text2" and text.input(0) is read
    assert text["caption"].getKeyList() == [0, 1, 3] and text["caption"].getValueAt(2) == 1  # [0, 2) -> 1..2
    assert text["caption_1"].value() == "DIRECTOR: Action!" and text["caption_0"].value() == ""
    assert text["message"].value() == "[value caption_[value caption]]"

    matte = nuke.toNode(base + "_matte")
    assert matte.Class() == "Read" and matte["file"].value() == f"{out}/breakdown/matte.png"
    assert (out / "breakdown" / "matte.png").stat().st_size > 0
    # a still: its one frame, shown from the key frame's Read frame on
    assert (matte["first"].value(), matte["last"].value(), matte["frame_mode"].value(), matte["frame"].value()) == \
        (1, 1, "offset", "3")
    assert (matte.format().width(), matte.format().height()) == (320, 180)
    copy = nuke.toNode(base + "_matte_copy")
    assert copy.Class() == "Copy" and copy.input(0) is read and copy.input(1) is matte  # B the plate, A the matte
    assert (copy["from0"].value(), copy["to0"].value()) == ("rgba.red", "rgba.alpha")
    assert f"2 track(s) in {base}_tracks" in status and "1 marker(s), 1 range(s)" in status

    # the .nk the worker's run wrote beside the JSON, pasted on a Read of the same movie: the same nodes
    made = [tracker, markers, text, matte, copy]
    nuke._reset(str(script))
    again = nuke._read(clip, 1, 480, 320, 180, name="edit")
    farm = paste_file(out / "breakdown.nk", again)
    assert_same_nodes(made, farm, (base, "rushes_studio_breakdown"))
    assert [n.input(0) is again for n in farm] == [True, True, True, False, True] and farm[4].input(1) is farm[3]


def test_a_studio_kinds_nk_from_rushes_run_holds_all_five_types(edit_clip, plugin_package, tmp_path):
    """`rushes run` (the CLI, with the studio package installed as pip would) writes breakdown.nk."""
    site = plugin_package(studio.MODULE, studio.SOURCE).site
    clip, _ = edit_clip
    out = tmp_path / "cli out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "run", "studio.breakdown", str(clip), "--out", str(out),
                           "-q"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "breakdown.json").read_text())
    assert {"path": "breakdown.nk", "kind": "nk"} in doc["outputs"]
    text = (out / "breakdown.nk").read_text()
    parsed = nkparse.nodes(text)
    assert [cls for cls, _ in parsed] == ["Tracker4", "NoOp", "Text2", "Read", "Copy"]
    tracker, noop, caption, matte, copy = (dict(k) for _, k in parsed)
    assert [row["name"] for row in nkparse.tracks(tracker["tracks"])] == ["shoulder", "hand"]
    assert nkparse.curve(noop["marker"][0]) == [(3, 1)]  # the default key frame 2, on Read frame 3
    assert nkparse.curve(noop["ranges"][0]) == [(1, 0), (2, 1), (480, 0)]
    assert nkparse.curve(caption["caption"][0]) == [(0, 0), (1, 1), (3, 0)] and caption["caption_1"] == "DIRECTOR: Action!"
    assert user_knobs(parsed[2][1])["caption_1"]["l"] == "1 (1-2)"
    assert matte["file"] == f"{out}/breakdown/matte.png" and matte["inputs"] == "0" and matte["frame"] == "2"
    assert copy["inputs"] == "2" and (copy["from0"], copy["to0"]) == ("rgba.red", "rgba.alpha")
    # the stack: each node that takes a picture pushes the pasted-on node; the Copy takes it and the matte
    stack = [c for c in nkparse.commands(text)]
    assert [c[0] if c[0] != "node" else c[1][0] for c in stack] == [
        "set", "push", "Tracker4", "push", "NoOp", "push", "Text2", "Read", "push", "Copy"]
    # pasted on a Read selected, as a farm script does
    nuke._reset(str(tmp_path / "farm.nk"))
    plate = nuke._read(clip, 1, 480, 320, 180, name="plate")
    nodes = paste_file(out / "breakdown.nk", plate)
    assert [n.input(0) for n in nodes] == [plate, plate, plate, None, plate] and nodes[4].input(1) is nodes[3]


# -- built-in kinds with no Nuke code of their own ----------------------------------------------

def test_speech_vad_regions_are_ranges_on_a_noop(script, worker, tmp_path):
    movie = nuke_plates.talking_movie(tmp_path / "talk.mov")  # 25 fps from 01:00:00:00
    read = nuke._read(movie, 1, 120, 32, 32, name="talk", frame_mode="offset", frame="1000")
    node = menu_node("speech.vad", read)
    status = run_and_wait(node)
    assert status.startswith("done:"), status
    out = script.parent / "rushes" / "talk_speech_vad"
    regions = json.loads((out / "speech.json").read_text())["regions"]
    assert regions
    noop = nuke.toNode("rushes_speech_vad_talk_markers")
    assert noop.Class() == "NoOp" and noop.input(0) is read
    shift = 1 - 90000 + 1000  # rushes frames from the timecode -> Read frames from 1 -> the comp's
    keys = noop["ranges"].getKeyList()
    for r in regions:
        start, end = r["start_frame"] + shift, max(r["end_frame"], r["start_frame"] + 1) + shift
        assert start in keys and end in keys and noop["ranges"].getValueAt(start) == 1  # one region open
        assert noop["ranges"].getValueAt(end) == 0  # regions do not overlap: closed again
    assert noop["ranges"].getValueAt(regions[0]["start_frame"] + shift - 1) == 0  # closed before the first
    assert noop["marker"].value() == 0 and not noop["marker"].isAnimated()
    lines = noop["label"].value().splitlines()
    assert lines[0] == f"rushes: 0 marker(s), {len(regions)} range(s)"
    assert lines[2] == (f"speech 1: {regions[0]['start_frame'] + shift}-{regions[0]['end_frame'] + shift - 1}"
                        f" - {regions[0]['start']:.2f}-{regions[0]['end']:.2f} s")
    # speech.nk: the same keys on a Read of the movie as Nuke sets one up (no offset)
    ((cls, knobs),) = nkparse.nodes((out / "speech.nk").read_text())
    assert cls == "NoOp"
    assert [(f + 1000, v) for f, v in nkparse.curve(dict(knobs)["ranges"][0])] == \
        list(zip(noop["ranges"].getKeyList(), [noop["ranges"].getValueAt(f) for f in noop["ranges"].getKeyList()]))


def test_detect_characters_appearances_are_ranges_named_for_the_cast(script, worker, tmp_path):
    movie = tmp_path / "take1.mov"
    nuke_plates.moving_face_movie(movie)  # 8 pictures, no timecode: rushes frames 0..7
    cast = tmp_path / "cast"
    cast.mkdir()
    shutil.copyfile(nuke_plates.PHOTOS / "astronaut.png", cast / "Eileen Collins.png")
    read = nuke._read(movie, 1, 8, nuke_plates.WIDTH, nuke_plates.HEIGHT, name="take1")
    node = menu_node("detect.characters", read)
    node["rp_cast"].setValue(str(cast))
    node["rp_min_track"].setValue(2)
    status = run_and_wait(node)
    assert status.startswith("done:"), status
    out = script.parent / "rushes" / "take1_detect_characters"
    doc = json.loads((out / "characters.json").read_text())
    eileen = next(c for c in doc["characters"] if c["name"] == "Eileen Collins")
    # her face, and its mirror image joining on the fourth picture: two appearances at once
    assert sorted((a["start_frame"], a["end_frame"]) for a in eileen["appearances"]) == [(0, 8), (3, 8)]
    noop = nuke.toNode("rushes_detect_characters_take1_markers")
    assert noop.Class() == "NoOp" and noop.input(0) is read
    appearances = sorted((a["start_frame"], a["end_frame"], c["name"], a["confidence"]) for c in doc["characters"]
                         for a in c["appearances"])
    lines = noop["label"].value().splitlines()
    # each appearance on the Read's frames (picture k is frame k + 1), named for who it is
    assert lines[2:] == [f"{name}: {a + 1}-{b} - shot 1, confidence {conf:.2f}" for a, b, name, conf in appearances]
    assert lines[2:4] == ["Eileen Collins: 1-8 - shot 1, confidence 1.00", "Eileen Collins: 4-8 - shot 1, confidence 1.00"]
    assert noop["ranges"].getKeyList() == [0, 1, 4, 9]  # where one opens or closes: jump between them
    assert [noop["ranges"].getValueAt(f) for f in (0, 1, 3, 4, 8, 9)] == [0, 1, 1, 2, 2, 0]  # how many are open
    ((_, knobs),) = nkparse.nodes((out / "characters.nk").read_text())
    assert nkparse.curve(dict(knobs)["ranges"][0]) == [(f, noop["ranges"].getValueAt(f))
                                                       for f in noop["ranges"].getKeyList()]


def test_speech_synthesize_captions_and_sound_start_at_the_playhead(script, tmp_path, store):
    """A script has no picture: its lines count milliseconds and land where the playhead is."""
    text = tmp_path / "scene 12.txt"
    text.write_text("MARY: Did you hear that?\nJOHN: Stay here.\n", encoding="utf-8")
    result = run("speech.synthesize", text, tmp_path / "voice", {"engine": "piper"}, models=store)
    doc = json.loads((result.out_dir / "voice.json").read_text())
    lines = doc["lines"]
    nuke_plates.small_plate(tmp_path / "plates")
    read = nuke._read(tmp_path / "plates" / "up.####.png", 1001, 1002, 40, 32, name="plate")
    nuke.frame(1010)
    nodes, status = rushes_nuke.apply.result_nodes(rushes_nuke.reads.plate(read),
                                                   {"result": doc, "out_dir": str(result.out_dir)})
    captions, sound = nodes
    assert captions.Class() == "Text2" and captions.input(0) is read and sound.Class() == "AudioRead"
    assert captions["start"].value() == 1010
    ms = [(round(line["start"] * 1000), round(line["end"] * 1000)) for line in lines]
    assert captions["caption_ms"].getKeyList() == [ms[0][0] - 1, ms[0][0], ms[0][1], ms[1][0], ms[1][1]]
    assert [captions["caption_ms"].getValueAt(t) for t in (ms[0][0], ms[0][1], ms[1][0], ms[1][1])] == [1, 0, 2, 0]
    # the knob Text2 reads follows the milliseconds at the comp's rate from the start frame
    assert captions["caption"].toScript() == "{{caption_ms((frame-start)*1000/root.fps)}}"
    assert captions["caption_1"].value() == "MARY: Did you hear that?"
    assert captions["caption_2"].value() == "JOHN: Stay here."
    assert sound["file"].value() == f"{result.out_dir}/voice/combined.wav" and "frame 1010" in sound["label"].value()
    assert "2 caption(s)" in status
    # voice.nk: the same nodes, starting on the script's first frame
    parsed = nkparse.nodes((result.out_dir / "voice.nk").read_text())
    assert [cls for cls, _ in parsed] == ["Text2", "AudioRead"]
    farm = dict(parsed[0][1])
    assert farm["start"] == [["root.first_frame"]]
    assert [f for f, _ in nkparse.curve(farm["caption_ms"][0])] == captions["caption_ms"].getKeyList()


# -- no per-kind code -----------------------------------------------------------------------------

def test_nothing_under_hosts_nuke_names_a_result_kind():
    kinds = ("Cuts", "FaceTracks", "Transcript", "SpeechRegions", "VoiceLines", "Frames", "Characters", "Breakdown")
    found = []
    for path in HOSTS.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search("|".join('"%s"' % k for k in kinds), line):
                found.append(f"{path.relative_to(HOSTS)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)

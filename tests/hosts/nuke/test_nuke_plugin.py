"""The Nuke plug-in end to end: menus from a real worker's operators, a node per operator with
knobs from its schema, Run on a Read of real media, results as native nodes; cancel; one-line
errors. Nodes are only touched on the main thread (the fake raises otherwise)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import nkparse
import nuke
import nuke_plates
import rushes_nuke.connection
import rushes_nuke.jobs
import rushes_nuke.menus
import rushes_nuke.panel

FINISHED = ("done", "failed", "cancelled", "not run")


def menu_node(operator: str, read=None):
    """Click rushes > group > name with `read` selected: the node made for it."""
    rushes_nuke.menus.install()
    for node in nuke.allNodes():
        node.setSelected(node is read)
    item = nuke.menu("Nuke").findItem("rushes/" + operator.replace(".", "/"))
    assert item is not None, [i.name() for i in nuke.menu("Nuke").findItem("rushes").items()]
    assert nuke.toolbar("Nodes").findItem("rushes/" + operator.replace(".", "/")) is not None
    item.invoke()
    node = nuke.selectedNodes()[0]
    assert node["rushes_operator"].value() == operator and node.input(0) is read
    return node


def run_and_wait(node, timeout: float = 120.0) -> str:
    node["rushes_run"].execute()
    nuke._drain(until=lambda: node["rushes_status"].value().startswith(FINISHED), timeout=timeout)
    return node["rushes_status"].value()


def test_detect_faces_makes_a_tracker_on_the_read(script, worker, tmp_path):
    nuke_plates.moving_face(tmp_path / "plates")
    read = nuke._read(tmp_path / "plates" / "take1.####.png", 1001, 1008, nuke_plates.WIDTH, nuke_plates.HEIGHT,
                      colorspace="sRGB")
    node = menu_node("detect.faces", read)
    # knobs from the schema: a choice, greyed out until anonymize is on; an advanced tab
    assert node["rp_anonymize"].values() == ["none", "blur", "pixelate"]
    assert not node["rp_strength"].enabled()
    nuke._user_sets(node, "rp_anonymize", "blur")
    assert node["rp_strength"].enabled()
    assert node["rp_min_face"].label() == "Smallest face (px)" and node.knob("rushes_advanced") is not None
    status = run_and_wait(node)
    assert status.startswith("done: 2 track(s) in rushes_detect_faces_plate_tracks"), status
    out = script.parent / "rushes" / "plate_detect_faces"
    faces = json.loads((out / "faces.json").read_text())
    assert faces["media"]["colorspace"] == "sRGB Encoded Rec.709 (sRGB)"  # from the Read's knob
    assert faces["media"]["frame_range"] == [1001, 1009]  # the Read's first/last
    tracker = nuke.toNode("rushes_detect_faces_plate_tracks")
    assert tracker.Class() == "Tracker4" and tracker.input(0) is read
    rows = nkparse.tracks(tracker["tracks"].value())
    assert len(rows) == len(faces["tracks"]) == 2
    for track, row in zip(faces["tracks"], rows):
        xs, ys = nkparse.curve(row["track_x"]), nkparse.curve(row["track_y"])
        assert [f for f, _ in xs] == [p["frame"] for p in track["frames"]]
        for p, (_, x), (_, y) in zip(track["frames"], xs, ys):
            assert x == pytest.approx((p["box"][0] + p["box"][2]) / 2, abs=1e-3)
            assert y == pytest.approx(nuke_plates.HEIGHT - (p["box"][1] + p["box"][3]) / 2, abs=1e-3)
    anonymized = nuke.toNode("rushes_detect_faces_plate_plate")  # the anonymized plate
    assert anonymized["file"].value() == str(out / "take1.####.png")
    assert (anonymized["first"].value(), anonymized["last"].value()) == (1001, 1008)
    assert anonymized["colorspace"].value() == "sRGB" and (out / "take1.1004.png").is_file()
    task = [t for t in nuke._tasks if "plate" in t._title][0]
    assert task._progress[-1] == 100 and any("frame" in m for m in task._messages)
    assert node["rushes_job"].value()


def test_detect_shots_cut_markers_in_comp_frames_and_the_otio(script, worker, edit_clip, monkeypatch):
    clip, truth = edit_clip
    opened: list = []
    monkeypatch.setattr(rushes_nuke.jobs, "_last_report", [])
    monkeypatch.setattr(rushes_nuke.jobs.webbrowser, "open", opened.append)  # never a real browser
    read = nuke._read(clip, 1, 480, 320, 180, name="edit", frame_mode="offset", frame="1000")
    node = menu_node("detect.shots", read)
    nuke.menu("Nuke").findItem("rushes/Open report").invoke()  # no job yet: says so, opens nothing
    assert opened == [] and nuke._messages[-1].startswith("rushes: no report to open")
    node["rp_method"].setValue("fast")
    status = run_and_wait(node)
    assert status.startswith("done:") and "shots.otio" in status, status
    out = script.parent / "rushes" / "edit_detect_shots"
    # the status names the run's report page, and rushes > Open report opens it
    assert status.endswith("; report: %s (rushes > Open report)" % (out / "shots.html")), status
    nuke.menu("Nuke").findItem("rushes/Open report").invoke()
    assert opened == [(out / "shots.html").as_uri()] and (out / "shots.html").is_file()
    cuts = json.loads((out / "shots.json").read_text())
    assert cuts["first_frame"] == 0  # the movie has no timecode: rushes numbers it from 0, Nuke from 1
    markers = nuke.toNode("rushes_detect_shots_edit_markers")
    assert markers.Class() == "NoOp" and markers.input(0) is read
    # Read frame 1 is source frame 0, and the Read is offset by 1000: the keys are on comp frames
    assert markers["marker"].getKeyList() == [cut + 1 + 1000 for cut in cuts["cuts"]] and len(cuts["cuts"]) > 3
    assert [markers["marker"].getValueAt(cut + 1 + 1000) for cut in cuts["cuts"]] == list(range(1, len(cuts["cuts"]) + 1))
    assert markers["label"].value().splitlines()[2].startswith(f"cut 1: {cuts['cuts'][0] + 1001} - confidence ")
    # the same node as shots.nk, moved by the Read's offset
    ((_, farm),) = nkparse.nodes((out / "shots.nk").read_text())
    assert [f + 1000 for f, _ in nkparse.curve(dict(farm)["marker"][0])] == markers["marker"].getKeyList()


def test_gan_upscale_reads_the_frames_with_colour_space_format_and_range(script, worker, tmp_path):
    plate = nuke_plates.small_plate(tmp_path / "plates")
    read = nuke._read(plate, 1001, 1002, 40, 32, name="small", colorspace="sRGB", frame_mode="start at",
                      frame="1")
    node = menu_node("gan.upscale", read)
    node["rp_scale"].setValue(2)
    status = run_and_wait(node)
    assert status.startswith("done:"), status
    up = nuke.toNode("rushes_gan_upscale_small_plate")
    out = script.parent / "rushes" / "small_gan_upscale"
    assert up.Class() == "Read" and up["file"].value() == str(out / "up.####.png")
    assert (up["first"].value(), up["last"].value()) == (1001, 1002)
    assert (up["frame_mode"].value(), up["frame"].value()) == ("offset", "-1000")  # lined up with the Read
    assert (up.format().width(), up.format().height()) == (80, 64)
    assert up["colorspace"].value() == "sRGB"
    assert (out / "up.1002.png").is_file()


def test_speech_transcribe_writes_the_srt_beside_the_script_and_captions_the_read(script, worker, tmp_path):
    movie = nuke_plates.talking_movie(tmp_path / "talk.mov")
    read = nuke._read(movie, 1, 120, 32, 32, name="talk")
    node = menu_node("speech.transcribe", read)
    status = run_and_wait(node)
    assert status.startswith("done:"), status
    out = script.parent / "rushes" / "talk_speech_transcribe"
    transcript = json.loads((out / "transcript.json").read_text())
    assert transcript["first_frame"] == 90000  # 01:00:00:00 at 25 fps
    srt = script.parent / "sh010_comp_v001_talk.srt"
    assert srt.read_bytes() == (out / "transcript.srt").read_bytes() and f"SRT: {srt}" in status
    text = nuke.toNode("rushes_speech_transcribe_talk_captions")
    assert text.Class() == "Text2" and text.input(0) is read
    assert text["message"].value() == "[value caption_[value caption]]"  # the caption the keyed knob names
    subs = transcript["subtitles"]
    assert subs
    for k, sub in enumerate(subs, 1):
        first, end = sub["start_frame"] - 90000 + 1, sub["end_frame"] - 90000 + 1  # Read frames from 1
        assert text["caption"].getValueAt(first) == k and text["caption"].isAnimated()
        assert text["caption_%d" % k].value() == "\n".join(sub["lines"])
        if k == len(subs):
            assert text["caption"].getValueAt(end) == 0  # nothing after the last
    assert text["caption"].getValueAt(subs[0]["start_frame"] - 90000) == 0  # nor before the first
    assert "dashwood" in text["label"].value().lower()


STUDIO_OP = '''
"""studio.slate: a studio's own operator; counts frames, waiting at a gate after the first."""
import threading

import pluggy

from rushes.operators import Operator, Param
from rushes.results import Frames

hookimpl = pluggy.HookimplMarker("rushes")
started = threading.Event()


class Slate(Operator):
    name = "studio.slate"
    summary = "Count frames of a plate (a studio's own operator)"
    inputs = ("sequence",)
    result = "Frames"
    output_stem = "slate"
    params = (
        Param("mode", str, "count", "Mode", "count or burn", choices=("count", "burn")),
        Param("size", float, 0.5, "Size", "text size", min=0.1, max=2.0, step=0.1,
              enabled_if=("mode", "==", "burn")),
        Param("hold", bool, True, "Hold", "wait after the first frame until cancelled"),
        Param("pad", int, 4, "Padding", "digits", min=1, max=8, advanced=True),
    )

    def open_input(self, path, params):
        return path

    def outputs(self, media, params, frame_range):
        return []

    def run(self, media, params, ctx):
        ctx.report(phase="frames", current=1, total=2, unit="frame", message="frame 1/2")
        started.set()
        while params["hold"]:
            ctx.check_cancelled()
            threading.Event().wait(0.01)
        return Frames(source=media, pattern="", first_frame=1, frame_count=2, width=0, height=0)


@hookimpl
def rushes_operators():
    return [Slate]
'''


def test_a_studio_operator_appears_with_its_knobs_and_cancel_stops_it(script, worker, tmp_path, plugin_package):
    studio = plugin_package("studio_slate_ops", STUDIO_OP)
    nuke_plates.small_plate(tmp_path / "plates")
    read = nuke._read(tmp_path / "plates" / "up.####.png", 1001, 1002, 40, 32, name="slate")
    rushes_nuke.panel.operators(refresh=True)  # Refresh operators: the worker now lists it
    node = menu_node("studio.slate", read)
    assert isinstance(node["rp_size"], nuke.Double_Knob) and not node["rp_size"].enabled()
    assert isinstance(node["rp_hold"], nuke.Boolean_Knob) and node["rp_hold"].value() is True
    assert isinstance(node["rp_pad"], nuke.Int_Knob)
    node["rushes_run"].execute()
    assert studio.started.wait(60)
    node["rushes_cancel"].execute()
    nuke._drain(until=lambda: node["rushes_status"].value().startswith(FINISHED), timeout=60)
    assert node["rushes_status"].value().startswith("cancelled"), node["rushes_status"].value()
    job = node["rushes_job"].value()
    assert worker.store.get(job).state == "cancelled"


def test_worker_not_running_is_one_line_with_the_fix(script, tmp_path, monkeypatch):
    monkeypatch.setenv("RUSHES_STATE", str(tmp_path / "no worker here"))
    monkeypatch.setenv("RUSHES_EXECUTABLE", str(tmp_path / "bin" / "rushes"))
    nuke_plates.small_plate(tmp_path / "plates")
    read = nuke._read(tmp_path / "plates" / "up.####.png", 1001, 1002, 40, 32, name="plate")
    rushes_nuke.menus.install()  # nothing cached, no worker: the menu still offers Refresh and Settings
    assert nuke.menu("Nuke").findItem("rushes/Refresh operators") is not None
    nuke.menu("Nuke").findItem("rushes/Refresh operators").invoke()
    (message,) = nuke._messages
    assert "\n" not in message and "Traceback" not in message
    assert "rushes: no rushes worker running for" in message and "does not exist" in message
    assert "rushes serve" in message and "Settings" in message


def test_run_without_a_read_or_a_file_says_so(script, worker, tmp_path):
    operator = rushes_nuke.panel.describe("detect.faces")
    node = rushes_nuke.panel.create("detect.faces", operator)
    node.setInput(0, None)
    for n in nuke.allNodes():
        n.setSelected(False)
    node["rushes_run"].execute()
    assert nuke._messages == [f"rushes: connect a Read node to {node.name()} or select Read nodes, then Run"]
    assert node["rushes_status"].value().startswith("not run: rushes: connect a Read node")
    empty = nuke.nodes.Read()
    node.setInput(0, empty)
    node["rushes_run"].execute()
    assert nuke._messages[-1] == f"rushes: {empty.name()} has no file"


def test_the_plugin_starts_a_worker_from_the_configured_executable(script, tmp_path, monkeypatch):
    executable = Path(sys.executable).with_name("rushes")
    monkeypatch.setenv("RUSHES_STATE", str(tmp_path / "started state"))
    monkeypatch.setenv("RUSHES_EXECUTABLE", str(executable))
    client = rushes_nuke.connection.connect()
    try:
        assert "detect.faces" in [op["name"] for op in client.operators()]
        assert rushes_nuke.connection.connect(start=False).url == client.url  # found through the state folder
    finally:
        rushes_nuke.connection.stop_started_workers()
    assert not (tmp_path / "started state" / "worker.json").exists()  # stopped cleanly

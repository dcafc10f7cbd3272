"""Any operator's result in Resolve through its annotations: run_operator on the clips its inputs call for,
each annotation type rendered once (render.py), on the fake Resolve of every release in
fake_resolve.VERSIONS with a real worker: speech.vad's ranges, detect.characters' appearances and a
studio's own Breakdown (all five types, a kind no host code names) read back from the timeline."""
from __future__ import annotations

import json
import wave
from fractions import Fraction
from pathlib import Path

import pytest

import fake_resolve
from rushes.annotations import COLORS
from rushes_resolve import actions, context, render
from rushes_resolve.context import ClipUse, ResolveActionError
from test_actions import NTSC24, _silence, cut_in, feature, job_results, media_folder, pool_item


def test_every_annotation_colour_is_a_resolve_marker_colour():
    assert render.COLORS == COLORS
    assert {render.MARKER_COLOR[c] for c in COLORS} == set(context.MARKER_COLORS) == fake_resolve.MARKER_COLORS
    assert render.MARKER_COLOR["fuchsia"] == "Fuchsia" and render.MARKER_DEFAULT in context.MARKER_COLORS


def _session(resolve, tmp_path: Path, lines: list):
    session = actions._Session(resolve, {"log": lines.append, "out": str(tmp_path / "out")})
    session.output("studio.test")
    return session


def test_annotations_on_one_frame_share_a_marker_and_a_taken_frame_keeps_its_own(tmp_path, face_movie, version):
    """Straight through the renderers, no worker: two markers on one frame become one, a frame the
    editor marked keeps the editor's marker (counted, not nudged), what is outside the clip, of a type
    this adapter does not know or unreadable is counted; a rerun finds its own markers there."""
    resolve, project, timeline = feature(version=version)
    item = cut_in(project, timeline, pool_item(project, face_movie), 4, 20, 10)  # source 86404..86419 at 10..25
    timeline.AddMarker(12, "Mint", "mine", "the editor's", 1, "")  # where source frame 86406 lands
    lines = []
    session = _session(resolve, tmp_path, lines)
    use = ClipUse(item, "video", 1, session.clock, session.edition)
    items = [{"type": "Marker", "frame": 86408, "name": "a", "note": "one", "color": "rose"},
             {"type": "Range", "start": 86408, "end": 86411, "name": "b", "note": "two", "color": "sky"},
             {"type": "Marker", "frame": 86406, "name": "c"},  # on the editor's marker
             {"type": "Marker", "frame": 86402, "name": "before the clip's in"},
             {"type": "Range", "start": 86418, "end": 86430, "name": "past its out", "color": "mauve"},
             {"type": "Skeleton", "joints": []}, {"type": "Marker", "name": "no frame"}]
    for _ in range(2):
        canvas = render.Canvas(session, {"name": "studio.test"}, {})
        canvas.show(render.Place.clip(use), items, str(tmp_path))
        summary = canvas.finish()
        if not summary["markers"]["ours"]:
            first = summary
    assert first["markers"] == {"added": [14, 24], "ours": [], "kept": [12], "refused": []}
    markers = timeline.GetMarkers()
    assert markers[14.0] == {"color": "Rose", "duration": 3, "name": "a, b", "note": "one; two",
                             "customData": "rushes:studio.test"}
    assert markers[24.0] == {"color": "Blue", "duration": 2, "name": "past its out", "note": "",  # an unknown colour
                             "customData": "rushes:studio.test"}
    assert markers[12.0]["name"] == "mine" and len(markers) == 3
    assert first["left_out"] == {"outside the part of the source a clip plays": 1,
                                 "of a type this Resolve adapter does not know (Skeleton)": 1,
                                 "that could not be read (Marker)": 1}
    assert "rushes: 1 marker(s) not placed: the timeline has one of its own at 01:00:00:12" in lines
    assert summary["markers"] == {"added": [], "ours": [14, 24], "kept": [12], "refused": []}
    assert lines[-1].startswith("rushes: studio.test: 0 marker(s) added to 'Edit'; left out: 1 of a type")


def _dialogue(project, timeline, speech_wav, head: int, record: int):
    path, _ = speech_wav
    with wave.open(str(path)) as w:
        total = int(w.getnframes() / w.getframerate() * NTSC24)
    return cut_in(project, timeline, pool_item(project, path, "Sound"), head, total, record, media_type=2)


def test_speech_vad_regions_are_markers_as_long_as_the_speech(worker, speech_wav, tmp_path, version):
    """speech.vad reads sound: it runs on the audio clip (its whole file, frames from its head at the
    timeline's rate) and each region (a green Range) is a marker on the timeline as long as it is."""
    resolve, project, timeline = feature(version=version)
    head = 24
    _dialogue(project, timeline, speech_wav, head, 100)
    lines = []
    summary = actions.run_operator(resolve, "speech.vad", {"min_silence": 0.5}, client=worker, out=tmp_path / "vad",
                                   log=lines.append)
    (result,) = job_results(tmp_path / "vad", "speech.json")
    assert result["media"]["rate"] == {"num": 24000, "den": 1001} and result["media"]["first_frame"] == 0
    (block,) = result["annotations"]["sets"]
    assert len(block["items"]) == 2 and {i["type"] for i in block["items"]} == {"Range"}
    assert all(i["start"] > head for i in block["items"])  # 1.5 s of quiet first: all inside the clip
    expected = {100 + i["start"] - head: i["end"] - i["start"] for i in block["items"]}
    markers = timeline.GetMarkers()
    assert {int(f): m["duration"] for f, m in markers.items()} == expected
    assert {m["color"] for m in markers.values()} == {"Green"} and markers[min(markers)]["name"] == "speech 1"
    assert summary["markers"]["added"] == sorted(expected) and summary["out"] == str(tmp_path / "vad")
    assert any(line.startswith("rushes: speech.vad: 2 marker(s) added to 'Edit'") for line in lines)


def test_speech_synthesize_through_run_operator_takes_its_script_from_params(worker, tmp_path, version):
    """An operator that reads only a script: its path in params["input"], the result from the playhead."""
    resolve, project, timeline = feature(version=version)
    cut_in(project, timeline, pool_item(project, _silence(tmp_path), "Sound"), 0, 48, 0, media_type=2)
    timeline.SetCurrentTimecode("01:00:01:00")
    script = tmp_path / "sc 3.txt"
    script.write_text("ANNA: Go.\n", encoding="utf-8")
    summary = actions.run_operator(resolve, "speech.synthesize", {"input": str(script), "gap": 0.25}, client=worker,
                                   out=tmp_path / "voice", log=print)
    (made,) = summary["media"]
    assert made["track"] == "audio 2" and made["record"][0] == 24
    assert [c["text"] for c in summary["subtitles"]["cues"]] == ["ANNA: Go."]
    assert summary["subtitles"]["cues"][0]["start"] == 24 and summary["subtitles"]["track"] == 1
    (job,) = (tmp_path / "voice").glob("voice_sc_3/voice.json")
    assert json.loads(job.read_text(encoding="utf-8"))["params"]["gap"] == 0.25


def test_detect_characters_appearances_are_markers_as_long_as_each(worker, face_movie, tmp_path, version):
    """detect.characters (no cast): each appearance a Range named for the character, a marker as long
    as the appearance on the frames the clip plays it (the clip starts 3 frames into the take)."""
    resolve, project, timeline = feature(version=version)
    cut_in(project, timeline, pool_item(project, face_movie), 3, 24, 30)
    summary = actions.run_operator(resolve, "detect.characters", {"min_score": 0.5, "min_face": 24}, client=worker,
                                   out=tmp_path / "cast", log=print)
    (result,) = job_results(tmp_path / "cast", "characters.json")
    (block,) = result["annotations"]["sets"]
    assert block["source"]["first_frame"] == 86400 and block["items"], result
    expected = {30 + i["start"] - 86403: (i["end"] - i["start"], i["name"]) for i in block["items"]}
    assert all(i["start"] >= 86403 for i in block["items"])  # the face is on source frames 6-17
    markers = timeline.GetMarkers()
    assert {int(f): (m["duration"], m["name"]) for f, m in markers.items()} == expected
    assert {m["color"] for m in markers.values()} == {"Lavender"}  # not one of a cast
    assert expected[33] == (12, "unknown 1"), expected  # source frames 6-17 from record 30, the clip's in at 3
    assert summary["markers"]["added"] == sorted(expected)


@pytest.fixture()
def studio_operator(plugin_package):
    from fixtures import studio

    return plugin_package(studio.MODULE, studio.SOURCE)


def test_a_studio_kind_shows_in_resolve_with_no_host_change(worker, studio_operator, face_movie, tmp_path, version):
    """studio.breakdown -> Breakdown, a kind nothing under hosts/ names, found in the worker's list by
    number: its Marker a timeline marker, its Range a marker with duration, its two Tracks clip
    markers, its Caption a subtitle, its matte (Media) in the media pool beside the take and above it."""
    resolve, project, timeline = feature(version=version)
    take = pool_item(project, face_movie, "Plates")
    clip = cut_in(project, timeline, take, 0, 24, 48)
    lines = []
    offered = actions.run_operator(resolve, client=worker, log=lines.append)  # no operator: the list to pick from
    number = offered["operators"].index("studio.breakdown") + 1
    assert offered["out"] is None and ("rushes: %2d. studio.breakdown: Break a shot down: key frame, action, arm, line, "
                                       "matte (reads movie; parameters: key=2)" % number) in lines
    summary = actions.run_operator(resolve, str(number), {"key": 5}, client=worker, out=tmp_path / "bd", log=lines.append)
    assert summary["operator"] == "studio.breakdown"
    markers = timeline.GetMarkers()
    assert markers[48.0 + 5] == {"color": "Red", "duration": 1, "name": "key frame", "note": "the hand is highest",
                                 "customData": "rushes:studio.breakdown"}
    assert markers[48.0 + 1] == {"color": "Blue", "duration": 22, "name": "action", "note": "the arm moves",
                                 "customData": "rushes:studio.breakdown"}
    # both tracks start on the take's first frame: one clip marker, counted from the media's first frame
    (frame, held), = clip.GetMarkers().items()
    assert frame == 0.0 and held["name"] == "shoulder, hand" and held["duration"] == 24 and held["color"] == "Sky"
    shoulder, hand = held["note"].split("; ")
    assert shoulder.startswith("track shoulder: 24 point(s), source frames 86400-86423, from (80.0, 90.0) to (80.0, 90.0)")
    assert hand.startswith("track hand (hangs from shoulder): 24 point(s), a box on each, source frames 86400-86423, "
                           "from (80.0, 45.0) to (126.0, 45.0) px")
    (subtitle,) = timeline.GetItemListInTrack("subtitle", summary["subtitles"]["track"])
    assert subtitle.GetName() == "DIRECTOR: Action!" and (subtitle.start, subtitle.duration) == (86400 + 48, 2)
    (made,) = summary["media"]
    (out,) = (tmp_path / "bd").glob("breakdown/01_*")
    assert made["file"] == str(out / "breakdown" / "matte.png") and made["role"] == "matte"
    original, matte = media_folder(project, "Plates").GetClipList()
    assert original is take and matte.GetName() == "C003 faces.mov studio.breakdown" == made["clip"]
    assert matte.GetClipProperty("File Path") == made["file"] and matte.GetClipColor() == "Orange"
    (above,) = timeline.GetItemListInTrack("video", 2)  # on the key frame, one frame long, above the take
    assert above.media is matte and (above.start, above.duration) == (86400 + 48 + 5, 1)
    assert timeline.GetTrackName("video", 2) == "rushes studio.breakdown"
    assert summary["left_out"] == {} and resolve.studio_calls == []


def test_a_take_used_twice_runs_once_and_shows_at_each_clip(worker, studio_operator, face_movie, tmp_path):
    """studio.breakdown takes no frame range: one job for the take, its annotations at both clips that
    play it, its matte imported once and placed above each."""
    resolve, project, timeline = feature(version=(20, 2, 0))
    take = pool_item(project, face_movie, "Plates")
    first, second = cut_in(project, timeline, take, 0, 24, 0), cut_in(project, timeline, take, 0, 24, 30)
    lines = []
    summary = actions.run_operator(resolve, "studio.breakdown", client=worker, out=tmp_path / "bd", log=lines.append)
    assert len(job_results(tmp_path / "bd", "breakdown.json")) == 1
    assert sorted(int(f) for f in timeline.GetMarkers()) == [1, 2, 31, 32]  # the action and the key frame, twice
    assert [list(clip.GetMarkers()) for clip in (first, second)] == [[0.0], [0.0]]
    assert [c["start"] for c in summary["subtitles"]["cues"]] == [0, 30]
    assert [c.GetName() for c in media_folder(project, "Plates").GetClipList()] == [
        "C003 faces.mov", "C003 faces.mov studio.breakdown"]
    assert [(i.start - 86400, i.duration) for i in timeline.GetItemListInTrack("video", 2)] == [(2, 1), (32, 1)]
    assert "1 clip(s) in the media pool" in lines[-1] and "subtitle(s) on subtitle track 1" in lines[-1]


def test_an_operator_the_worker_does_not_have_is_one_line(worker, tmp_path):
    resolve, project, timeline = feature()
    with pytest.raises(ResolveActionError, match=r"^the rushes worker has no operator 'detect.shot' \(it offers 1\. "
                                                 r"detect\.characters, 2\. detect\.faces, "):
        actions.run_operator(resolve, "detect.shot", client=worker)
    with pytest.raises(ResolveActionError, match=r"^the rushes worker has no operator number 99 \(it offers 1\. "):
        actions.run_operator(resolve, 99, client=worker)
    with pytest.raises(ResolveActionError, match=r"^params \['x'\] is not a set of operator parameters"):
        actions.run_operator(resolve, "detect.shots", ["x"], client=worker)
    assert timeline.GetMarkers() == {} and not (tmp_path / "out").exists()


def test_the_run_operator_entry_offers_the_list_then_runs_the_one_chosen(worker, speech_wav, tmp_path, capsys):
    """Workspace > Scripts > rushes > Run Operator in free Resolve 19.1 (no dialog): its settings section
    chooses; without one, the numbered list goes to the Console."""
    import runpy

    from fake_resolve import DAVINCI
    from rushes_resolve import menu

    resolve, project, timeline = feature()
    _dialogue(project, timeline, speech_wav, 0, 0)
    settings = tmp_path / "rushes_settings.json"
    base = {"state_dir": str(worker.state), "output_root": str(tmp_path / "out"), "open_panel": False}
    settings.write_text(json.dumps(base), encoding="utf-8")
    lines = []
    offered = menu.run("run_operator", {"resolve": resolve}, str(settings), log=lines.append)
    assert offered["out"] is None and "speech.vad" in offered["operators"] and timeline.GetMarkers() == {}
    number = offered["operators"].index("speech.vad") + 1
    assert lines[0].startswith("rushes: the rushes worker offers %d operator(s); choose one by name or number as "
                               "\"operator\" in the \"run_operator\" section of rushes_settings.json" % len(offered["operators"]))
    assert any(line.startswith("rushes: %2d. speech.vad: " % number) for line in lines)

    settings.write_text(json.dumps(dict(base, run_operator={"operator": number, "params": {"pad": 0.1}})), encoding="utf-8")
    summary = menu.run("run_operator", {"resolve": resolve}, str(settings), log=lines.append)
    assert summary["operator"] == "speech.vad" and len(summary["markers"]["added"]) == 2
    assert summary["out"] == str(tmp_path / "out" / "Feature" / "Edit" / "speech.vad")
    (vad,) = job_results(Path(summary["out"]), "speech.json")
    assert vad["params"]["pad"] == 0.1

    runpy.run_path(str(DAVINCI / "scripts" / "rushes" / "Run Operator.py"), init_globals={"resolve": fake_resolve.Resolve()})
    assert capsys.readouterr().out.endswith("rushes: no project is open in DaVinci Resolve\n")


class _OldWorker(object):
    """A worker from before contract v2: its results carry no annotations."""

    def __init__(self, client):
        self.client = client

    def operators(self):
        return self.client.operators()

    def submit(self, spec):
        return "old"

    def follow(self, job, wait=1.0, stop=None):  # the job client's signature
        return iter([{"seq": 1, "phase": "done", "fraction": 1.0}])

    def status(self, job):
        return {"state": "done", "result": {"out_dir": "/nowhere", "files": [],
                                            "result": {"operator": "speech.vad", "kind": "SpeechRegions"}}}


def test_a_result_without_annotations_is_one_line(worker, speech_wav, tmp_path):
    resolve, project, timeline = feature()
    _dialogue(project, timeline, speech_wav, 0, 0)
    with pytest.raises(ResolveActionError, match=r"^the speech.vad result has no annotations: the rushes worker is "
                                                 r"older than these scripts \(update rushes, then restart `rushes serve`\)$"):
        actions.run_operator(resolve, "speech.vad", client=_OldWorker(worker), out=tmp_path / "old")
    assert timeline.GetMarkers() == {} and timeline.GetTrackCount("subtitle") == 0

"""The Resolve actions end to end: a fake Resolve (checked against fusionscript-stubs elsewhere) and a
real rushes worker on real media, timelines at 01:00:00:00 (23.976) and 01:00:00;00 (29.97 DF),
clips trimmed at their head; markers, SRT and OTIO read back and compared frame by frame."""
from __future__ import annotations

import json
import shutil
import wave
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
import srt

from fake_resolve import Resolve
from rushes.media import read_image
from rushes.media.timecode import frame_to_timecode, timecode_to_frame
from rushes_resolve import actions
from rushes_resolve.context import ResolveActionError

NTSC24, NTSC30 = Fraction(24000, 1001), Fraction(30000, 1001)


def feature(rate: str = "23.976", start: str = "01:00:00:00", name: str = "Edit"):
    resolve = Resolve()
    project = resolve.manager.open_project("Feature", rate)
    return resolve, project, project.new_timeline(name, start)


def pool_item(project, path, bin_name: str = "Dailies"):
    pool = project.GetMediaPool()
    folders = {f.GetName(): f for f in pool.GetRootFolder().GetSubFolderList()}
    folder = folders.get(bin_name) or pool.AddSubFolder(pool.GetRootFolder(), bin_name)
    pool.SetCurrentFolder(folder)
    (item,) = pool.ImportMedia([str(path)])
    pool.SetCurrentFolder(pool.GetRootFolder())
    return item


def cut_in(project, timeline, item, first: int, end: int, record: int, track: int = 1, media_type: int = 1):
    """Append source frames [first, end) (from the file's start) at `record` frames after the timeline start."""
    placed = project.GetMediaPool().AppendToTimeline([{
        "mediaPoolItem": item, "startFrame": first, "endFrame": end - 1, "recordFrame": timeline.GetStartFrame() + record,
        "trackIndex": track, "mediaType": media_type}])
    assert len(placed) == 1
    return placed[0]


def job_results(out: Path, stem: str) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob(f"*/*/{stem}"))]


def test_markers_at_cuts_on_a_23976_timeline_and_a_shots_timeline(worker, cut_movies, tmp_path):
    resolve, project, timeline = feature()
    assert timeline.GetStartFrame() == 86400
    media = pool_item(project, cut_movies["23.976"])
    assert media.GetClipProperty("Start TC") == "10:00:00:00"
    cut_in(project, timeline, media, 20, 140, 0)  # head trimmed: the clip starts 20 frames into the take
    cut_in(project, timeline, media, 160, 290, 130)  # 10 frames of gap before it
    timeline.AddMarker(80, "Red", "note", "the editor's own", 1, "")  # where a cut will land
    project.GetMediaPool().CreateEmptyTimeline("Edit shots")  # the name the shots timeline would take
    project.SetCurrentTimeline(timeline)
    out = tmp_path / "markers"

    summary = actions.markers_at_cuts(resolve, client=worker, out=out, method="fast", otio_timeline=True, log=print)

    first = timecode_to_frame("10:00:00:00", NTSC24)  # 864000: source frames count from the take's timecode
    expected = set()
    for result, (a, rec) in zip(job_results(out, "shots.json"), [(20, 0), (160, 130)]):
        assert result["media"]["frame_range"] == [first + a, first + a + (120 if a == 20 else 130)]
        expected |= {rec + c - (first + a) for c in result["cuts"] if first + a < c < result["media"]["frame_range"][1]}
    assert summary["markers"] == sorted(expected)
    # the take's hard cuts 50, 100 and 230, each well inside a clip, are among them
    truth = {rec + c - a for a, b, rec in [(20, 140, 0), (160, 290, 130)] for c in cut_movies["truth"] if a + 20 < c < b - 20}
    assert truth == {30, 80, 200} and truth <= expected
    markers = timeline.GetMarkers()
    assert {int(f) for f in markers} == expected
    assert markers[80.0]["note"] == "the editor's own" and summary["report"]["kept"] == [80]
    for frame in expected - {80}:
        assert markers[float(frame)]["color"] == "Cyan" and markers[float(frame)]["customData"] == "rushes:cut"

    # the shots timeline: one clip per shot at the record frames, source frames from the timecode
    assert summary["timeline"] == "Edit shots 2" and project.GetCurrentTimeline() is timeline
    doc = otio.adapters.read_from_file(summary["otio"])
    assert doc.global_start_time == otio.opentime.RationalTime(86400, float(NTSC24))
    clips = list(doc.video_tracks()[0].find_clips())
    bounds = sorted(expected - {0})
    cuts_src = [first + 20 + f for f in bounds if f < 120] + [first + 160 + f - 130 for f in bounds if f >= 130]
    starts = [first + 20] + [c for c in cuts_src if c < first + 140] + [first + 160] + [c for c in cuts_src if c > first + 160]
    assert [int(c.source_range.start_time.value) for c in clips] == starts
    track = doc.video_tracks()[0]
    records = [int(track.range_of_child(c).start_time.value) for c in clips]
    assert records == [s - first - 20 if s < first + 140 else s - first - 160 + 130 for s in starts]
    assert sum(int(c.source_range.duration.value) for c in clips) == 250
    made = project.GetTimelineByIndex(3)
    assert made.GetName() == "Edit shots 2" and len(made.GetItemListInTrack("video", 1)) == len(clips)
    assert resolve.studio_calls == []

    again = actions.markers_at_cuts(resolve, client=worker, out=out, method="fast", log=print)
    assert again["report"]["added"] == [] and set(again["report"]["ours"]) == expected - {80}


def test_markers_on_a_29_97_drop_frame_timeline(worker, cut_movies, tmp_path):
    resolve, project, timeline = feature("29.97 DF", "01:00:00;00")
    assert timeline.GetStartFrame() == 107892 and timeline.GetStartTimecode() == "01:00:00;00"
    media = pool_item(project, cut_movies["29.97"])
    cut_in(project, timeline, media, 40, 200, 12)
    lines = []
    summary = actions.markers_at_cuts(resolve, client=worker, out=tmp_path / "m", method="fast", log=lines.append)
    first = timecode_to_frame("00:59:58;00", NTSC30)
    (result,) = job_results(tmp_path / "m", "shots.json")
    assert result["media"]["first_frame"] == first and result["media"]["frame_range"] == [first + 40, first + 200]
    expected = sorted(12 + c - (first + 40) for c in result["cuts"] if first + 40 < c < first + 200)
    assert summary["markers"] == expected and {22, 72, 122} <= set(expected)  # cuts 50, 100, 150 of the take
    assert sorted(int(f) for f in timeline.GetMarkers()) == expected
    assert any("cut marker(s) added" in line for line in lines)


def test_subtitles_on_a_new_track_at_the_timeline_timecode(worker, speech_wav, tmp_path):
    path, texts = speech_wav
    resolve, project, timeline = feature()
    wav = pool_item(project, path, "Sound")
    seconds = 1.5 + 0.5  # the head trim: the clip starts half a second before the first sentence
    head = round(seconds * NTSC24)
    with wave.open(str(path)) as w:
        total = int(w.getnframes() / w.getframerate() * NTSC24)
    clip = cut_in(project, timeline, wav, head, total, 240, media_type=2)  # at 01:00:10:00
    user_srt = tmp_path / "user.srt"
    user_srt.write_text("1\n01:00:00,000 --> 01:00:02,000\nTitle card\n", encoding="utf-8")
    timeline.AddTrack("subtitle")
    project.GetMediaPool().AppendToTimeline([{"mediaPoolItem": pool_item(project, user_srt, "Subs")}])
    assert len(timeline.GetItemListInTrack("subtitle", 1)) == 1

    summary = actions.subtitles(resolve, client=worker, out=tmp_path / "subs", log=print)

    assert summary["track"] == 2 and timeline.GetTrackCount("subtitle") == 2
    assert [i.GetName() for i in timeline.GetItemListInTrack("subtitle", 1)] == ["Title card"]
    transcript = json.loads(Path(json.loads(Path(summary["json"]).read_text(encoding="utf-8"))["clips"][0]["transcript"])
                            .read_text(encoding="utf-8"))
    assert transcript["rate"] == {"num": 24000, "den": 1001} and transcript["first_frame"] == 0
    expected = [(240 + max(s["start_frame"], head) - head, 240 + min(s["end_frame"], total) - head, s["lines"])
                for s in transcript["subtitles"] if s["end_frame"] > head]
    assert clip.GetLeftOffset(False) == head
    cues = list(srt.parse(Path(summary["srt"]).read_text(encoding="utf-8")))
    assert len(cues) == len(expected) >= 2
    for cue, (a, b, lines) in zip(cues, expected):
        assert cue.start == timedelta(seconds=3600) + timedelta(milliseconds=round(1000 * a / NTSC24))
        assert cue.end == timedelta(seconds=3600) + timedelta(milliseconds=round(1000 * b / NTSC24))
        assert cue.content == "\n".join(lines)
    assert cues[0].start >= timedelta(seconds=3610)  # nothing before the clip's record in at 01:00:10:00
    words = " ".join(c.content.replace("\n", " ") for c in cues).lower()
    for text in texts:
        assert sum(w.strip(".,;").lower() in words for w in text.split()) >= 0.8 * len(text.split())
    placed = timeline.GetItemListInTrack("subtitle", 2)
    assert [(i.GetStart(False) - 86400, i.GetEnd(False) - 86400) for i in placed] == [(a, b) for a, b, _ in expected]
    data = json.loads(Path(summary["json"]).read_text(encoding="utf-8"))
    assert data["start_timecode"] == "01:00:00:00" and data["subtitles"][0]["start_frame"] == expected[0][0]
    assert resolve.studio_calls == []


def test_scratch_voice_on_a_new_audio_track_in_a_rushes_bin(worker, tmp_path):
    resolve, project, timeline = feature()
    pool = project.GetMediaPool()
    cut_in(project, timeline, pool_item(project, _silence(tmp_path), "Sound"),
           0, 48, 0, media_type=2)
    timeline.SetCurrentTimecode("01:00:02:00")
    script = tmp_path / "sc12.txt"
    script.write_text("MARY: Did you hear that?\nJOHN: Stay here.\n", encoding="utf-8")
    here = pool.GetCurrentFolder()
    summary = actions.scratch_voice(resolve, str(script), client=worker, out=tmp_path / "voice", log=print)
    voice = json.loads((Path(summary["out"]) / "voice.json").read_text(encoding="utf-8"))
    assert summary["track"] == 2 and timeline.GetTrackName("audio", 2) == "rushes voice"
    placed = timeline.GetItemListInTrack("audio", 2)
    assert [i.GetStart(False) - 86400 for i in placed] == [48 + round(Fraction(str(l["start"])) * NTSC24)
                                                           for l in voice["lines"]]
    for item, line in zip(placed, voice["lines"]):
        assert item.GetDuration(False) >= (line["end"] - line["start"]) * float(NTSC24)
    (bin_,) = [f for f in pool.GetRootFolder().GetSubFolderList() if f.GetName() == "rushes"]
    assert sorted(c.GetClipProperty("File Path") for c in bin_.GetClipList()) == \
        sorted(str(Path(summary["out"]) / l["file"]) for l in voice["lines"])
    assert pool.GetCurrentFolder() is here and len(timeline.GetItemListInTrack("audio", 1)) == 1


def _silence(folder: Path) -> Path:
    path = folder / "room tone.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 48000)
    return path


@pytest.fixture(scope="module")
def small_plate(tmp_path_factory):
    """A 64x36 take of 16 frames at 23.976, timecode 01:00:00:00 (one tile per frame: quick to upscale)."""
    import numpy as np

    from rushes.media import encode_movie

    ramp = np.linspace(0, 255, 64 * 36 * 3).reshape(36, 64, 3).astype(np.uint8)
    pictures = (np.roll(ramp, k, axis=1) for k in range(16))
    return encode_movie(pictures, tmp_path_factory.mktemp("plate") / "C003 faces.mov", NTSC24, "h264", "01:00:00:00")


def test_upscale_the_marked_part_of_a_selected_clip_beside_it(worker, small_plate, tmp_path):
    face_movie = small_plate
    resolve, project, timeline = feature()
    pool = project.GetMediaPool()
    plate = pool_item(project, face_movie, "Plates")
    plate.SetMarkInOut(10, 11)  # the last frame in: two frames
    pool.SetSelectedClip(plate)
    summary = actions.upscale_clips(resolve, client=worker, out=tmp_path / "up", scale=2, log=print)
    (made,) = summary["clips"]
    assert made["frames"] == [86400 + 10, 86400 + 12]
    (folder,) = [f for f in pool.GetRootFolder().GetSubFolderList() if f.GetName() == "Plates"]
    original, new = folder.GetClipList()
    assert original is plate and plate.GetClipColor() == "" and plate.GetName() == face_movie.name
    assert new.GetClipColor() == "Orange" and new.GetName() == face_movie.name + " upscaled"
    # a part of a clip comes back as numbered frames, imported as one sequence clip
    assert new.GetClipProperty("File Path").endswith("C003 faces.[086410-086411].png")
    for n in (86410, 86411):
        pixels, _ = read_image(Path(made["file"] % n))
        assert pixels.shape[:2] == (72, 128)


def test_face_markers_and_anonymize_the_clip_under_the_playhead(worker, face_movie, tmp_path):
    resolve, project, timeline = feature()
    media = pool_item(project, face_movie, "Plates")
    cut_in(project, timeline, media, 3, 24, 10)  # the face is on source frames 6-17
    face = actions.face_markers(resolve, client=worker, out=tmp_path / "faces", model="full", min_score=0.5,
                                log=print)
    (track,) = face["tracks"]
    assert track["source"] == [86400 + 6, 86400 + 18] and track["record"] == [13, 25]
    assert face["markers"] == [13, 24]
    markers = timeline.GetMarkers()
    assert "starts" in markers[13.0]["note"] and "ends" in markers[24.0]["note"]

    timeline.SetCurrentTimecode(frame_to_timecode(86400 + 15, NTSC24))
    anonymized = actions.anonymize_clips(resolve, client=worker, out=tmp_path / "anon", encode="h264", model="full",
                                         min_score=0.5, log=print)
    (made,) = anonymized["clips"]
    assert made["frames"] == [86400 + 3, 86400 + 24]  # the part of the take the clip plays
    folder = media_folder(project, "Plates")
    assert [c.GetClipColor() for c in folder.GetClipList()] == ["", "Teal"]
    assert len(timeline.GetItemListInTrack("video", 1)) == 1  # the edit is untouched


def media_folder(project, name):
    return next(f for f in project.GetMediaPool().GetRootFolder().GetSubFolderList() if f.GetName() == name)


def test_a_failed_job_is_one_message(worker, tmp_path, face_movie):
    resolve, project, timeline = feature()
    broken = tmp_path / "broken.mov"
    shutil.copy(face_movie, broken)
    media = pool_item(project, broken)
    cut_in(project, timeline, media, 0, 24, 0)
    broken.write_bytes(b"not a movie any more")
    with pytest.raises(ResolveActionError, match=r"detect\.shots on broken\.mov (failed|refused)|refused detect"):
        actions.markers_at_cuts(resolve, client=worker, out=tmp_path / "x", method="fast", log=print)

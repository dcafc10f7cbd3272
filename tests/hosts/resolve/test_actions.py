"""The Resolve actions end to end: a fake Resolve of each release in fake_resolve.VERSIONS (checked
against fusionscript-stubs and the scripting READMEs elsewhere) and a real rushes worker on real
media, timelines at 01:00:00:00 (23.976) and 01:00:00;00 (29.97 DF), clips trimmed at their head;
markers, SRT and OTIO read back and compared frame by frame; what a release lacks is one line naming
the release that has it."""
from __future__ import annotations

import json
import re
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


def feature(rate: str = "23.976", start: str = "01:00:00:00", name: str = "Edit", version=(19, 1, 3, 7), **fake):
    resolve = Resolve(version=version, **fake)
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


def test_markers_at_cuts_on_a_23976_timeline_and_a_shots_timeline(worker, cut_movies, tmp_path, version):
    """detect.shots' Markers as timeline markers (the preset's Cyan over the result's red), and the
    host's own touch: a new timeline of the clips cut at those markers, from the OTIO it writes."""
    resolve, project, timeline = feature(version=version)
    assert timeline.GetStartFrame() == 86400
    media = pool_item(project, cut_movies["23.976"])
    assert media.GetClipProperty("Start TC") == "10:00:00:00"
    cut_in(project, timeline, media, 20, 140, 0)  # head trimmed: the clip starts 20 frames into the take
    cut_in(project, timeline, media, 160, 290, 130)  # 10 frames of gap before it
    timeline.AddMarker(80, "Red", "note", "the editor's own", 1, "")  # where a cut will land
    project.GetMediaPool().CreateEmptyTimeline("Edit shots")  # the name the shots timeline would take
    project.SetCurrentTimeline(timeline)
    out = tmp_path / "markers"

    lines = []
    summary = actions.markers_at_cuts(resolve, client=worker, out=out, method="fast", otio_timeline=True, log=lines.append)

    first = timecode_to_frame("10:00:00:00", NTSC24)  # 864000: source frames count from the take's timecode
    expected = {}
    for result, (a, rec) in zip(job_results(out, "shots.json"), [(20, 0), (160, 130)]):
        assert result["media"]["frame_range"] == [first + a, first + a + (120 if a == 20 else 130)]
        (block,) = result["annotations"]["sets"]
        for item in block["items"]:
            if first + a <= item["frame"] < result["media"]["frame_range"][1]:
                expected[rec + item["frame"] - (first + a)] = item
    assert sorted(summary["markers"]["added"] + summary["markers"]["kept"]) == sorted(expected)
    # the take's hard cuts 50, 100 and 230, each well inside a clip, are among them
    truth = {rec + c - a for a, b, rec in [(20, 140, 0), (160, 290, 130)] for c in cut_movies["truth"] if a + 20 < c < b - 20}
    assert truth == {30, 80, 200} and truth <= set(expected)
    markers = timeline.GetMarkers()
    assert {int(f) for f in markers} == set(expected)
    assert markers[80.0]["note"] == "the editor's own" and summary["markers"]["kept"] == [80]
    assert "rushes: 1 marker(s) not placed: the timeline has one of its own at 01:00:03:08" in lines
    for frame in set(expected) - {80}:
        assert markers[float(frame)] == {"color": "Cyan", "duration": 1, "name": expected[frame]["name"],
                                         "note": expected[frame]["note"], "customData": "rushes:detect.shots"}
        assert expected[frame]["name"].startswith("cut ") and expected[frame]["note"].startswith("confidence ")

    # the shots timeline: one clip per shot at the record frames, source frames from the timecode
    assert project.GetCurrentTimeline() is timeline
    assert Path(summary["otio"]) == out / "Edit_shots_2.otio"
    if version < (18, 6, 5):  # no OTIO import by script: the file is there to import by hand
        assert summary["timeline"] is None and project.GetTimelineCount() == 2
        assert ("rushes: importing an OTIO timeline by script needs DaVinci Resolve 18.6.5 or later; this is "
                "DaVinci Resolve %s: import %s with File > Import > Timeline" % (".".join(map(str, version)),
                                                                                 summary["otio"])) in lines
    else:
        assert summary["timeline"] == "Edit shots 2"
    doc = otio.adapters.read_from_file(summary["otio"])
    assert doc.global_start_time == otio.opentime.RationalTime(86400, float(NTSC24))
    clips = list(doc.video_tracks()[0].find_clips())
    bounds = sorted(set(expected) - {0})
    cuts_src = [first + 20 + f for f in bounds if f < 120] + [first + 160 + f - 130 for f in bounds if f >= 130]
    starts = [first + 20] + [c for c in cuts_src if c < first + 140] + [first + 160] + [c for c in cuts_src if c > first + 160]
    assert [int(c.source_range.start_time.value) for c in clips] == starts
    track = doc.video_tracks()[0]
    records = [int(track.range_of_child(c).start_time.value) for c in clips]
    assert records == [s - first - 20 if s < first + 140 else s - first - 160 + 130 for s in starts]
    assert sum(int(c.source_range.duration.value) for c in clips) == 250
    if version >= (18, 6, 5):
        made = project.GetTimelineByIndex(3)
        assert made.GetName() == "Edit shots 2" and len(made.GetItemListInTrack("video", 1)) == len(clips)
    assert resolve.studio_calls == []

    again = actions.markers_at_cuts(resolve, client=worker, out=out, method="fast", log=print)
    assert again["markers"]["added"] == [] and set(again["markers"]["ours"]) == set(expected) - {80}


def test_markers_on_a_29_97_drop_frame_timeline(worker, cut_movies, tmp_path, version):
    resolve, project, timeline = feature("29.97 DF", "01:00:00;00", version=version)
    assert timeline.GetStartFrame() == 107892 and timeline.GetStartTimecode() == "01:00:00;00"
    media = pool_item(project, cut_movies["29.97"])
    cut_in(project, timeline, media, 40, 200, 12)
    lines = []
    summary = actions.markers_at_cuts(resolve, client=worker, out=tmp_path / "m", method="fast", log=lines.append)
    first = timecode_to_frame("00:59:58;00", NTSC30)
    (result,) = job_results(tmp_path / "m", "shots.json")
    assert result["media"]["first_frame"] == first and result["media"]["frame_range"] == [first + 40, first + 200]
    expected = sorted(12 + c - (first + 40) for c in result["cuts"] if first + 40 <= c < first + 200)
    assert summary["markers"]["added"] == expected and {22, 72, 122} <= set(expected)  # cuts 50, 100, 150 of the take
    assert sorted(int(f) for f in timeline.GetMarkers()) == expected
    assert any(line.startswith("rushes: detect.shots: %d marker(s) added to 'Edit'" % len(expected)) for line in lines)


def test_subtitles_on_a_new_track_at_the_timeline_timecode(worker, speech_wav, tmp_path, version):
    """speech.transcribe's Captions: one SRT at the timeline's clock, cut to the clip's in/out, on a new
    subtitle track beside the user's."""
    path, texts = speech_wav
    resolve, project, timeline = feature(version=version)
    wav = pool_item(project, path, "Sound")
    seconds = 1.5 + 0.5  # the head trim: the clip starts half a second before the first sentence
    head = round(seconds * NTSC24)
    with wave.open(str(path)) as w:
        total = int(w.getnframes() / w.getframerate() * NTSC24)
    clip = cut_in(project, timeline, wav, head, total, 240, media_type=2)  # at 01:00:10:00
    user_srt = _user_srt(tmp_path, "user.srt")
    timeline.AddTrack("subtitle")
    project.GetMediaPool().AppendToTimeline([{"mediaPoolItem": pool_item(project, user_srt, "Subs")}])
    assert len(timeline.GetItemListInTrack("subtitle", 1)) == 1

    summary = actions.subtitles(resolve, client=worker, out=tmp_path / "subs", log=print)

    subtitles = summary["subtitles"]
    assert subtitles["track"] == 2 and timeline.GetTrackCount("subtitle") == 2
    assert [i.GetName() for i in timeline.GetItemListInTrack("subtitle", 1)] == ["Title card"]
    (transcript,) = job_results(tmp_path / "subs", "transcript.json")
    assert transcript["rate"] == {"num": 24000, "den": 1001} and transcript["first_frame"] == 0
    expected = [(240 + max(s["start_frame"], head) - head, 240 + min(s["end_frame"], total) - head, s["lines"])
                for s in transcript["subtitles"] if s["end_frame"] > head]
    assert clip.source_start == head
    cues = list(srt.parse(Path(subtitles["srt"]).read_text(encoding="utf-8")))
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
    assert [(i.start - 86400, i.start + i.duration - 86400) for i in placed] == [(a, b) for a, b, _ in expected]
    assert [(c["start"], c["end"]) for c in subtitles["cues"]] == [(a, b) for a, b, _ in expected]
    # what went into the pool is a numbered copy of the SRT, beside it
    (copy,) = [c for c in media_folder(project, "rushes").GetClipList()]
    assert copy.GetClipProperty("File Path") == str(tmp_path / "subs" / "Edit_transcript_1.srt")
    assert Path(copy.GetClipProperty("File Path")).read_bytes() == Path(subtitles["srt"]).read_bytes()
    assert user_srt.read_text(encoding="utf-8") == USER_SRT
    assert resolve.studio_calls == []


USER_SRT = "1\n01:00:00,000 --> 01:00:02,000\nTitle card\n"


def _user_srt(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(USER_SRT, encoding="utf-8")
    return path


def _speech_clip(project, timeline, path: Path, head: int, record: int):
    """The dialogue from `head` frames into the file to its end, at `record`, on audio track 1."""
    with wave.open(str(path)) as w:
        total = int(w.getnframes() / w.getframerate() * NTSC24)
    return cut_in(project, timeline, pool_item(project, path, "Sound"), head, total, record, media_type=2)


def test_subtitles_again_after_an_edit_import_a_new_copy(worker, speech_wav, tmp_path):
    """Resolve hands back the clip it has for an SRT of a name it has seen: each run imports a copy under
    a name the pool does not have, so the second run places the edited dialogue's subtitles, not the
    first run's; the user's SRT of the name rushes would have taken is left as it is."""
    path, _ = speech_wav
    resolve, project, timeline = feature(version=(20, 2, 0))
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    user_srt = _user_srt(theirs, "Edit_transcript_1.srt")
    before = user_srt.stat().st_mtime_ns
    pool_item(project, user_srt, "Subs")
    clip = _speech_clip(project, timeline, path, 0, 0)
    out = tmp_path / "subs"
    first = actions.subtitles(resolve, client=worker, out=out, log=print)["subtitles"]
    cues_1 = list(srt.parse(Path(first["srt"]).read_text(encoding="utf-8")))
    assert first["track"] == 1 and len(cues_1) >= 2

    timeline.DeleteClips([clip])  # the editor keeps only the last line
    head = round(Fraction(str(cues_1[-1].start.total_seconds() - 3600)) * NTSC24) - 2
    _speech_clip(project, timeline, path, head, 0)
    second = actions.subtitles(resolve, client=worker, out=out, log=print)["subtitles"]
    cues_2 = list(srt.parse(Path(second["srt"]).read_text(encoding="utf-8")))
    assert second["track"] == 2 and 1 <= len(cues_2) < len(cues_1), (cues_1, cues_2)
    assert [i.GetName() for i in timeline.GetItemListInTrack("subtitle", 2)] == [c.content for c in cues_2]
    assert [i.GetName() for i in timeline.GetItemListInTrack("subtitle", 1)] == [c.content for c in cues_1]
    assert sorted(c.GetName() for c in media_folder(project, "rushes").GetClipList()) == \
        ["Edit_transcript_2.srt", "Edit_transcript_3.srt"]
    assert user_srt.read_text(encoding="utf-8") == USER_SRT and user_srt.stat().st_mtime_ns == before
    assert [c.GetClipProperty("File Path") for c in media_folder(project, "Subs").GetClipList()] == [str(user_srt)]


def test_subtitles_resolve_puts_elsewhere_are_removed_again(worker, speech_wav, tmp_path):
    """An append that ignores recordFrame and puts the subtitles after the end of the timeline (as users
    report): rushes checks where the first one landed, removes what it placed and says how to import."""
    path, _ = speech_wav
    resolve, project, timeline = feature(version=(19, 1, 0), subtitle_append="end")
    timeline.AddTrack("subtitle")
    project.GetMediaPool().AppendToTimeline([{"mediaPoolItem": pool_item(project, _user_srt(tmp_path, "user.srt"))}])
    _speech_clip(project, timeline, path, 0, 240)
    lines = []
    summary = actions.subtitles(resolve, client=worker, out=tmp_path / "subs", log=lines.append)["subtitles"]
    assert summary["track"] is None and Path(summary["srt"]).is_file()
    assert timeline.GetTrackCount("subtitle") == 1 and [i.GetName() for i in timeline.GetItemListInTrack("subtitle", 1)] \
        == ["Title card"]
    first = frame_to_timecode(86400 + summary["cues"][0]["start"], NTSC24)
    (said,) = [line for line in lines if "put the first subtitle" in line]
    end = frame_to_timecode(timeline.GetEndFrame(), NTSC24)
    assert said == ("rushes: Resolve put the first subtitle at %s, not at %s, so rushes removed them again; import %s "
                    "with File > Import > Subtitle (its first subtitle is at %s)" % (end, first, summary["srt"], first))


def test_scratch_voice_on_a_new_audio_track_with_its_lines_as_subtitles(worker, tmp_path, version):
    """speech.synthesize's VoiceLines, on a millisecond clock: the combined file (audio Media) on a new
    audio track at the playhead, each line (a Caption with its character) a subtitle there too."""
    resolve, project, timeline = feature(version=version)
    pool = project.GetMediaPool()
    cut_in(project, timeline, pool_item(project, _silence(tmp_path), "Sound"), 0, 48, 0, media_type=2)
    timeline.SetCurrentTimecode("01:00:02:00")
    script = tmp_path / "sc12.txt"
    script.write_text("MARY: Did you hear that?\nJOHN: Stay here.\n", encoding="utf-8")
    here = pool.GetCurrentFolder()
    summary = actions.scratch_voice(resolve, str(script), client=worker, out=tmp_path / "voice", log=print)
    (voice_json,) = (tmp_path / "voice").glob("*/voice.json")
    voice = json.loads(voice_json.read_text(encoding="utf-8"))
    (shown,) = summary["media"]
    assert shown["track"] == "audio 2" and timeline.GetTrackName("audio", 2) == "rushes speech.synthesize"
    (placed,) = timeline.GetItemListInTrack("audio", 2)
    assert placed.start - 86400 == 48 and shown["record"] == [48, 48 + placed.duration]
    assert placed.duration >= voice["lines"][-1]["end"] * float(NTSC24) - 1
    assert placed.media.GetClipProperty("File Path") == str(voice_json.parent / voice["combined"])
    (bin_,) = [f for f in pool.GetRootFolder().GetSubFolderList() if f.GetName() == "rushes"]
    assert str(voice_json.parent / voice["combined"]) in [c.GetClipProperty("File Path") for c in bin_.GetClipList()]
    assert pool.GetCurrentFolder() is here and len(timeline.GetItemListInTrack("audio", 1)) == 1
    subtitles = timeline.GetItemListInTrack("subtitle", summary["subtitles"]["track"])
    assert [i.GetName() for i in subtitles] == ["MARY: Did you hear that?", "JOHN: Stay here."]
    for item, line in zip(subtitles, voice["lines"]):
        assert abs(item.start - 86400 - (48 + float(Fraction(str(line["start"])) * NTSC24))) <= 1


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


def test_upscale_the_marked_part_of_a_selected_clip_beside_it(worker, small_plate, tmp_path, version):
    """gan.upscale's Media: from 19.1 the selected clip's marked part, imported beside it, coloured and
    renamed; before 19.0.2 scripts cannot see the selection, so the same two frames are taken from the
    clip under the playhead, and the new clip also goes on a new track above it."""
    resolve, project, timeline = feature(version=version)
    pool = project.GetMediaPool()
    plate = pool_item(project, small_plate, "Plates")
    plate.mark(10, 11)  # the last frame in: two frames
    pool.select(plate)
    lines = []
    named = ".".join(map(str, version))
    if version < (19, 0, 2):
        with pytest.raises(ResolveActionError, match=r"^no clip chosen: put the playhead over a clip on the timeline "
                           r"\(reading which media pool clips are selected needs DaVinci Resolve 19\.0\.2 or later; "
                           r"this is DaVinci Resolve %s\)$" % re.escape(named)):
            actions.upscale_clips(resolve, client=worker, out=tmp_path / "up", scale=2, log=lines.append)
        cut_in(project, timeline, plate, 10, 12, 0)
    summary = actions.upscale_clips(resolve, client=worker, out=tmp_path / "up", scale=2, log=lines.append)
    if version < (19, 0, 2):
        assert ("rushes: reading which media pool clips are selected needs DaVinci Resolve 19.0.2 or later; this is "
                "DaVinci Resolve %s: taking 'C003 faces.mov' under the playhead" % named) in lines
    (made,) = summary["media"]
    (frames_json,) = job_results(tmp_path / "up", "frames.json")
    assert frames_json["media"]["frame_range"] == [86400 + 10, 86400 + 12]
    (folder,) = [f for f in pool.GetRootFolder().GetSubFolderList() if f.GetName() == "Plates"]
    original, new = folder.GetClipList()
    assert original is plate and plate.GetClipColor() == "" and plate.GetName() == small_plate.name
    assert new.GetClipColor() == "Orange" and new.GetName() == small_plate.name + " upscaled" == made["clip"]
    # the Media annotation's numbered frames, imported as one sequence clip
    assert new.GetClipProperty("File Path").endswith("C003 faces.[086410-086411].png")
    assert made["file"].endswith("C003 faces.######.png") and made["role"] == "plate"
    for n in (86410, 86411):
        pixels, _ = read_image(Path(made["file"].replace("######", "%06d" % n)))
        assert pixels.shape[:2] == (72, 128)
    if version < (19, 0, 2):  # the clip is on the timeline: the new one goes above it, frame for frame
        (above,) = timeline.GetItemListInTrack("video", 2)
        assert made["track"] == "video 2" and made["record"] == [0, 2] and above.media is new
        assert (above.start, above.duration, above.source_start) == (86400, 2, 0)
    else:
        assert made["track"] is None and timeline.GetTrackCount("video") == 1


def test_upscale_a_selected_clip_where_its_marks_cannot_be_read(worker, small_plate, tmp_path):
    """19.0.2 tells scripts the selection but not a clip's in and out (19.1): all of it, said in one line."""
    resolve, project, timeline = feature(version=(19, 0, 2))
    pool = project.GetMediaPool()
    plate = pool_item(project, small_plate, "Plates")
    plate.mark(10, 11)
    pool.select(plate)
    lines = []
    summary = actions.upscale_clips(resolve, client=worker, out=tmp_path / "up", scale=2, log=lines.append)
    assert ("rushes: reading a media pool clip's marked in and out needs DaVinci Resolve 19.1.0 or later; this is "
            "DaVinci Resolve 19.0.2: using all of 'C003 faces.mov'") in lines
    (made,) = summary["media"]
    (frames_json,) = job_results(tmp_path / "up", "frames.json")
    assert frames_json["first_frame"] == 86400 and frames_json["frame_count"] == 16
    original, new = media_folder(project, "Plates").GetClipList()
    assert original is plate and new.GetName() == "C003 faces.mov upscaled" == made["clip"]
    assert new.GetClipColor() == "Orange" and new.GetClipProperty("Frames") == "16"


def test_face_markers_and_anonymize_the_clip_under_the_playhead(worker, face_movie, tmp_path, version):
    """detect.faces' Track: a clip marker on the timeline clip, counted from the media's first frame, as
    long as the face is seen; the anonymized copy (Media) imported beside the take and placed above it."""
    resolve, project, timeline = feature(version=version)
    media = pool_item(project, face_movie, "Plates")
    clip = cut_in(project, timeline, media, 3, 24, 10)  # the face is on source frames 6-17
    face = actions.face_markers(resolve, client=worker, out=tmp_path / "faces", model="full", min_score=0.5,
                                log=print)
    (marker,) = face["clip_markers"]
    assert (marker["clip"], marker["frame"], marker["duration"], marker["name"]) == ("C003 faces.mov", 6, 12, "face 1")
    assert clip.GetMarkers()[6.0]["color"] == "Pink" and clip.GetMarkers()[6.0]["customData"] == "rushes:detect.faces"
    note = clip.GetMarkers()[6.0]["note"]
    assert note.startswith("track face 1: 12 point(s), a box on each, source frames 86406-86417, from (") and \
        str(tmp_path / "faces") in note
    assert timeline.GetMarkers() == {} and media.GetMarkers() == {}

    timeline.SetCurrentTimecode(frame_to_timecode(86400 + 15, NTSC24))
    anonymized = actions.anonymize_clips(resolve, client=worker, out=tmp_path / "anon", encode="h264", model="full",
                                         min_score=0.5, log=print)
    (made,) = anonymized["media"]
    (faces_json,) = job_results(tmp_path / "anon", "faces.json")
    assert faces_json["media"]["frame_range"] == [86400 + 3, 86400 + 24]  # the part of the take the clip plays
    folder = media_folder(project, "Plates")
    assert [(c.GetName(), c.GetClipColor()) for c in folder.GetClipList()] == [
        ("C003 faces.mov", ""), ("C003 faces.mov anonymized", "Teal")]
    assert len(timeline.GetItemListInTrack("video", 1)) == 1  # the edit is untouched
    (above,) = timeline.GetItemListInTrack("video", 2)
    assert made["track"] == "video 2" and (above.start - 86400, above.duration) == (10, 21)
    assert above.media.GetName() == "C003 faces.mov anonymized" and above.source_start == 0


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

"""rushes.annotations: the five host-neutral types, their JSON, and what each built-in kind annotates."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from rushes.annotations import (AnnotationSet, Caption, Marker, Media, Range, Source, Track, annotation_from_json,
                                annotation_to_json, block_from_json, block_to_json)
from rushes.interchange import kinds, result_json
from rushes.results import (Appearance, Character, Characters, Cuts, ExpressionChange, ExpressionSummary,
                            FacePosition, FaceTrack, FaceTracks, Frames, Result, SpeechClock, SpeechRegions, Subtitle,
                            Transcript, VoiceLine, VoiceLines)

EVERY_TYPE = [
    Marker(1012, "cut 1", "confidence 0.97", "red"),
    Range(1001, 1024, "shot 1", color="blue"),
    Track("wrist.l", {1001: (10.5, 20.25), 1003: (11.0, 21.0)}, {1001: (0.0, 1.0, 20.0, 40.5)}, parent="elbow.l"),
    Caption(1001, 1048, "Where were you?\nOut.", speaker="ANNA"),
    Media("matte/sh010.####.exr", "matte", 1001, 1100, "Linear Rec.709 (sRGB)"),
]


@pytest.mark.parametrize("item", EVERY_TYPE, ids=lambda a: type(a).__name__)
def test_every_type_round_trips_through_json_text(item):
    text = json.dumps(annotation_to_json(item))
    back = annotation_from_json(json.loads(text))
    assert back == item and type(back) is type(item)


def test_a_block_keeps_its_sources_and_items():
    sets = [AnnotationSet(Source("/plates/sh 010.mov", Fraction(24000, 1001), 86400, 1920, 1080, "01:00:00:00"),
                          tuple(EVERY_TYPE)),
            AnnotationSet(Source("sh020.####.exr", None, 1001), (Marker(1001, "x"),))]
    data = json.loads(json.dumps(block_to_json(sets)))
    assert data["version"] == 1 and data["sets"][0]["source"]["rate"] == {"num": 24000, "den": 1001}
    assert block_from_json(data) == sets


@pytest.mark.parametrize("make, message", [
    (lambda: Range(10, 10, "empty"), "must end after it starts"),
    (lambda: Caption(5, 4, "backwards"), "must end after it starts"),
    (lambda: Marker(1, "m", color="chartreuse"), "unknown annotation colour 'chartreuse'"),
    (lambda: Media("a.wav", "sound", 0, 1), "unknown media role 'sound'"),
    (lambda: Media("a.exr", "image", 5, 4), "ends before it starts"),
    (lambda: Track("t", {}), "has no points"),
    (lambda: Track("t", {1: (0.0, 0.0)}, {2: (0.0, 0.0, 1.0, 1.0)}), "boxes on frames without a point"),
    (lambda: annotation_from_json({"type": "Arrow"}), "unknown annotation type 'Arrow'"),
])
def test_what_no_host_could_show_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_every_built_in_kind_is_a_result_keyed_by_its_class():
    built_in = {"Cuts", "Frames", "FaceTracks", "SpeechRegions", "Transcript", "VoiceLines", "Characters"}
    found = kinds()
    assert built_in <= set(found)
    assert all(issubclass(found[name].cls, Result) and found[name].cls.__name__ == name for name in built_in)


def test_cuts_annotate_a_marker_per_cut_on_the_movies_own_frames():
    cuts = Cuts("/plates/take 3.mov", Fraction(25), 90000, 100, [90010, 90042], [0.91, 0.5],
                start_timecode="01:00:00:00")
    doc = result_json(cuts, {"media": {"rate": {"num": 25, "den": 1}, "first_frame": 90000}})
    (only,) = block_from_json(doc["annotations"])
    assert only.source == Source("/plates/take 3.mov", Fraction(25), 90000, None, None, "01:00:00:00")
    assert only.items == (Marker(90010, "cut 1", "confidence 0.91", "red"),
                          Marker(90042, "cut 2", "confidence 0.50", "red"))


def test_face_tracks_annotate_boxes_centres_expression_changes_and_the_anonymized_plate():
    positions = [FacePosition(1001 + k, [100.0 + k, 50.0, 140.0 + k, 100.0], [], 0.9) for k in range(3)]
    faces = FaceTracks("sh010.####.exr", 1920, 1080, 1001, 3, Fraction(24), "cascade", [],
                       [FaceTrack(7, positions, ExpressionSummary("happy", {}, [ExpressionChange(1001, "neutral"),
                                                                                 ExpressionChange(1002, "happy")]))],
                       notes=["anonymized: /out/sh010.####.exr"])
    (only,) = faces.annotation_sets()
    track, first, second, media = only.items
    assert track == Track("face 7", {1001: (120.0, 75.0), 1002: (121.0, 75.0), 1003: (122.0, 75.0)},
                          {1001: (100.0, 50.0, 140.0, 100.0), 1002: (101.0, 50.0, 141.0, 100.0),
                           1003: (102.0, 50.0, 142.0, 100.0)})
    assert (first.frame, first.name, second.frame, second.name) == (1001, "face 7: neutral", 1002, "face 7: happy")
    assert media == Media("/out/sh010.####.exr", "plate", 1001, 1003)
    assert (only.source.width, only.source.height, only.source.first_frame) == (1920, 1080, 1001)


def test_pictures_of_a_frame_range_annotate_only_the_frames_there_are():
    """A run on frames 86410-86411 of a 16-frame take: the Media is those two, not the take's 16."""
    up = Frames("/plates/C003.mov", "/out/C003.######.png", 86400, 16, 128, 72, written=[86411], resumed=[86410])
    (media,) = up.annotations()
    assert media == Media("/out/C003.######.png", "plate", 86410, 86411)
    still = Frames("/plates/still.png", "/out/still.png", 0, 1, 128, 72, written=[0])
    assert still.annotations() == [Media("/out/still.png", "image", 0, 0)]


def test_speech_annotates_ranges_and_captions_on_picture_frames():
    clock = SpeechClock("/sound/sc 12 ü.wav", Fraction(24000, 1001), 86314, "00:59:56:10", 10.0)
    vad = SpeechRegions(clock, [(0.5, 2.0), (3.0, 3.01)])
    assert [(r.start, r.end, r.name) for r in vad.annotations()] == [(86326, 86362, "speech 1"),
                                                                      (86386, 86387, "speech 2")]
    subs = Transcript(clock, "en", 1.0, "tiny.en", "transcribe",
                      subtitles=[Subtitle(86326, 86362, ["We should go.", "Now."])])
    assert subs.annotations() == [Caption(86326, 86362, "We should go.\nNow.")]
    assert subs.annotation_source().start_timecode == "00:59:56:10"


def test_characters_annotate_each_input_of_an_edit_on_its_own_frames():
    inputs = [{"source": "a.mov", "clip": "A", "rate": {"num": 24, "den": 1}, "first_frame": 0, "frame_count": 48},
              {"source": "b.mov", "clip": "B", "rate": {"num": 25, "den": 1}, "first_frame": 90008,
               "frame_count": 50, "media_first_frame": 90000, "start_timecode": "01:00:00:00"}]
    people = [Character("Anna Karina", True, ["anna.jpg"], [Appearance(1, 2, 90010, 90030, 0.93, 0.41, 3)]),
              Character("unknown 1", False, [], [Appearance(0, 1, 4, 20, 0.5, 0.3, 1)])]
    sets = Characters("edit.otio", "cast", inputs, people).annotation_sets()
    assert [s.source.path for s in sets] == ["a.mov", "b.mov"]
    # a clip searched from its in point is placed on its media's own numbering
    assert sets[1].source.rate == Fraction(25) and sets[1].source.first_frame == 90000
    assert sets[1].source.start_timecode == "01:00:00:00"
    assert sets[1].items == (Range(90010, 90030, "Anna Karina", "shot 2, confidence 0.93", "green"),)
    assert sets[0].items == (Range(4, 20, "unknown 1", "shot 1, confidence 0.50", "lavender"),)


def test_scratch_voice_annotates_its_sound_and_lines_in_milliseconds():
    lines = [VoiceLine(1, "ANNA", "We should go.", "voice/line_001_anna.wav", 0.0, 1.2345),
             VoiceLine(2, "BEN", "Now?", "voice/line_002_ben.wav", 1.7345, 2.5)]
    voice = VoiceLines("/scripts/sc 12.txt", "piper", "joe", 22050, "voice/combined.wav", lines)
    (only,) = voice.annotation_sets({"rate": None, "first_frame": None})
    assert only.source == Source("/scripts/sc 12.txt", Fraction(1000), 0)
    assert only.items == (Media("voice/combined.wav", "audio", 0, 2499),
                          Caption(0, 1234, "We should go.", "ANNA"), Caption(1734, 2500, "Now?", "BEN"))


def test_a_studio_kind_no_host_knows_carries_all_five_types_in_its_json(tmp_path, plugin_package, edit_clip):
    import rushes
    from fixtures import studio
    from rushes.media import probe

    plugin_package(studio.MODULE, studio.SOURCE)
    clip, _ = edit_clip
    out = rushes.run("studio.breakdown", clip, tmp_path / "break down", {"key": 3}).out_dir
    doc = json.loads((out / "breakdown.json").read_text(encoding="utf-8"))
    (only,) = block_from_json(doc["annotations"])
    info = probe(clip)
    assert only.source.path == str(clip) and (only.source.width, only.source.height) == (info.width, info.height)
    marker, action, shoulder, hand, caption, matte = only.items
    assert marker == Marker(3, "key frame", "the hand is highest", "red") and hand.parent == "shoulder"
    assert (action.start, action.end) == (1, info.frame_count - 1) and caption.speaker == "DIRECTOR"
    assert matte == Media("breakdown/matte.png", "matte", 3, 3) and (out / matte.path).stat().st_size > 0

"""Shot lists load back: OTIO with identical boundaries and markers, EDL events, CSV rows."""
import csv
from fractions import Fraction

import opentimelineio as otio

from rushes.interchange import cuts as writers
from rushes.results import Cuts


def sample_cuts(rate=Fraction(24000, 1001), first=86400):
    """500 frames from 01:00:00:00 (first frame 86400 at 23.976, 90000 at 25)."""
    return Cuts(source="/tmp/a roll/A001 é.mov", rate=rate, first_frame=first, frame_count=500,
                cuts=[first + 48, first + 100, first + 333], confidence=[0.9, 0.7, 0.99], method="test",
                start_timecode="01:00:00:00")


def test_otio_round_trip_keeps_boundaries():
    cuts = sample_cuts()
    tl = otio.adapters.read_from_string(writers.to_otio(cuts), "otio_json")
    clips = list(tl.find_clips())
    got = [(round(c.source_range.start_time.value), round(c.source_range.end_time_exclusive().value)) for c in clips]
    assert got == [(s.start, s.end) for s in cuts.shots]
    assert clips[0].source_range.start_time.rate == float(Fraction(24000, 1001))
    markers = [m for c in clips for m in c.markers]
    assert [round(m.marked_range.start_time.value) for m in markers] == cuts.cuts
    assert markers[1].metadata["rushes"]["confidence"] == 0.7
    assert tl.global_start_time.value == 86400


def test_edl_lists_every_shot_with_source_timecode():
    cuts = sample_cuts(Fraction(25), first=90000)
    text = writers.to_edl(cuts)
    tl = otio.adapters.read_from_string(text, "cmx_3600", rate=25)
    clips = list(tl.find_clips())
    assert len(clips) == len(cuts.shots)
    assert [round(c.source_range.start_time.value) for c in clips] == [s.start for s in cuts.shots]
    assert "01:00:00:00 01:00:01:23" in text  # first shot, source in/out
    assert "A001" in text.splitlines()[2]  # reel name from the source file


def test_csv_rows():
    cuts = sample_cuts()
    rows = list(csv.DictReader(writers.to_csv(cuts).splitlines()))
    assert [int(r["start_frame"]) for r in rows] == [86400, 86448, 86500, 86733]
    assert rows[1]["cut_confidence"] == "0.9000" and rows[0]["cut_confidence"] == ""
    assert rows[-1]["end_frame"] == "86900"


def test_json_round_trip():
    import json

    cuts = sample_cuts()
    from rushes.interchange import read_result, result_json

    back = read_result(json.loads(json.dumps(result_json(cuts, {"schema_version": 1, "future_field": [1, 2]}))))
    assert back == cuts and back.rate == Fraction(24000, 1001)

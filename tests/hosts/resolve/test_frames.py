"""Frame maths of the Resolve side (standard library) against rushes' own: rates as Resolve writes them,
timecode at 23.976, 25, 29.97 DF and 59.94 DF, and SRT clock times from the timeline start timecode."""
from __future__ import annotations

from fractions import Fraction

import pytest

from rushes.media.timecode import frame_to_timecode, timecode_to_frame
from rushes_resolve import frames


@pytest.mark.parametrize("text, rate, drop", [("23.976", Fraction(24000, 1001), False), ("24", Fraction(24), False),
                                              ("29.97 DF", Fraction(30000, 1001), True), ("29.97", Fraction(30000, 1001), False),
                                              ("59.94 DF", Fraction(60000, 1001), True), (25.0, Fraction(25), False),
                                              ("23.976023976", Fraction(24000, 1001), False), ("47.952", Fraction(48000, 1001), False)])
def test_rates_as_resolve_writes_them(text, rate, drop):
    assert frames.parse_rate(text) == (rate, drop)


@pytest.mark.parametrize("rate, drop", [(Fraction(24000, 1001), False), (Fraction(25), False),
                                        (Fraction(30000, 1001), True), (Fraction(60000, 1001), True)])
def test_timecode_matches_the_core(rate, drop):
    for frame in list(range(0, 20000, 997)) + [86400, 107892, 107891, 17982, 17981, 1798, 1800, 2_000_000]:
        tc = frame_to_timecode(frame, rate, drop)
        assert frames.frame_to_timecode(frame, rate, drop) == tc
        assert frames.timecode_to_frame(tc, rate) == timecode_to_frame(tc, rate) == frame


def test_known_timecodes():
    ntsc30 = Fraction(30000, 1001)
    assert frames.timecode_to_frame("01:00:00:00", Fraction(24000, 1001)) == 86400
    assert frames.timecode_to_frame("01:00:00;00", ntsc30) == 107892
    assert frames.frame_to_timecode(1800, ntsc30, True) == "00:01:00;02"  # frames ;00 and ;01 are dropped
    assert frames.frame_to_timecode(17982, ntsc30, True) == "00:10:00;00"  # but not at each tenth minute


def test_srt_clock_from_the_start_timecode():
    rate = Fraction(24000, 1001)
    assert frames.srt_clock(frames.timeline_seconds(0, rate, "01:00:00:00")) == "01:00:00,000"
    assert frames.srt_clock(frames.timeline_seconds(240, rate, "01:00:00:00")) == "01:00:10,010"
    assert frames.srt_clock(frames.timeline_seconds(86400, rate, "00:00:00:00")) == "01:00:03,600"  # real time
    assert frames.srt_clock(frames.timeline_seconds(30, Fraction(30000, 1001), "01:00:00;00")) == "01:00:01,001"

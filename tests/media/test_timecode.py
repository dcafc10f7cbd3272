from fractions import Fraction

import pytest

from rushes.media.timecode import exact_rate, frame_to_timecode, timecode_to_frame


def test_ntsc_rates_are_exact():
    assert exact_rate(23.976) == Fraction(24000, 1001)
    assert exact_rate(Fraction(2997, 100)) == Fraction(30000, 1001)
    assert exact_rate(25) == 25


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(25), Fraction(24000, 1001), Fraction(30000, 1001),
                                  Fraction(60000, 1001)])
def test_timecode_round_trip(rate):
    for frame in (0, 1, 1799, 1800, 17982, 17983, 107892, 2073599):
        assert timecode_to_frame(frame_to_timecode(frame, rate), rate) == frame


def test_drop_frame_known_values():
    rate = Fraction(30000, 1001)
    assert frame_to_timecode(1800, rate) == "00:01:00;02"
    assert timecode_to_frame("00:10:00;00", rate) == 17982
    assert timecode_to_frame("01:00:00:00", Fraction(24000, 1001)) == 86400

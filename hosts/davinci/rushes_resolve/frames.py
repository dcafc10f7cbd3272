"""Frame rates and timecode as Resolve writes them (standard library only): exact rates, SMPTE timecode
(drop-frame at 29.97/59.94), and SRT clock times for a timeline that starts at its start timecode."""
from __future__ import annotations

import re
from fractions import Fraction

_TC = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")
# the rates Resolve shows rounded ("23.976", "29.97") and what they are exactly
_NTSC = {"23.976": Fraction(24000, 1001), "23.98": Fraction(24000, 1001), "29.97": Fraction(30000, 1001),
         "47.952": Fraction(48000, 1001), "59.94": Fraction(60000, 1001), "119.88": Fraction(120000, 1001)}


def parse_rate(value) -> tuple[Fraction, bool]:
    """(exact rate, drop-frame) of a Resolve frame rate: "23.976", "24", "29.97 DF", 25.0, "59.94 NDF"."""
    text = str(value).strip().upper()
    drop = text.endswith(" DF")
    text = text.replace(" NDF", "").replace(" DF", "").strip()
    if not text:
        raise ValueError("no frame rate")
    if text in _NTSC:
        return _NTSC[text], drop
    rate = Fraction(text)
    for ntsc in _NTSC.values():  # 23.976023976 or 29.970029 from a float
        if abs(rate - ntsc) < Fraction(1, 500):
            return ntsc, drop
    if rate <= 0:
        raise ValueError(f"frame rate {value!r} is not positive")
    return rate.limit_denominator(1001), drop


def rate_text(rate: Fraction) -> str:
    """A rate as a job's media description takes it: "24000/1001", "25"."""
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def nominal_fps(rate: Fraction) -> int:
    """Frames per second that timecode counts at (30 for 29.97)."""
    return int(round(rate))


def is_drop_frame(timecode: str) -> bool:
    m = _TC.match(timecode.strip())
    return bool(m) and m.group(4) in ";,"


def timecode_to_frame(timecode: str, rate: Fraction, drop: bool | None = None) -> int:
    """Frame count of a timecode (01:00:00:00 at 23.976 is 86400; 01:00:00;00 at 29.97 DF is 107892)."""
    m = _TC.match(str(timecode).strip())
    if not m:
        raise ValueError(f"not a timecode: {timecode!r}")
    hh, mm, ss, sep, ff = m.groups()
    fps = nominal_fps(rate)
    minutes = int(hh) * 60 + int(mm)
    total = (minutes * 60 + int(ss)) * fps + int(ff)
    if drop is None:
        drop = sep in ";,"
    if drop and fps in (30, 60):
        total -= (2 * fps // 30) * (minutes - minutes // 10)
    return total


def frame_to_timecode(frame: int, rate: Fraction, drop: bool = False) -> str:
    """The timecode of a frame count; ';' before the frames field when drop-frame."""
    fps = nominal_fps(rate)
    drop = drop and fps in (30, 60)
    if drop:
        skip = 2 * fps // 30
        per_10min = fps * 600 - skip * 9
        per_min = fps * 60 - skip
        tens, rest = divmod(frame, per_10min)
        frame += skip * 9 * tens + (0 if rest < skip else skip * ((rest - skip) // per_min))
    return "%02d:%02d:%02d%s%02d" % (frame // (fps * 3600) % 24, frame // (fps * 60) % 60, frame // fps % 60,
                                      ";" if drop else ":", frame % fps)


def srt_clock(seconds: Fraction) -> str:
    """HH:MM:SS,mmm of a time in seconds (rounded to the millisecond)."""
    ms = int(round(seconds * 1000))
    hours, ms = divmod(ms, 3600000)
    minutes, ms = divmod(ms, 60000)
    secs, ms = divmod(ms, 1000)
    return "%02d:%02d:%02d,%03d" % (hours, minutes, secs, ms)


def timeline_seconds(offset: int, rate: Fraction, start_timecode: str) -> Fraction:
    """Clock time of the frame `offset` frames after a timeline's first frame, as an SRT for that
    timeline gives it: the start timecode read as a clock (01:00:00:00 -> 3600 s), then real time at
    the exact rate. The first frame of a timeline at 01:00:00:00 is 01:00:00,000 at any rate."""
    m = _TC.match(str(start_timecode).strip())
    if not m:
        raise ValueError(f"not a timecode: {start_timecode!r}")
    hh, mm, ss, _, ff = m.groups()
    start = Fraction(int(hh) * 3600 + int(mm) * 60 + int(ss)) + Fraction(int(ff), nominal_fps(rate))
    return start + Fraction(offset) / rate

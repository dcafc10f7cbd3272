"""Frame rates as exact rationals and SMPTE timecode <-> frame number."""
from __future__ import annotations

import re
from fractions import Fraction

_TC = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")

# Common NTSC rates that files store approximately (23.976 as 2997/125, say).
_NTSC = [Fraction(24000, 1001), Fraction(30000, 1001), Fraction(48000, 1001), Fraction(60000, 1001)]


def exact_rate(rate: Fraction | float | str) -> Fraction:
    """The exact frame rate, snapping approximations of NTSC rates to n*1000/1001."""
    value = Fraction(rate) if not isinstance(rate, Fraction) else rate
    for ntsc in _NTSC:
        if abs(value - ntsc) < Fraction(1, 500):
            return ntsc
    if value.denominator > 1001:
        value = value.limit_denominator(1001)
    return value


def nominal_fps(rate: Fraction) -> int:
    """The integer frames-per-second a timecode counts at (30 for 29.97)."""
    return round(rate)


def timecode_to_frame(timecode: str, rate: Fraction) -> int:
    """Frame number of a SMPTE timecode; ';' or ',' before the frames field means drop-frame."""
    m = _TC.match(timecode.strip())
    if not m:
        raise ValueError(f"not a timecode: {timecode!r}")
    hh, mm, ss, sep, ff = m.groups()
    hours, minutes, seconds, frames = int(hh), int(mm), int(ss), int(ff)
    fps = nominal_fps(rate)
    total = ((hours * 60 + minutes) * 60 + seconds) * fps + frames
    if sep in ";," and fps in (30, 60):
        drop = 2 * fps // 30
        total_minutes = hours * 60 + minutes
        total -= drop * (total_minutes - total_minutes // 10)
    return total


def frame_to_timecode(frame: int, rate: Fraction, drop_frame: bool | None = None) -> str:
    """SMPTE timecode for a frame number; drop-frame by default at 29.97 and 59.94."""
    fps = nominal_fps(rate)
    if drop_frame is None:
        drop_frame = rate.denominator == 1001 and fps in (30, 60)
    if drop_frame:
        drop = 2 * fps // 30
        per_10min = fps * 600 - drop * 9
        per_min = fps * 60 - drop
        tens, rest = divmod(frame, per_10min)
        extra = 0 if rest < drop else drop * ((rest - drop) // per_min)
        frame = frame + drop * 9 * tens + extra
    ff = frame % fps
    ss = frame // fps % 60
    mm = frame // (fps * 60) % 60
    hh = frame // (fps * 3600) % 24
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop_frame else ':'}{ff:02d}"

"""The media description a caller gives with any input, the same way for every operator.

Frame rate (exact rational), start timecode, frame range, OpenColorIO config and colour space,
what to do with a bad frame, and which audio stream: given on the command line (`--rate`,
`--start-timecode`, `--frame-range`, `--ocio`, `--colorspace`, `--on-bad-frame`,
`--audio-stream`), in a job spec (`"media": {...}`) or to `rushes.run(..., media=...)`.
Anything left out comes from the file (a movie's rate and timecode, an EXR/DPX header's
timecode and rate, a Broadcast WAV's time reference), else the defaults below.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from ..errors import ParameterError
from .timecode import exact_rate, timecode_to_frame

DEFAULT_RATE = Fraction(24)  # sequences and audio files that say nothing of their rate
# One meaning everywhere for a missing, empty (0-byte) or unreadable frame of a sequence:
BAD_FRAME_POLICIES = {
    "stop": "stop with one line naming the frame",
    "skip": "leave the frame out (not analysed, nothing written for it) and report it in the result's notes",
    "hold": "analysis sees the previous good frame again; operators that write pictures leave the frame out "
            "and report it",
}
_TIMECODE = re.compile(r"^\d{1,2}:\d{2}:\d{2}[:;.,]\d{2,3}$")


@dataclass(frozen=True)
class MediaSpec:
    """How to read an input. None: the file's own value (or the default)."""

    rate: Fraction | None = None
    start_timecode: str | None = None
    frame_range: tuple[int, int] | None = None  # [start, end) source frames; None: all of them
    ocio_config: str | None = None  # a config file or ocio:// URI; None: $OCIO, else the built-in config
    colorspace: str = "auto"  # of the pictures; auto: the file's tag, else linear for float, sRGB for integer
    on_bad_frame: str = "stop"  # see BAD_FRAME_POLICIES
    audio_stream: int = 0

    def __post_init__(self) -> None:
        if self.rate is not None and not Fraction(1) <= self.rate <= Fraction(1000):
            raise ParameterError(f"media rate {self.rate} is out of range [1, 1000] frames per second")
        if self.start_timecode is not None and not _TIMECODE.match(self.start_timecode):
            raise ParameterError(f"media start_timecode {self.start_timecode!r} is not a timecode (HH:MM:SS:FF)")
        if self.frame_range is not None and not self.frame_range[0] < self.frame_range[1]:
            raise ParameterError(f"media frame_range {list(self.frame_range)} is empty: it is [start, end), "
                                 "end exclusive")
        if self.on_bad_frame not in BAD_FRAME_POLICIES:
            raise ParameterError(f"media on_bad_frame={self.on_bad_frame!r} is not one of "
                                 f"{', '.join(BAD_FRAME_POLICIES)}")
        if not 0 <= self.audio_stream <= 63:
            raise ParameterError(f"media audio_stream={self.audio_stream} is out of range [0, 63]")
        if not self.colorspace:
            raise ParameterError("media colorspace is empty (use auto)")

    @property
    def config(self) -> str | None:
        """The OpenColorIO config to use: the given one, else $OCIO, else None (rushes' built-in)."""
        return self.ocio_config or os.environ.get("OCIO") or None

    def first_frame_of(self, rate: Fraction, own: int) -> int:
        """A movie's or an audio file's first frame: the given start timecode, else its own."""
        return timecode_to_frame(self.start_timecode, rate) if self.start_timecode else own

    def with_range(self, frame_range: tuple[int, int] | None) -> "MediaSpec":
        return replace(self, frame_range=frame_range)

    def to_json(self) -> dict[str, Any]:
        return {"rate": {"num": self.rate.numerator, "den": self.rate.denominator} if self.rate else None,
                "start_timecode": self.start_timecode,
                "frame_range": list(self.frame_range) if self.frame_range else None,
                "ocio_config": self.ocio_config, "colorspace": self.colorspace, "on_bad_frame": self.on_bad_frame,
                "audio_stream": self.audio_stream}

    @classmethod
    def from_json(cls, data: Any) -> "MediaSpec":
        """From a job spec's or a host's `media` object; every field optional, unknown ones refused."""
        if data is None:
            return cls()
        if isinstance(data, MediaSpec):
            return data
        if not isinstance(data, dict):
            raise ParameterError("media must be an object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ParameterError(f"media has unknown field(s): {', '.join(sorted(unknown))} "
                                 f"(known: {', '.join(cls.__dataclass_fields__)})")
        rng = data.get("frame_range")
        if rng is not None:
            rng = parse_frame_range(rng)
        stream = data.get("audio_stream", 0)
        if isinstance(stream, bool) or not isinstance(stream, int):
            raise ParameterError("media audio_stream must be an integer")
        for key in ("start_timecode", "ocio_config", "colorspace", "on_bad_frame"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ParameterError(f"media {key} must be a string")
        return cls(parse_rate(data["rate"]) if data.get("rate") is not None else None, data.get("start_timecode"),
                   rng, data.get("ocio_config"), data.get("colorspace") or "auto", data.get("on_bad_frame") or "stop",
                   stream)


def parse_rate(value: Any) -> Fraction:
    """A frame rate as given: 24, 23.976 (taken as 24000/1001), "24000/1001" or {"num", "den"}."""
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, dict):
            rate = Fraction(int(value["num"]), int(value["den"]))
        else:
            rate = Fraction(str(value).strip())
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        raise ParameterError(f"media rate {value!r} is not a frame rate (24, 23.976, 24000/1001)") from None
    if rate <= 0:
        raise ParameterError(f"media rate {value!r} is not a frame rate (24, 23.976, 24000/1001)")
    return exact_rate(rate)


def parse_frame_range(value: Any) -> tuple[int, int]:
    """[start, end) as a pair, or "START:END" (end exclusive, as everywhere in rushes)."""
    if isinstance(value, str):
        start, sep, end = value.partition(":")
        value = [start, end] if sep else None
    try:
        if not isinstance(value, (list, tuple)) or len(value) != 2 or any(isinstance(v, bool) for v in value):
            raise ValueError
        start, end = (int(str(v).strip()) if isinstance(v, str) else v for v in value)
        if not all(isinstance(v, int) for v in (start, end)):
            raise ValueError
    except ValueError:
        raise ParameterError(f"frame range {value!r} is not START:END (end exclusive), e.g. 1001:1101") from None
    if start >= end:
        raise ParameterError(f"frame range {start}:{end} is empty: END is the first frame after the range")
    return start, end

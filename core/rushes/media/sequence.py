"""Image sequences: `plate.%04d.exr`, `plate.####.exr`, `plate.1001-1100#.exr`, read with OpenImageIO."""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import MediaError, MissingFramesError
from . import color
from .image import image_header, read_image
from .timecode import exact_rate

# Rate for sequences with no rate of their own; the CLI's --param fps overrides.
DEFAULT_RATE = Fraction(24)

_PRINTF = re.compile(r"%0?(\d*)d")
_RANGE_HASH = re.compile(r"(-?\d+)-(-?\d+)([#@]+)")
_HASH = re.compile(r"#+|@+")


@dataclass(frozen=True)
class SequencePattern:
    """A parsed pattern: `prefix` + zero-padded frame + `suffix`, and an optional explicit range."""

    folder: Path
    prefix: str
    suffix: str
    padding: int
    first: int | None = None
    last: int | None = None

    def path(self, frame: int) -> Path:
        sign = "-" if frame < 0 else ""
        return self.folder / f"{self.prefix}{sign}{abs(frame):0{self.padding}d}{self.suffix}"

    @property
    def display(self) -> str:
        return str(self.folder / f"{self.prefix}{'#' * self.padding}{self.suffix}")


def parse_pattern(path: str | Path) -> SequencePattern | None:
    """The sequence pattern in a path, or None when the name has no frame token."""
    path = Path(path)
    name = path.name
    m = _RANGE_HASH.search(name)
    if m:
        token = m.group(3)
        # RV style: a single '#' means four digits, '@' one digit each.
        padding = 4 if token == "#" else len(token)
        return SequencePattern(path.parent, name[: m.start()], name[m.end():], padding,
                               int(m.group(1)), int(m.group(2)))
    m = _PRINTF.search(name)
    if m:
        return SequencePattern(path.parent, name[: m.start()], name[m.end():], int(m.group(1) or 1))
    matches = list(_HASH.finditer(name))
    if matches:
        m = matches[-1]
        return SequencePattern(path.parent, name[: m.start()], name[m.end():], len(m.group(0)))
    return None


def is_sequence_path(path: str | Path) -> bool:
    return parse_pattern(path) is not None


def _scan(pattern: SequencePattern) -> list[int]:
    if not pattern.folder.is_dir():
        raise MediaError("folder does not exist", pattern.folder)
    rx = re.compile(re.escape(pattern.prefix) + r"(-?\d+)" + re.escape(pattern.suffix) + r"$")
    frames = []
    for entry in pattern.folder.iterdir():
        m = rx.match(entry.name)
        # Unpadded names (frame 1 as "1") only count when the pattern has padding 1.
        if m and len(m.group(1).lstrip("-")) >= pattern.padding:
            frames.append(int(m.group(1)))
    return sorted(frames)


class ImageSequence:
    """A numbered image sequence. Missing or 0-byte frames raise MissingFramesError unless allowed."""

    def __init__(self, path: str | Path, rate: Fraction | None = None, on_bad_frame: str = "stop",
                 start_timecode: str | None = None):
        pattern = parse_pattern(path)
        if pattern is None:
            raise MediaError("not an image sequence pattern (use plate.%04d.exr or plate.####.exr)", path)
        self.pattern = pattern
        self.rate = rate or DEFAULT_RATE
        present = [f for f in _scan(pattern) if pattern.path(f).stat().st_size > 0]
        if pattern.first is not None:
            first, last = pattern.first, pattern.last
            if last < first:
                raise MediaError(f"frame range {first}-{last} is empty", pattern.display)
        elif present:
            first, last = present[0], present[-1]
        else:
            raise MediaError("no frames found", pattern.display)
        have = set(present)
        missing = [f for f in range(first, last + 1) if f not in have]
        self.first_frame, self.last_frame = first, last
        # what the first picture's header says of time (EXR/DPX): a timecode, and a rate used
        # when the caller gives none
        header = image_header(pattern.path(present[0])) if present else {"timecode": None, "rate": None}
        self.start_timecode: str | None = start_timecode or header["timecode"]
        if rate is None and header["rate"] is not None:
            self.rate = exact_rate(header["rate"])
        self.on_bad_frame = on_bad_frame
        # frames left out or held, and why: missing/empty ones now, unreadable ones when read
        self.bad: dict[int, str] = {f: "missing or empty (0 bytes)" for f in missing}
        if missing and on_bad_frame == "stop":
            raise MissingFramesError(
                f"{len(missing)} missing or empty frame(s): {_ranges(missing)} "
                "(use --on-bad-frame skip or hold to go on)", pattern.display, missing)
        if len(missing) == last - first + 1:
            raise MediaError("no readable frames in range", pattern.display)

    @property
    def path(self) -> str:
        return self.pattern.display

    @property
    def frame_count(self) -> int:
        return self.last_frame - self.first_frame + 1

    def frames(self, start: int = 0, stop: int | None = None,
               size: tuple[int, int] | None = None,
               colorspace: str = "auto") -> Iterator[tuple[int, np.ndarray]]:
        """Yield (index, display-referred RGB uint8) like Movie.frames; index 0 = first frame.

        Bad frames (missing, empty or unreadable) follow the sequence's policy: `stop` raises one
        line naming the frame, `skip` leaves the index out, `hold` repeats the previous good frame
        (the next good one at the head), so cuts are not invented at holes. `self.bad` says why.
        """
        stop = self.frame_count if stop is None else min(stop, self.frame_count)
        held: np.ndarray | None = None
        for index in range(start, stop):
            number = self.first_frame + index
            image = self.display_or_none(number, size, colorspace)
            if image is not None:
                held = image
                yield index, image
            elif self.on_bad_frame == "hold":
                if held is None:
                    held = self._next_good(number, size, colorspace)
                yield index, held

    def display_or_none(self, number: int, size: tuple[int, int] | None, colorspace: str) -> np.ndarray | None:
        """A frame as display RGB uint8, or None for a bad frame the policy lets pass (recorded in `bad`)."""
        got = self.read_or_none(number)
        return None if got is None else color.to_display_rgb8(*got, colorspace, size)

    def read_or_none(self, number: int) -> tuple[np.ndarray, dict] | None:
        """A frame's pixels and metadata, or None for a bad frame the policy lets pass (for writers,
        `hold` leaves the frame out too: an operator never writes a picture it did not read)."""
        if number in self.bad:
            return None
        try:
            return self.read(number)
        except MediaError as exc:
            return self._bad(number, exc)

    def _bad(self, number: int, exc: MediaError) -> None:
        if self.on_bad_frame == "stop":
            raise MediaError(f"frame {number}: {exc.problem} (use --on-bad-frame skip or hold to go on)",
                             self.path) from None
        self.bad[number] = exc.problem
        return None

    def bad_frame_notes(self) -> list[str]:
        """One line per frame left out or held, for a result's notes."""
        verb = "held (previous frame used)" if self.on_bad_frame == "hold" else "skipped"
        return [f"frame {n} {verb}: {why}" for n, why in sorted(self.bad.items())]

    def thumbnails(self, size: tuple[int, int], colorspace: str = "auto", start: int = 0,
                   stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Like Movie.thumbnails: Y'CbCr float32 HxWx3 at `size`, from the display-referred frames."""
        import av

        from .movie import _yuv444_thumbnail

        for index, rgb8 in self.frames(start, stop, colorspace=colorspace):
            yield index, _yuv444_thumbnail(av.VideoFrame.from_ndarray(rgb8, format="rgb24"), size)

    def _next_good(self, number, size, colorspace) -> np.ndarray:
        for n in range(number, self.last_frame + 1):
            image = self.display_or_none(n, size, colorspace)
            if image is not None:
                return image
        raise MediaError("no readable frames in range", self.path)

    def read(self, number: int) -> tuple[np.ndarray, dict]:
        return read_image(self.pattern.path(number))


def _ranges(frames: list[int]) -> str:
    out, start, prev = [], frames[0], frames[0]
    for f in frames[1:] + [None]:
        if f is not None and f == prev + 1:
            prev = f
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if f is not None:
            start = prev = f
    return ", ".join(out[:10]) + (" ..." if len(out) > 10 else "")

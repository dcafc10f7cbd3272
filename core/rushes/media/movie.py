"""Movies through PyAV: exact rates, start timecode, frame-accurate reads, one pinned scaler."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from ..errors import MediaError
from .timecode import exact_rate, timecode_to_frame

# One scaler for every frame that feeds a detector, so results are reproducible.
SCALER = "BICUBIC"


@dataclass
class MovieInfo:
    path: Path
    width: int
    height: int
    rate: Fraction
    frame_count: int
    start_timecode: str | None
    first_frame: int  # start timecode as a frame number, 0 when there is none
    codec: str


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise MediaError("file does not exist", path)
    if path.is_dir():
        raise MediaError("is a folder, not a movie", path)
    if path.stat().st_size == 0:
        raise MediaError("empty file (0 bytes)", path)
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise MediaError(f"not a readable movie ({_reason(exc)})", path) from None
    if not container.streams.video:
        container.close()
        raise MediaError("has no video stream", path)
    return container


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip() if ": '" in text else text.strip()


def _find_timecode(container: av.container.InputContainer) -> str | None:
    for source in [container.streams.video[0].metadata, container.metadata,
                   *(s.metadata for s in container.streams if s.type == "data")]:
        tc = source.get("timecode")
        if tc:
            return tc
    return None


def probe(path: Path) -> MovieInfo:
    """Read a movie's header: size, exact rate, frame count and start timecode."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        raw_rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not raw_rate:
            raise MediaError("video stream has no frame rate", path)
        rate = exact_rate(Fraction(raw_rate))
        count = stream.frames
        if not count:
            duration = None
            if stream.duration is not None and stream.time_base:
                duration = stream.duration * stream.time_base
            elif container.duration:
                duration = Fraction(container.duration, av.time_base)
            count = round(duration * rate) if duration else 0
        timecode = _find_timecode(container)
        first = 0
        if timecode:
            try:
                first = timecode_to_frame(timecode, rate)
            except ValueError:
                timecode = None
        return MovieInfo(path, stream.width, stream.height, rate, int(count), timecode, first,
                         stream.codec_context.name)
    finally:
        container.close()


class Movie:
    """A movie opened for reading frames by index (0 = first frame of the file)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.info = probe(self.path)

    @property
    def rate(self) -> Fraction:
        return self.info.rate

    @property
    def first_frame(self) -> int:
        return self.info.first_frame

    @property
    def frame_count(self) -> int:
        return self.info.frame_count

    def frames(self, start: int = 0, stop: int | None = None,
               size: tuple[int, int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (index, RGB uint8 HxWx3) for frames start..stop-1, seeking frame-accurately.

        `size` is (width, height) to scale to with the pinned scaler.
        """
        container = _open(self.path)
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            tb = stream.time_base
            start_time = stream.start_time or 0
            if start > 0:
                target = start_time + int(Fraction(start) / self.rate / tb)
                container.seek(target, stream=stream, backward=True, any_frame=False)
            index = None
            width, height = size if size else (None, None)
            expected = self.frame_count
            try:
                for frame in container.decode(stream):
                    if frame.pts is not None:
                        index = round((frame.pts - start_time) * tb * self.rate)
                    else:
                        index = 0 if index is None else index + 1
                    if index < start:
                        continue
                    if stop is not None and index >= stop:
                        break
                    image = frame.reformat(width=width, height=height, format="rgb24",
                                           interpolation=SCALER).to_ndarray()
                    yield index, image
            except av.error.FFmpegError as exc:
                raise MediaError(
                    f"corrupt or truncated movie: decoding failed after frame {index} ({_reason(exc)})",
                    self.path) from None
            last = stop if stop is not None else expected
            if last and (index is None or index < last - 2):
                got = 0 if index is None else index + 1
                raise MediaError(
                    f"truncated or corrupt movie: decoded {got} of {last} frames", self.path)
        finally:
            container.close()

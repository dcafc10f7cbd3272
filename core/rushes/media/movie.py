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
# Frames a decoder holds back before it gives them out (B-frame reordering), at most, in practice.
REORDER = 16


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


def open_container(path: Path, what: str = "movie") -> av.container.InputContainer:
    """Open a media file for reading, with one-line errors for the usual ways a file is bad."""
    from .files import check_input_file

    if path.is_dir():
        raise MediaError(f"is a folder, not a {what}", path)
    check_input_file(path)  # no FIFO, device or broken link reaches the decoder
    if path.stat().st_size == 0:
        raise MediaError("empty file (0 bytes)", path)
    try:
        return av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise MediaError(f"not a readable {what} ({_reason(exc)})", path) from None


def _open(path: Path) -> av.container.InputContainer:
    container = open_container(path)
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

    def __init__(self, path: str | Path, start_timecode: str | None = None):
        self.path = Path(path)
        self.info = probe(self.path)
        if start_timecode:  # the caller knows better (a camera that wrote none, a re-wrap that lost it)
            self.info.start_timecode = start_timecode
            self.info.first_frame = timecode_to_frame(start_timecode, self.info.rate)

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
        width, height = size if size else (None, None)
        for index, frame in self._decode(start, stop, {}):
            yield index, frame.reformat(width=width, height=height, format="rgb24",
                                        interpolation=SCALER).to_ndarray()

    def thumbnails(self, size: tuple[int, int], start: int = 0,
                   stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (index, Y'CbCr uint8 HxWx3 at `size`) for frames start..stop-1, as cheaply as possible.

        For analysis only: the decoder skips deblocking, and 8-bit planar frames are sampled
        straight from their planes (a 4x4 grid averaged per thumbnail pixel) with no colour
        conversion, which keeps 1080p H.264 close to raw decoding speed.
        """
        options = {"skip_loop_filter": "all", "flags2": "+fast"}
        for index, frame in self._decode(start, stop, options):
            if frame.format.name in _PLANAR_8BIT:
                yield index, np.stack([_plane_thumbnail(p, size) for p in frame.planes[:3]], axis=2)
            else:
                yield index, _yuv444_thumbnail(frame, size)

    def pictures(self, sizes: dict[int, tuple[int, int] | None]) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (index, RGB uint8 HxWx3) for only the frames asked for, in order, each at its own
        size ((width, height); None: the frame's own), in one pass over the file.

        For pictures people look at (a report's thumbnails), as cheaply as exact frames allow:
        each frame is reached from wherever is cheaper, decoding on from the frame before or a
        seek to its own key frame (found from the packets, not decoded); frames that no other
        frame is made from are not decoded unless one asked for is near; only the frames asked
        for are converted. A frame past the end is left out.
        """
        from bisect import bisect_right

        wanted = sorted(i for i in sizes if i >= 0)
        if not wanted:
            return
        keys = self._key_frames()
        container = _open(self.path)
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            tb, start_time = stream.time_base, stream.start_time or 0
            index, k = -1, 0

            def key_of(frame: int) -> int:
                return keys[bisect_right(keys, frame) - 1] if keys and keys[0] <= frame else 0

            while k < len(wanted):
                if key_of(wanted[k]) > index + 1:  # its key frame lies ahead: seek rather than decode on
                    target = start_time + int(Fraction(wanted[k]) / self.rate / tb)
                    container.seek(target, stream=stream, backward=True, any_frame=False)
                more = False
                try:
                    for frame in container.decode(stream):
                        index = round((frame.pts - start_time) * tb * self.rate) if frame.pts is not None else index + 1
                        while k < len(wanted) and wanted[k] <= index:  # the picture showing at wanted[k]
                            width, height = sizes[wanted[k]] or (None, None)
                            yield wanted[k], frame.reformat(width=width, height=height, format="rgb24",
                                                            interpolation=SCALER).to_ndarray()
                            k += 1
                        if k == len(wanted) or key_of(wanted[k]) > index + 1:
                            more = True
                            break
                        # frames come out a few after their packets go in: skip only well before one asked for
                        stream.codec_context.skip_frame = "DEFAULT" if wanted[k] - index <= REORDER else "NONREF"
                except av.error.FFmpegError as exc:
                    raise MediaError(f"corrupt or truncated movie: decoding failed after frame {index} "
                                     f"({_reason(exc)})", self.path) from None
                if not more:
                    return  # the end of the movie: what is left is past it
                stream.codec_context.skip_frame = "DEFAULT"
        finally:
            container.close()

    def _key_frames(self) -> list[int]:
        """The indices of the key frames (every frame of an intra-only codec such as ProRes), from
        the packets, none decoded; [] when the packets carry no times."""
        container = _open(self.path)
        try:
            stream = container.streams.video[0]
            if stream.codec_context.codec.intra_only:
                return list(range(max(self.frame_count, 1)))
            tb, start_time = stream.time_base, stream.start_time or 0
            keys = []
            for packet in container.demux(stream):
                if packet.is_keyframe and packet.pts is not None:
                    keys.append(round((packet.pts - start_time) * tb * self.rate))
            return sorted(keys)
        except av.error.FFmpegError:
            return []  # decoding says what is wrong with it
        finally:
            container.close()

    def _decode(self, start: int, stop: int | None, options: dict[str, str]) -> Iterator[tuple[int, av.VideoFrame]]:
        container = _open(self.path)
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if options:
                stream.codec_context.options = options
            tb = stream.time_base
            start_time = stream.start_time or 0
            if start > 0:
                target = start_time + int(Fraction(start) / self.rate / tb)
                container.seek(target, stream=stream, backward=True, any_frame=False)
            index = None
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
                    yield index, frame
            except av.error.FFmpegError as exc:
                raise MediaError(
                    f"corrupt or truncated movie: decoding failed after frame {index} ({_reason(exc)})",
                    self.path) from None
            last = stop if stop is not None else self.frame_count
            if last and (index is None or index < last - 2):
                got = 0 if index is None else index + 1
                raise MediaError(
                    f"truncated or corrupt movie: decoded {got} of {last} frames", self.path)
        finally:
            container.close()


_PLANAR_8BIT = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"}


def _plane_thumbnail(plane, size: tuple[int, int]) -> np.ndarray:
    """Average a 4x4 grid of samples inside each thumbnail cell of one 8-bit plane."""
    w, h = size
    data = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
    cy, cx = plane.height // h, plane.width // w
    if cy < 4 or cx < 4:  # small frames: let the scaler do it
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(data), format="gray")
        return frame.reformat(width=w, height=h, interpolation="AREA").to_ndarray().astype(np.float32)
    sy, sx = cy // 4, cx // 4
    grid = data[sy // 2: cy * h: sy, sx // 2: cx * w: sx][: 4 * h, : 4 * w]
    return grid.reshape(h, 4, w, 4).mean(axis=(1, 3), dtype=np.float32)


def _yuv444_thumbnail(frame: av.VideoFrame, size: tuple[int, int]) -> np.ndarray:
    small = frame.reformat(width=size[0], height=size[1], format="yuv444p", interpolation="AREA")
    return np.stack([np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width]
                     for p in small.planes], axis=2).astype(np.float32)


def encode_movie(frames: Iterator[np.ndarray], target: Path, rate: Fraction, codec: str = "prores",
                 timecode: str | None = None, atomic: bool = True) -> Path:
    """Encode RGB uint8 frames into a QuickTime movie. prores: ProRes 422 HQ (.mov); h264: CRF 16.

    With `atomic` the movie reaches `target` only once complete; operators pass the temporary
    path of `ctx.output.write(name)` instead, with atomic=False.
    """
    from contextlib import nullcontext

    from ..files import atomic_path

    settings = {"prores": ("prores_ks", "yuv422p10le", {"profile": "3"}),
                "h264": ("libx264", "yuv420p", {"crf": "16", "preset": "medium"})}[codec]
    with atomic_path(target) if atomic else nullcontext(Path(target)) as tmp:
        with av.open(str(tmp), "w", format="mov") as out:
            if timecode:
                out.metadata["timecode"] = timecode
            stream = None
            for image in frames:
                if stream is None:
                    stream = out.add_stream(settings[0], rate=rate)
                    stream.width, stream.height = image.shape[1], image.shape[0]
                    stream.pix_fmt = settings[1]
                    stream.options = settings[2]
                    if timecode:
                        stream.metadata["timecode"] = timecode
                for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")):
                    out.mux(packet)
            if stream is not None:
                for packet in stream.encode():
                    out.mux(packet)
    return target

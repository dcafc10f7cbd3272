"""Audio through PyAV: any stream of a movie or an audio file, mixed down and resampled, streamed."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from ..errors import MediaError
from .movie import _reason, open_container


@dataclass
class AudioInfo:
    path: Path
    streams: int  # number of audio streams in the file
    sample_rate: int
    channels: int
    duration: float | None  # seconds, when the container knows it
    codec: str


def _open_audio(path: Path, stream_index: int) -> tuple[av.container.InputContainer, av.audio.stream.AudioStream]:
    container = open_container(path, "audio or movie file")
    streams = container.streams.audio
    if not streams:
        container.close()
        raise MediaError("has no audio stream", path)
    if not 0 <= stream_index < len(streams):
        container.close()
        raise MediaError(f"has {len(streams)} audio stream(s); stream {stream_index} does not exist", path)
    return container, streams[stream_index]


def probe_audio(path: str | Path, stream_index: int = 0) -> AudioInfo:
    path = Path(path)
    container, stream = _open_audio(path, stream_index)
    try:
        duration = None
        if stream.duration is not None and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        return AudioInfo(path, len(container.streams.audio), stream.rate, stream.channels, duration,
                         stream.codec_context.name)
    finally:
        container.close()


def read_audio(path: str | Path, sample_rate: int = 16000, stream_index: int = 0,
               chunk_seconds: float = 30.0) -> Iterator[np.ndarray]:
    """Yield mono float32 chunks in [-1, 1] at `sample_rate`, about `chunk_seconds` each.

    Every channel layout (stereo, 5.1, ...) is mixed down to mono by FFmpeg's resampler; long
    files stream in bounded memory.
    """
    path = Path(path)
    container, stream = _open_audio(path, stream_index)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    target = max(1, int(chunk_seconds * sample_rate))
    pending: list[np.ndarray] = []
    size = 0
    try:
        try:
            frames = container.decode(stream)
            for frame in frames:
                frame.pts = None  # let the resampler keep time; some files carry broken pts
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().reshape(-1))
                    size += out.samples
                if size >= target:
                    joined = np.concatenate(pending)
                    yield joined[:target]
                    pending, size = [joined[target:]], len(joined) - target
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            raise MediaError(f"corrupt audio: decoding failed ({_reason(exc)})", path) from None
        if pending:
            rest = np.concatenate(pending)
            if len(rest):
                yield rest
    finally:
        container.close()


@dataclass
class AudioSource:
    """The sound of a movie or an audio file, with the picture clock its times are counted in.

    `rate` is the movie's exact frame rate (or the one given for a file without pictures) and
    `first_frame` its start timecode as a frame number, so speech times convert to the frames an
    editor sees.
    """

    path: Path
    info: AudioInfo
    stream_index: int
    rate: Fraction
    first_frame: int = 0
    start_timecode: str | None = None

    def chunks(self, sample_rate: int = 16000, chunk_seconds: float = 30.0) -> Iterator[np.ndarray]:
        return read_audio(self.path, sample_rate, self.stream_index, chunk_seconds)


def open_audio(path: str | Path, stream_index: int = 0, rate: Fraction | None = None,
               start_timecode: str | None = None) -> AudioSource:
    """Open the chosen audio stream of a movie or an audio file (clear MediaError when there is none)."""
    from .movie import probe
    from .timecode import exact_rate

    path = Path(path)
    if not path.exists():
        raise MediaError("does not exist", path)
    if path.is_file() and path.stat().st_size == 0:
        raise MediaError("is empty (0 bytes)", path)
    info = probe_audio(path, stream_index)
    frame_rate, first, timecode = exact_rate(rate or Fraction(24)), 0, None
    container = open_container(path, "audio or movie file")
    has_picture = bool(container.streams.video) and not all(
        s.disposition & av.stream.Disposition.attached_pic for s in container.streams.video)
    time_reference = container.metadata.get("time_reference")  # Broadcast WAV: samples since midnight
    container.close()
    if has_picture:
        movie = probe(path)
        frame_rate, first, timecode = movie.rate, movie.first_frame, movie.start_timecode
    elif time_reference and time_reference.isdigit() and info.sample_rate:
        from .timecode import frame_to_timecode

        first = round(Fraction(int(time_reference), info.sample_rate) * frame_rate)
        timecode = frame_to_timecode(first, frame_rate)
    if start_timecode:  # the caller knows better, as for movies (media.movie.Movie)
        from .timecode import timecode_to_frame

        first, timecode = timecode_to_frame(start_timecode, frame_rate), start_timecode
    return AudioSource(path, info, stream_index, frame_rate, first, timecode)

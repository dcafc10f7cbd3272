"""Media I/O: movies and audio (PyAV), image sequences and images (OpenImageIO), colour (OpenColorIO).

Detectors receive frames from here, never file paths.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from ..errors import MediaError
from ..kinds import INPUT_KINDS
from .files import check_input_file  # noqa: F401 (re-exported)
from .audio import AudioInfo, AudioSource, open_audio, probe_audio, read_audio
from .movie import Movie, MovieInfo, encode_movie, probe
from .image import Still, read_image, write_image
from .sequence import ImageSequence, SequencePattern, is_sequence_path, parse_pattern
from .timecode import exact_rate, frame_to_timecode, timecode_to_frame
from .description import BAD_FRAME_POLICIES, MediaSpec  # noqa: F401 (re-exported)

IMAGE_EXTENSIONS = set(INPUT_KINDS["image"])


def open_any(path: str | Path, rate: Fraction | None = None, on_bad_frame: str = "stop",
             start_timecode: str | None = None) -> "Movie | ImageSequence | Still":
    """Open a still image, an image sequence or a movie, whichever the path names."""
    p = Path(path)
    if p.suffix.lower() in IMAGE_EXTENSIONS and p.exists() and not is_sequence_path(p):
        return Still(p)
    return open_frames(p, rate=rate, on_bad_frame=on_bad_frame, start_timecode=start_timecode)


def open_frames(path: str | Path, rate: Fraction | None = None, on_bad_frame: str = "stop",
                start_timecode: str | None = None) -> Movie | ImageSequence:
    """Open a movie or an image sequence as a frame source (rate overrides a sequence's own)."""
    p = Path(path)
    if is_sequence_path(p) and not p.exists():
        return ImageSequence(p, rate=rate, on_bad_frame=on_bad_frame, start_timecode=start_timecode)
    if p.suffix.lower() in IMAGE_EXTENSIONS and p.exists():
        raise MediaError("is a single image; give the sequence pattern (e.g. plate.####.exr)", p)
    return Movie(p, start_timecode=start_timecode)


def open_media(path: str | Path, kinds: tuple[str, ...], spec: "MediaSpec") -> "Movie | ImageSequence | Still | AudioSource":
    """Open an operator's input the one way every operator shares, as the media description says.

    `kinds` are the operator's input kinds: with "audio" the sound of a movie or audio file is
    opened, else pictures (a still only when "image" is among them). A frame range outside the
    media is refused with one line.
    """
    if "audio" in kinds:
        return open_audio(path, spec.audio_stream, spec.rate, spec.start_timecode)
    opener = open_any if "image" in kinds else open_frames
    media = opener(path, rate=spec.rate, on_bad_frame=spec.on_bad_frame, start_timecode=spec.start_timecode)
    if spec.frame_range is not None and not isinstance(media, Still):
        start, end = frame_span(media)
        if spec.frame_range[0] < start or spec.frame_range[1] > end:
            raise MediaError(f"frame range {spec.frame_range[0]}:{spec.frame_range[1]} is outside the media "
                             f"({start}:{end}, end exclusive)", getattr(media, "path", path))
    return media


def frame_span(media: "Movie | ImageSequence | Still", frame_range: tuple[int, int] | None = None) -> tuple[int, int]:
    """The [start, end) source frames to work on: the given range, else the whole media (a still is
    frame 0 whatever the range; open_media has refused ranges outside a movie or sequence)."""
    if frame_range is not None and not isinstance(media, Still):
        return frame_range
    return media.first_frame, media.first_frame + media.frame_count


__all__ = [
    "Still", "encode_movie", "frame_span", "open_any", "open_media", "MediaSpec", "AudioInfo", "probe_audio", "read_audio", "ImageSequence", "MediaError", "Movie", "MovieInfo", "SequencePattern", "exact_rate",
    "frame_to_timecode", "is_sequence_path", "open_frames", "parse_pattern", "probe", "read_image",
    "timecode_to_frame", "write_image",
]

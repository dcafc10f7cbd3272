"""Media I/O: movies and audio (PyAV), image sequences and images (OpenImageIO), colour (OpenColorIO).

Detectors receive frames from here, never file paths.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from ..errors import MediaError
from .files import check_input_file  # noqa: F401 (re-exported)
from .audio import AudioInfo, AudioSource, open_audio, probe_audio, read_audio
from .movie import Movie, MovieInfo, encode_movie, probe
from .image import Still, image_size, read_image, write_image
from .sequence import ImageSequence, SequencePattern, is_sequence_path, parse_pattern
from .timecode import exact_rate, frame_to_timecode, timecode_to_frame

IMAGE_EXTENSIONS = {".exr", ".dpx", ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".tga", ".bmp", ".hdr", ".cin"}


def open_any(path: str | Path, rate: Fraction | None = None, allow_missing: bool = False,
             **sequence_options) -> "Movie | ImageSequence | Still":
    """Open a still image, an image sequence or a movie, whichever the path names."""
    p = Path(path)
    if p.suffix.lower() in IMAGE_EXTENSIONS and p.exists() and not is_sequence_path(p):
        return Still(p)
    return open_frames(p, rate=rate, allow_missing=allow_missing, **sequence_options)


def open_frames(path: str | Path, rate: Fraction | None = None, allow_missing: bool = False,
                **sequence_options) -> Movie | ImageSequence:
    """Open a movie or an image sequence as a frame source (rate overrides a sequence's default)."""
    p = Path(path)
    if is_sequence_path(p) and not p.exists():
        return ImageSequence(p, rate=rate, allow_missing=allow_missing, **sequence_options)
    if p.suffix.lower() in IMAGE_EXTENSIONS and p.exists():
        raise MediaError("is a single image; give the sequence pattern (e.g. plate.####.exr)", p)
    return Movie(p)


__all__ = [
    "Still", "encode_movie", "image_size", "open_any", "AudioInfo", "probe_audio", "read_audio", "ImageSequence", "MediaError", "Movie", "MovieInfo", "SequencePattern", "exact_rate",
    "frame_to_timecode", "is_sequence_path", "open_frames", "parse_pattern", "probe", "read_image",
    "timecode_to_frame", "write_image",
]

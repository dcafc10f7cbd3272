"""Test movies for the Blender scenarios: real photographs seen through a window that pans across them."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from fixtures.faces import photo
from rushes.media import encode_movie


def panning(path: Path, shots: list[tuple[str, int, int, int]], size: int, step: int, rate: int = 25) -> Path:
    """One shot per (photograph, left, top, frames): a size x size window moving `step` px right a
    frame from (left, top); the shots back to back, H.264 at `rate` fps."""
    def pictures():
        for name, left, top, frames in shots:
            picture = photo(name)
            for i in range(frames):
                x = left + i * step
                window = np.ascontiguousarray(picture[top:top + size, x:x + size])
                assert window.shape == (size, size, 3), name
                yield window

    return encode_movie(pictures(), path, Fraction(rate), "h264")

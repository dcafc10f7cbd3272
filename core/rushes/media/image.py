"""Still images through OpenImageIO: read as float with their format facts, write atomically."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import MediaError, OutputError
from ..outputs import atomic_path


@contextmanager
def _quiet_c_stderr():
    """Some image libraries (libpng) print their errors straight to fd 2; OpenImageIO also reports
    them through geterror(), which is what the user sees, as one line."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "unknown error")


def read_image(path: Path) -> tuple[np.ndarray, dict]:
    """Read an image with OpenImageIO: float32 or native pixels HxWxC, plus format metadata."""
    import OpenImageIO as oiio

    if not path.exists():
        raise MediaError("file does not exist", path)
    if path.stat().st_size == 0:
        raise MediaError("empty file (0 bytes)", path)
    with _quiet_c_stderr():
        inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise MediaError(f"not a readable image ({_first_line(oiio.geterror())})", path)
    try:
        spec = inp.spec()
        with _quiet_c_stderr():
            pixels = inp.read_image(0, 0, 0, spec.nchannels, "float")
        if pixels is None:
            raise MediaError(f"corrupt or truncated image ({_first_line(inp.geterror())})", path)
        meta = {
            "spec": spec,
            "format": str(spec.format),
            "channels": list(spec.channelnames),
            "colorspace": spec.get_string_attribute("oiio:ColorSpace", ""),
            "file_format": inp.format_name(),
        }
    finally:
        inp.close()
    pixels = np.asarray(pixels, dtype=np.float32).reshape(spec.height, spec.width, spec.nchannels)
    return pixels, meta



def write_image(path: Path, pixels: np.ndarray, like: dict | None = None, channels: list[str] | None = None,
                fmt: str | None = None, atomic: bool = True) -> Path:
    """Write HxWxC float pixels, keeping the source's format, channel names and metadata.

    `like` is the metadata read_image returned for the source; its pixel format (uint8, uint16,
    half, float) and attributes are kept unless `fmt` overrides. Integer formats are clipped to
    [0, 1] and rounded by OpenImageIO. The file type follows the name's extension. With `atomic`
    the picture reaches `path` only once written and closed without error; operators pass the
    temporary path of `ctx.output.write(name)` instead, with atomic=False.
    """
    path = Path(path)
    if atomic:
        with atomic_path(path) as tmp:
            _write(tmp, path, pixels, like, channels, fmt)
    else:
        _write(path, path, pixels, like, channels, fmt)
    return path


def _write(file: Path, named: Path, pixels: np.ndarray, like: dict | None, channels: list[str] | None,
           fmt: str | None) -> None:
    import OpenImageIO as oiio

    height, width, nchannels = pixels.shape
    fmt = fmt or (like["format"] if like else "float")
    spec = oiio.ImageSpec(width, height, nchannels, fmt)
    if like is not None and like.get("spec") is not None:
        for attr in like["spec"].extra_attribs:
            if not attr.name.startswith(("oiio:", "ImageDescription")) or attr.name == "oiio:ColorSpace":
                spec.attribute(attr.name, attr.type, attr.value)
    if channels:
        spec.channelnames = tuple(channels)
        if "A" in channels:
            spec.alpha_channel = channels.index("A")
    out = oiio.ImageOutput.create(str(named))
    if out is None:
        raise OutputError(f"no image writer for this file type ({_first_line(oiio.geterror())})", named)
    if not out.open(str(file), spec):
        raise OutputError(f"cannot write ({_first_line(out.geterror())})", named)
    ok = out.write_image(np.ascontiguousarray(pixels, dtype=np.float32))
    closed = out.close()
    error = out.geterror()
    if not ok or not closed:
        raise OutputError(f"cannot write ({_problem(error)})", named)
    # A full disk often shows only when the last buffers are flushed on close, and some writers
    # (PNG) return True even then, with at most a message (others leave harmless messages, e.g.
    # TIFF's Exif directory): only a picture that reads back whole counts as written.
    with _quiet_c_stderr():
        check = oiio.ImageInput.open(str(file))
        whole = check is not None and check.read_image(0, 0, 0, nchannels, "float") is not None
    if check is not None:
        check.close()
    if not whole:
        oiio.geterror()
        problem = _problem(error) if error.strip() else "the file could not be written whole: disk full?"
        raise OutputError(f"cannot write ({problem})", named)


def _problem(text: str) -> str:
    line = _first_line(text)
    low = line.lower()
    for needle, problem in (("no space", "disk full"), ("quota", "disk quota exceeded"),
                            ("too large", "file too large"),
                            ("could only write", "the file could not be written whole: disk full?")):
        if needle in low:
            return problem
    return line


class Still:
    """A single picture file opened for an operator (read once, on open, so bad files fail early)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.pixels, self.meta = read_image(self.path)
        self.first_frame = 0
        self.frame_count = 1


def image_size(path: Path) -> tuple[int, int, int] | None:
    """(width, height, channels) of a readable image, or None when it is missing or unreadable."""
    import OpenImageIO as oiio

    if not path.exists() or path.stat().st_size == 0:
        return None
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        oiio.geterror()
        return None
    spec = inp.spec()
    inp.close()
    return spec.width, spec.height, spec.nchannels

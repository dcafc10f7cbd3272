"""Still images through OpenImageIO: read as float with their format facts, write atomically."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from ..errors import MediaError, OutputError
from ..files import atomic_path


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_problem(path: Path) -> str | None:
    """Why libpng would stop reading this PNG, found without libpng; None when its chunks are whole
    (or it is no PNG: OpenImageIO judges those).

    libpng prints each error straight to the process's stderr (OpenImageIO 3.2 also reports it
    through geterror(), the one line the user sees), and inside a host that is the host's console.
    So a PNG cut short, with a broken chunk header or a critical chunk that fails its checksum,
    is refused here before libpng sees it. A damaged deflate stream with valid checksums still
    reaches libpng, which then prints its line.
    """
    try:
        with open(path, "rb") as fh:
            if fh.read(8) != _PNG_SIGNATURE:
                return None
            while True:
                head = fh.read(8)
                if len(head) < 8:
                    return "PNG cut short before its end chunk"
                length, kind = struct.unpack(">I4s", head)
                if length >= 1 << 31 or not kind.isalpha():
                    return f"PNG chunk header broken at byte {fh.tell() - 8}"
                name = kind.decode("ascii")
                crc, left = zlib.crc32(kind), length
                while left:
                    block = fh.read(min(left, 1 << 20))
                    if not block:
                        return f"PNG cut short inside its {name} chunk"
                    crc, left = zlib.crc32(block, crc), left - len(block)
                stored = fh.read(4)
                if len(stored) < 4:
                    return f"PNG cut short inside its {name} chunk"
                # libpng stops on a bad critical chunk (upper-case first letter), skips an ancillary one
                if name[0].isupper() and struct.unpack(">I", stored)[0] != crc:
                    return f"PNG {name} chunk fails its checksum"
                if kind == b"IEND":
                    return None
    except OSError:
        return None  # OpenImageIO reports it


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "unknown error")


def read_image(path: Path) -> tuple[np.ndarray, dict]:
    """Read an image with OpenImageIO: float32 or native pixels HxWxC, plus format metadata."""
    import OpenImageIO as oiio

    if not path.exists():
        raise MediaError("file does not exist", path)
    if path.stat().st_size == 0:
        raise MediaError("empty file (0 bytes)", path)
    problem = _png_problem(path)
    if problem is not None:
        raise MediaError(f"corrupt or truncated image ({problem})", path)
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise MediaError(f"not a readable image ({_first_line(oiio.geterror())})", path)
    try:
        spec = inp.spec()
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
    check = None if _png_problem(file) else oiio.ImageInput.open(str(file))
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


def image_header(path: Path) -> dict:
    """What a picture's header says of time: `timecode` (SMPTE, EXR/DPX) and `rate` (a Fraction),
    each None when absent. Reads the header only."""
    from fractions import Fraction

    import OpenImageIO as oiio

    found: dict = {"timecode": None, "rate": None}
    if _png_problem(path):  # a damaged PNG is reported when it is read, not here (libpng would print)
        return found
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        oiio.geterror()
        return found
    try:
        spec = inp.spec()
        timecode = spec.get_string_attribute("smpte:TimeCode", "")
        found["timecode"] = timecode or None
        fps = spec.getattribute("FramesPerSecond")
        if isinstance(fps, tuple) and len(fps) == 2 and fps[0] > 0 and fps[1] > 0:
            found["rate"] = Fraction(int(fps[0]), int(fps[1]))
        elif (dpx := spec.getattribute("dpx:FrameRate")) and dpx == dpx and dpx > 0:
            found["rate"] = Fraction(dpx).limit_denominator(1001)
    finally:
        inp.close()
    return found


class Still:
    """A single picture file opened for an operator (read once, on open, so bad files fail early)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.pixels, self.meta = read_image(self.path)
        self.first_frame = 0
        self.frame_count = 1

"""Colour conversions through OpenColorIO: the studio's config ($OCIO or the one a run names),
else OpenColorIO's built-in config (no config files needed).

The network-facing encodings (sRGB, linear Rec.709) are always taken from the built-in config;
a picture's own colour space is looked up in the active config and converted through the
built-in config's reference space when the configs differ.
"""
from __future__ import annotations

import contextvars
import difflib
import os
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

import numpy as np

from ..errors import MediaError

BUILTIN = "ocio://default"
CONFIG = BUILTIN  # kept for callers that name the built-in config
SRGB = "sRGB Encoded Rec.709 (sRGB)"
LINEAR_REC709 = "Linear Rec.709 (sRGB)"

# The config of the run in this thread (set by the runner from the media description).
_active: contextvars.ContextVar[str | None] = contextvars.ContextVar("rushes_ocio_config", default=None)


def active_config_name() -> str:
    """The config in use: the run's, else $OCIO, else the built-in one."""
    return _active.get() or os.environ.get("OCIO") or BUILTIN


@contextmanager
def using_config(name: str | None) -> Iterator[None]:
    """Run a block with this OpenColorIO config (None: $OCIO or the built-in one)."""
    token = _active.set(name)
    try:
        config()  # an unreadable config fails here, with one line, before any work
        yield
    finally:
        _active.reset(token)


@lru_cache(maxsize=8)
def _load(name: str):
    import PyOpenColorIO as OCIO

    try:
        return OCIO.Config.CreateFromFile(name)
    except Exception as exc:  # OCIO raises its own Exception type with the reason
        raise MediaError(f"cannot load the OpenColorIO config ({str(exc).splitlines()[0] if str(exc) else exc})",
                         name) from None


def config():
    return _load(active_config_name())


def check_colorspace(name: str) -> str:
    """The canonical name of a colour space of the active config; one line with close names if unknown."""
    cfg = config()
    cs = cfg.getColorSpace(name)
    if cs is not None:
        return cs.getName()
    known = [c.getName() for c in cfg.getColorSpaces()]
    aliases = [a for c in cfg.getColorSpaces() for a in c.getAliases()]
    close = difflib.get_close_matches(name, known + aliases, n=4, cutoff=0.4)
    hint = f"; close: {', '.join(repr(c) for c in close)}" if close else ""
    raise MediaError(f"unknown colour space {name!r} in {active_config_name()}{hint}")


def guess_colorspace(meta: dict) -> str:
    """The colour space a file's pixels are in: its own tag, else linear for float, sRGB for integers."""
    tagged = meta.get("colorspace") or ""
    if tagged and config().getColorSpace(tagged) is not None:
        return config().getColorSpace(tagged).getName()
    if tagged.lower() in ("linear", "lin_rec709", "scene_linear"):
        return LINEAR_REC709
    return LINEAR_REC709 if meta.get("format") in ("half", "float", "double") else SRGB


def is_display_referred(name: str) -> bool:
    """True for display/output encodings (sRGB, gamma, Rec.1886...), False for scene-linear and log."""
    cs = config().getColorSpace(name) or _load(BUILTIN).getColorSpace(name)
    if cs is None:
        check_colorspace(name)  # raises, naming close matches
    import PyOpenColorIO as OCIO

    if cs.getReferenceSpaceType() == OCIO.REFERENCE_SPACE_DISPLAY:
        return True
    encoding = cs.getEncoding()
    if encoding:
        return encoding.startswith("sdr-video")
    return not cs.isData() and "linear" not in cs.getName().lower() and "aces" not in cs.getName().lower()


@lru_cache(maxsize=32)
def _cpu_processor(config_name: str, src: str, dst: str):
    import PyOpenColorIO as OCIO

    cfg = _load(config_name)
    src_cfg = cfg if cfg.getColorSpace(src) is not None else _load(BUILTIN)
    dst_cfg = cfg if cfg.getColorSpace(dst) is not None else _load(BUILTIN)
    for name, where in ((src, src_cfg), (dst, dst_cfg)):
        if where.getColorSpace(name) is None:
            check_colorspace(name)  # raises with close names
    if src_cfg is dst_cfg:
        return src_cfg.getProcessor(src, dst).getDefaultCPUProcessor()
    # a studio space and a built-in one: through both configs' interchange (ACES2065-1) space
    return OCIO.Config.GetProcessorFromConfigs(src_cfg, src, dst_cfg, dst).getDefaultCPUProcessor()


def convert(rgb: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert float32 HxWx3 pixels between two colour spaces (of the active or the built-in config)."""
    if src == dst:
        return rgb
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    _cpu_processor(active_config_name(), src, dst).applyRGB(out)
    return out


def to_display_rgb8(pixels: np.ndarray, meta: dict, colorspace: str = "auto",
                    size: tuple[int, int] | None = None) -> np.ndarray:
    """Any image (grey, RGB, RGBA, float or integer) as sRGB-encoded RGB uint8, optionally scaled.

    Scaling goes through the same pinned scaler as movie frames (see media.movie.SCALER).
    """
    channels = pixels.shape[2]
    if channels == 1:
        rgb = np.repeat(pixels, 3, axis=2)
    elif channels == 2:  # grey + alpha
        rgb = np.repeat(pixels[:, :, :1], 3, axis=2)
    else:
        rgb = pixels[:, :, :3]
    src = guess_colorspace(meta) if colorspace == "auto" else colorspace
    rgb = np.nan_to_num(rgb, nan=0.0, posinf=1.0, neginf=0.0)
    rgb = convert(rgb, src, SRGB)
    rgb8 = (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if size is not None:
        rgb8 = scale_rgb8(rgb8, size)
    return rgb8


def scale_rgb8(rgb8: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An RGB uint8 picture scaled to `size` (width, height) with the pinned scaler.

    swscale writes planar RGB (gbrp) about twice as fast as packed and the pixels are the same.
    """
    import av

    from .movie import SCALER

    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb8), format="rgb24")
    return frame.reformat(width=size[0], height=size[1], format="gbrp", interpolation=SCALER).to_ndarray()


class Pyramid:
    """One RGB uint8 picture at several scales for a detector's search, as planes.

    Each scale is made by the pinned scaler from the smallest picture already made that is at
    least as large, and kept as swscale's planar RGB: no packed copies between levels, and the
    planes are what a network's input is made of.
    """

    def __init__(self, rgb8: np.ndarray):
        import av

        self.height, self.width = rgb8.shape[:2]
        self._made = {1.0: av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb8), format="rgb24")}

    def planes(self, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The picture at `scale` of its size: R, G, B uint8 [h, w] (views of the scaled frame)."""
        from .movie import SCALER

        if scale not in self._made or self._made[scale].format.name != "gbrp":
            source = min((k for k in self._made if k >= scale), default=1.0)
            size = max(1, round(self.width * scale)), max(1, round(self.height * scale))
            self._made[scale] = self._made[source].reformat(width=size[0], height=size[1], format="gbrp",
                                                            interpolation=SCALER)
        frame = self._made[scale]
        g, b, r = (np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, :p.width] for p in frame.planes)
        return r, g, b

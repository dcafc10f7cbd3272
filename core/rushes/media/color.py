"""Colour conversions through OpenColorIO's built-in config (no config files needed)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import MediaError

CONFIG = "ocio://default"
SRGB = "sRGB Encoded Rec.709 (sRGB)"
LINEAR_REC709 = "Linear Rec.709 (sRGB)"


@lru_cache(maxsize=1)
def config():
    import PyOpenColorIO as OCIO

    return OCIO.Config.CreateFromFile(CONFIG)


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
    cs = config().getColorSpace(name)
    if cs is None:
        raise MediaError(f"unknown colour space {name!r} in {CONFIG}")
    import PyOpenColorIO as OCIO

    if cs.getReferenceSpaceType() == OCIO.REFERENCE_SPACE_DISPLAY:
        return True
    encoding = cs.getEncoding()
    if encoding:
        return encoding.startswith("sdr-video")
    return not cs.isData() and "linear" not in cs.getName().lower() and "aces" not in cs.getName().lower()


@lru_cache(maxsize=16)
def _cpu_processor(src: str, dst: str):
    cfg = config()
    if cfg.getColorSpace(src) is None:
        raise MediaError(f"unknown colour space {src!r} in {CONFIG}")
    return cfg.getProcessor(src, dst).getDefaultCPUProcessor()


def convert(rgb: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert float32 HxWx3 pixels between two colour spaces of the built-in config."""
    if src == dst:
        return rgb
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    _cpu_processor(src, dst).applyRGB(out)
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
    import av

    from .movie import SCALER

    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb8), format="rgb24")
    return frame.reformat(width=size[0], height=size[1], interpolation=SCALER).to_ndarray()

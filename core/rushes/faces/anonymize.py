"""Blurring or pixelating faces in a picture, touching nothing outside their regions.

Works on the source pixels as read (any channel count, float or integer data, scene-linear or
display-referred): only the colour channels inside each face region change; alpha, extra
channels and every pixel outside the regions come back bit-identical. Each region is the face
box grown by `margin` on every side (hair, chin, ears); the effect is blended in with an
elliptical mask that is full in the middle and feathers to zero at the region's edge.
"""
from __future__ import annotations

import numpy as np

COLOR = ("R", "G", "B", "Y")


def region(box: list[float] | np.ndarray, margin: float, width: int, height: int) -> tuple[int, int, int, int]:
    """The pixel rectangle (x0, y0, x1, y1), end-exclusive, that anonymizing a face may change."""
    x0, y0, x1, y1 = (float(v) for v in box)
    gx, gy = (x1 - x0) * margin, (y1 - y0) * margin
    return (max(0, int(np.floor(x0 - gx))), max(0, int(np.floor(y0 - gy))),
            min(width, int(np.ceil(x1 + gx))), min(height, int(np.ceil(y1 + gy))))


def _box_blur(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    """Mean over a window of 2r+1 along `axis`, edges extended."""
    pad = [(0, 0)] * a.ndim
    pad[axis] = (r + 1, r)
    c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=np.float64)
    n = a.shape[axis]
    hi = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
    lo = np.take(c, np.arange(0, n), axis=axis)
    return ((hi - lo) / (2 * r + 1)).astype(np.float32)


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Three box passes per axis: close to a Gaussian of this sigma."""
    r = max(1, int(round(np.sqrt(12 * sigma * sigma / 3 + 1) / 2)))
    for axis in (0, 1):
        for _ in range(3):
            a = _box_blur(a, r, axis)
    return a


def _pixelate(a: np.ndarray, block: int) -> np.ndarray:
    h, w = a.shape[:2]
    out = np.empty_like(a)
    for y in range(0, h, block):
        for x in range(0, w, block):
            out[y:y + block, x:x + block] = a[y:y + block, x:x + block].mean(axis=(0, 1))
    return out


def anonymize(pixels: np.ndarray, channels: list[str], boxes: list, style: str = "blur",
              strength: float = 0.15, margin: float = 0.15, feather: float = 0.25) -> np.ndarray:
    """A copy of `pixels` (HxWxC) with every face box blurred or pixelated.

    `strength`: blur sigma, or pixel block size, as a fraction of the face's size. `feather`:
    the fraction of the region (from its edge inwards) over which the effect fades in.
    """
    out = pixels.copy()
    h, w = pixels.shape[:2]
    names = [c.split(".")[-1].upper() for c in channels]
    color = [i for i, n in enumerate(names) if n in COLOR] or [i for i, n in enumerate(names) if n != "A"]
    for box in boxes:
        x0, y0, x1, y1 = region(box, margin, w, h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        size = max(x1 - x0, y1 - y0)
        # blur from a window around the region so its edge mixes with true surroundings
        pad = int(3 * strength * size) + 2 if style == "blur" else 0
        wx0, wy0, wx1, wy1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
        window = np.nan_to_num(pixels[wy0:wy1, wx0:wx1][:, :, color].astype(np.float32), nan=0.0,
                               posinf=0.0, neginf=0.0)
        if style == "blur":
            effect = _blur(window, max(1.0, strength * size))
        else:
            effect = _pixelate(window, max(2, int(round(strength * size))))
        effect = effect[y0 - wy0:y1 - wy0, x0 - wx0:x1 - wx0]
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        d = np.sqrt(((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2)  # 1 at the ellipse edge
        mask = np.clip((1.0 - d) / max(feather, 1e-3), 0.0, 1.0)[:, :, None]
        src = out[y0:y1, x0:x1][:, :, color]
        blended = np.where(mask > 0, src * (1 - mask) + effect * mask, src)
        if np.issubdtype(out.dtype, np.integer):
            blended = np.rint(blended)
        target = out[y0:y1, x0:x1]
        target[:, :, color] = blended.astype(out.dtype)
    return out

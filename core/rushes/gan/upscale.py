"""Upscaling pictures with a Real-ESRGAN network: tiling, outscale, colour, alpha and extra channels.

The network sees display-referred RGB in [0, 1]. Everything around it keeps the plate intact:
scene-linear input is scaled down by a power of two that brings its highlights to 1 (headroom),
encoded to sRGB with OpenColorIO, and decoded and scaled back after, so values above 1 survive
(a log encoding such as ACEScct can be chosen instead, but the network's small overshoots become
large errors in linear there); alpha is upscaled with a conventional filter and the colour is
un-premultiplied (with edge colours pushed into transparent areas, so no dark fringes) and
premultiplied again; extra channels are resized conventionally; NaN/Inf are counted and replaced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..media import color

NATIVE_SCALE = 4
PAD = 10  # reflect padding at picture edges, as the reference implementation does


def headroom(rgb: np.ndarray) -> float:
    """The power of two (>= 1) that brings the brightest 0.1% of a linear picture down to 1."""
    peak = float(np.percentile(rgb.max(axis=2), 99.9)) if rgb.size else 1.0
    return float(2.0 ** max(0, int(np.ceil(np.log2(max(peak, 1.0))))))


class Network:
    """One converted model, run with ONNX Runtime (default) or torch, on [1, 3, h, w] float32."""

    def __init__(self, model_dir: Path, model: str, backend: str = "onnx", threads: int = 0,
                 device: str = "cpu"):
        from ..devices import onnx_session, torch_device
        from ..modelstore.loaded import load_weights

        self.model = model
        self.backend = backend
        if backend == "onnx":
            onnx = model_dir / f"{model}.onnx"
            self.session = load_weights(onnx, ("realesrgan", model, "onnx", device, threads),
                                        lambda: onnx_session(onnx, device, threads))
        else:
            from .convert import MODELS, build

            self.device = torch_device(device)
            weights = model_dir / f"{model}.pt"
            self.net = load_weights(weights, ("realesrgan", model, "torch", str(self.device)),
                                    lambda: build(MODELS[model], weights).to(self.device))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.backend == "onnx":
            return self.session.run(None, {"image": np.ascontiguousarray(x, dtype=np.float32)})[0]
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
            return self.net(x).cpu().numpy()


def _pad(rgb: np.ndarray, pad: int) -> np.ndarray:
    mode = "reflect" if min(rgb.shape[:2]) > pad else "edge"
    return np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)), mode=mode)


def _ramp(length: int, fade_start: bool, fade_end: bool, band: int) -> np.ndarray:
    w = np.ones(length, np.float32)
    if band > 0:
        ramp = (np.arange(band, dtype=np.float32) + 0.5) / band
        if fade_start:
            w[:band] = np.minimum(w[:band], ramp)
        if fade_end:
            w[-band:] = np.minimum(w[-band:], ramp[::-1])
    return w


def upscale_rgb(rgb: np.ndarray, net: Network, tile: int = 256, context: int = 24, overlap: int = 8,
                check: Callable[[], None] | None = None) -> np.ndarray:
    """HxWx3 float32 in the network's space -> (4H)x(4W)x3, tiled so memory stays bounded.

    The picture is reflect-padded by 10 px as a whole; each tile is run with `context` pixels of
    real picture around it and its result cropped, and neighbouring tiles overlap by `overlap`
    pixels blended linearly, so tiled and untiled results agree.
    """
    s = NATIVE_SCALE
    h, w, _ = rgb.shape
    padded = _pad(rgb, PAD)
    ph, pw = padded.shape[:2]
    if h <= tile and w <= tile:
        out = net(padded.transpose(2, 0, 1)[None])[0].transpose(1, 2, 0)
        return out[PAD * s: PAD * s + h * s, PAD * s: PAD * s + w * s]
    step = tile - overlap
    ys = list(range(0, max(h - overlap, 1), step))
    xs = list(range(0, max(w - overlap, 1), step))
    acc = np.zeros((h * s, w * s, 3), np.float32)
    weight = np.zeros((h * s, w * s, 1), np.float32)
    for y0 in ys:
        y1 = min(y0 + tile, h)
        for x0 in xs:
            x1 = min(x0 + tile, w)
            if check:
                check()
            wy0, wy1 = max(0, y0 + PAD - context), min(ph, y1 + PAD + context)
            wx0, wx1 = max(0, x0 + PAD - context), min(pw, x1 + PAD + context)
            window = padded[wy0:wy1, wx0:wx1]
            out = net(window.transpose(2, 0, 1)[None])[0].transpose(1, 2, 0)
            oy, ox = (y0 + PAD - wy0) * s, (x0 + PAD - wx0) * s
            core = out[oy: oy + (y1 - y0) * s, ox: ox + (x1 - x0) * s]
            wy = _ramp((y1 - y0) * s, y0 > 0, y1 < h, overlap * s)
            wx = _ramp((x1 - x0) * s, x0 > 0, x1 < w, overlap * s)
            wt = (wy[:, None] * wx[None, :])[:, :, None]
            acc[y0 * s: y1 * s, x0 * s: x1 * s] += core * wt
            weight[y0 * s: y1 * s, x0 * s: x1 * s] += wt
    return acc / np.maximum(weight, 1e-12)


def resize(pixels: np.ndarray, width: int, height: int, filtername: str = "lanczos3") -> np.ndarray:
    """Resize HxWxC float32 with OpenImageIO's filtered resize (antialiased when shrinking)."""
    import OpenImageIO as oiio

    src = oiio.ImageBuf(oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], "float"))
    src.set_pixels(oiio.ROI(), np.ascontiguousarray(pixels, dtype=np.float32))
    dst = oiio.ImageBufAlgo.resize(src, filtername=filtername,
                                   roi=oiio.ROI(0, width, 0, height, 0, 1, 0, pixels.shape[2]))
    return np.asarray(dst.get_pixels(oiio.FLOAT)).reshape(height, width, pixels.shape[2])


def push_pull_fill(rgb: np.ndarray, alpha: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    """Fill colour where alpha is ~0 from the nearest covered pixels (pyramid push-pull)."""
    known = (alpha > threshold).astype(np.float32)[:, :, None]
    if known.all() or not known.any():
        return rgb
    levels = [(rgb * known, known)]
    while min(levels[-1][1].shape[:2]) > 1:
        c, k = levels[-1]
        h, w = (c.shape[0] + 1) // 2 * 2, (c.shape[1] + 1) // 2 * 2
        c = np.pad(c, ((0, h - c.shape[0]), (0, w - c.shape[1]), (0, 0)))
        k = np.pad(k, ((0, h - k.shape[0]), (0, w - k.shape[1]), (0, 0)))
        c2 = c.reshape(h // 2, 2, w // 2, 2, -1).sum(axis=(1, 3))
        k2 = k.reshape(h // 2, 2, w // 2, 2, -1).sum(axis=(1, 3))
        levels.append((c2, k2))
    filled = levels[-1][0] / np.maximum(levels[-1][1], 1e-12)
    for c, k in reversed(levels[:-1]):
        up = np.repeat(np.repeat(filled, 2, axis=0), 2, axis=1)[: c.shape[0], : c.shape[1]]
        mean = c / np.maximum(k, 1e-12)
        filled = np.where(k > 0, mean, up)
    return np.where(known > 0, rgb, filled).astype(np.float32)


@dataclass
class UpscaleReport:
    """What happened to one picture besides the upscale itself."""

    nonfinite: int = 0  # NaN/Inf pixels replaced
    exposure: float = 1.0  # scene-linear colour was divided by this before encoding
    extra_channels: list[str] = field(default_factory=list)  # resized conventionally


def channel_roles(names: list[str]) -> tuple[list[int], int | None, list[int]]:
    """Indices of the colour channels (1 or 3), the alpha channel, and the extra channels."""
    upper = [n.split(".")[-1].upper() for n in names]
    if all(c in upper for c in "RGB"):
        colour = [upper.index(c) for c in "RGB"]
    elif len(names) <= 2 or upper[0] in ("Y", "L", "GREY", "GRAY"):
        colour = [0]
    else:
        colour = [0, 1, 2]
    alpha = upper.index("A") if "A" in upper else (1 if len(names) == 2 else None)
    extras = [i for i in range(len(names)) if i not in colour and i != alpha]
    return colour, alpha, extras


def upscale_pixels(pixels: np.ndarray, names: list[str], colorspace: str, net: Network, scale: int,
                   working_space: str = "auto", tile: int = 256, exposure: float | None = None,
                   check: Callable[[], None] | None = None) -> tuple[np.ndarray, UpscaleReport]:
    """Upscale a whole picture (any channels) by `scale`; returns pixels with the same channels.

    `exposure` divides scene-linear colour before encoding (None: this picture's headroom; a
    sequence passes one value for all its frames so the encoding does not change between frames).
    """
    report = UpscaleReport()
    finite = np.isfinite(pixels)
    report.nonfinite = int((~finite).any(axis=2).sum())
    if report.nonfinite:
        big = float(np.abs(pixels[finite]).max()) if finite.any() else 1.0
        pixels = np.nan_to_num(pixels, nan=0.0, posinf=big, neginf=-big)
    h, w, _ = pixels.shape
    out_h, out_w = h * scale, w * scale
    colour, alpha_i, extras = channel_roles(names)
    report.extra_channels = [names[i] for i in extras]
    rgb = pixels[:, :, colour]
    if len(colour) == 1:
        rgb = np.repeat(rgb, 3, axis=2)
    alpha = pixels[:, :, alpha_i] if alpha_i is not None else None
    if alpha is not None:
        rgb = np.where(alpha[:, :, None] > 1e-6, rgb / np.maximum(alpha[:, :, None], 1e-6), 0.0)
        rgb = push_pull_fill(rgb.astype(np.float32), alpha)
    display = color.is_display_referred(colorspace)
    space = color.SRGB if working_space == "auto" else working_space
    k = 1.0 if display or working_space != "auto" else (exposure or headroom(rgb))
    report.exposure = k
    encoded = color.convert(rgb / k, colorspace, space)
    up = upscale_rgb(encoded, net, tile=tile, check=check)
    if scale != NATIVE_SCALE:
        up = resize(up, out_w, out_h)
    up = color.convert(up, space, colorspace) * k
    out = np.zeros((out_h, out_w, pixels.shape[2]), np.float32)
    if len(colour) == 1:
        out[:, :, colour[0]] = up.mean(axis=2)
    else:
        out[:, :, colour] = up
    if alpha is not None:
        a = np.clip(resize(alpha[:, :, None], out_w, out_h)[:, :, 0], 0.0, 1.0)
        out[:, :, alpha_i] = a
        for c in colour:
            out[:, :, c] *= a
    if extras:
        out[:, :, extras] = resize(pixels[:, :, extras], out_w, out_h, "triangle")
    return out, report

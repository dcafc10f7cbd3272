"""TorchScript export of a gan.upscale model for Nuke's Inference node (via CatFileCreator).

The exported module has one input and one output tensor, [1, 3, H, W] -> [1, 3, sH, sW]. With
`colorspace="linear"` (Nuke's working space) it encodes scene-linear RGB to sRGB with highlight
headroom, upscales, and decodes back, so it drops straight into a linear comp. Padding and the
network's native factor come from rushes.gan.upscale, so the export pads and crops exactly as
`rushes run gan.upscale` does.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from rushes.gan.constants import MODELS
from rushes.gan.convert import build
from rushes.gan.upscale import NATIVE_SCALE, PAD


class _NukeUpscaler(nn.Module):
    def __init__(self, net: nn.Module, linear: bool, scale: int, headroom: float):
        super().__init__()
        self.net = net
        self.linear = linear
        self.scale = scale
        self.headroom = headroom
        self.pad = PAD
        self.native = NATIVE_SCALE

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        x = x / self.headroom
        return torch.where(x <= 0.0031308, x * 12.92, 1.055 * torch.clamp(x, min=0.0031308) ** (1.0 / 2.4) - 0.055)

    def _decode(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.where(x <= 0.04045, x / 12.92, ((torch.clamp(x, min=0.04045) + 0.055) / 1.055) ** 2.4)
        return y * self.headroom

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = image[:, :3]
        if self.linear:
            x = self._encode(x)
        h, w = x.shape[2], x.shape[3]
        p, s = self.pad, self.native
        x = F.pad(x, (p, p, p, p), mode="reflect")
        y = self.net(x)[:, :, p * s:p * s + s * h, p * s:p * s + s * w]
        if self.scale != s:
            y = F.interpolate(y, size=(h * self.scale, w * self.scale), mode="bicubic", align_corners=False,
                              antialias=True)
        if self.linear:
            y = self._decode(y)
        return y


def export_torchscript(model_dir: Path, model: str, out: Path, scale: int = 4, colorspace: str = "linear",
                       headroom: float = 1.0) -> Path:
    """Write `out` (.pt): a scripted upscaler ready for CatFileCreator; `model_dir` is the
    model store's realesrgan entry."""
    net = build(MODELS[model], model_dir / f"{model}.pt")
    module = torch.jit.script(_NukeUpscaler(net, colorspace == "linear", scale, float(headroom)).eval())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    module.save(str(tmp))
    tmp.replace(out)
    return out

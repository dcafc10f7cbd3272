"""Model-store converter: Real-ESRGAN ncnn weights -> rushes' torch architectures -> ONNX.

The .bin files of realesr-animevideov3 x2 and x3 hold the same weights as x4 (their graphs only
add a bicubic downscale), so one x4 network serves every scale; rushes does its own downscale.
"""
from __future__ import annotations

import copy
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import ModelError
from .archs import RRDBNet, SRVGGNetCompact
from .constants import MODELS
from .ncnn import Layer, conv_layers, read_model


def _tensor(array) -> torch.Tensor:
    return torch.from_numpy(array.copy())


def rrdbnet_from_ncnn(layers: list[Layer]) -> RRDBNet:
    convs = conv_layers(layers)
    blocks, rest = divmod(len(convs) - 6, 15)
    if rest or blocks < 1:
        raise ModelError(f"{len(convs)} convolutions do not make an RRDBNet")
    keys = ["conv_first"]
    keys += [f"body.{b}.rdb{r}.conv{c}" for b in range(blocks) for r in (1, 2, 3) for c in range(1, 6)]
    keys += ["conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]
    state = {}
    for key, layer in zip(keys, convs):
        state[f"{key}.weight"] = _tensor(layer.weights["weight"])
        state[f"{key}.bias"] = _tensor(layer.weights["bias"])
    model = RRDBNet(num_block=blocks)
    model.load_state_dict(state)
    return model.eval()


def compact_from_ncnn(layers: list[Layer]) -> SRVGGNetCompact:
    learned = [layer for layer in layers if layer.type in ("Convolution", "PReLU")]
    convs = conv_layers(layers)
    model = SRVGGNetCompact(num_conv=len(convs) - 2, upscale=4)
    if len(learned) != len(model.body):
        raise ModelError("ncnn graph does not match SRVGGNetCompact")
    state = {}
    for index, layer in enumerate(learned):
        for name, array in layer.weights.items():
            state[f"body.{index}.{name}"] = _tensor(array)
    model.load_state_dict(state)
    return model.eval()


def load_ncnn(param: Path, bin_path: Path, arch: str) -> nn.Module:
    layers = read_model(param, bin_path)
    return rrdbnet_from_ncnn(layers) if arch == "rrdb" else compact_from_ncnn(layers)


def build(arch: str, state_dict_path: Path) -> nn.Module:
    """A network from a converted state dict (torch.load with weights_only=True)."""
    state = torch.load(state_dict_path, map_location="cpu", weights_only=True)
    if arch == "rrdb":
        blocks = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("body."))
        model: nn.Module = RRDBNet(num_block=blocks)
    else:
        convs = [k for k, v in state.items() if k.endswith(".weight") and v.dim() == 4]
        model = SRVGGNetCompact(num_conv=len(convs) - 2)
    model.load_state_dict(state)
    return model.eval()


class _PReLUForExport(nn.Module):
    """PReLU written as relu(x) - a * relu(-x): the same numbers, but ONNX Runtime keeps the
    convolutions in its blocked NCHWc layout around it instead of reordering at every layer."""

    def __init__(self, prelu: nn.PReLU):
        super().__init__()
        self.weight = prelu.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x) - self.weight.view(1, -1, 1, 1) * torch.relu(-x)


def export_onnx(model: nn.Module, path: Path) -> None:
    if isinstance(model, SRVGGNetCompact):
        model = copy.deepcopy(model)
        for index, layer in enumerate(model.body):
            if isinstance(layer, nn.PReLU):
                model.body[index] = _PReLUForExport(layer)
    example = torch.rand(1, 3, 32, 32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), str(path), opset_version=17, input_names=["image"],
                          output_names=["upscaled"],
                          dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                                        "upscaled": {0: "batch", 2: "height", 3: "width"}},
                          dynamo=False)


def convert(files: dict[str, Path], out: Path) -> None:
    """Model-store entry point: every Real-ESRGAN model of the artifact -> .pt + .onnx."""
    for name, arch in MODELS.items():
        model = load_ncnn(files[f"{name}.param"], files[f"{name}.bin"], arch)
        torch.save(model.state_dict(), out / f"{name}.pt")
        export_onnx(model, out / f"{name}.onnx")

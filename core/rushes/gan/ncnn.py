"""Reading ncnn models (.param + .bin) into numpy arrays, layer by layer, for conversion to torch.

Format facts this relies on (ncnn's ModelBin): a Convolution layer stores its weights with a
4-byte type tag (0x01306B47 = IEEE fp16; 0 = fp32) padded to 4 bytes, then its bias as raw fp32
when bias_term (param 5) is 1; PReLU stores its slopes as raw fp32. Activations fused into a
convolution are params 9 (type: 1 ReLU, 2 LeakyReLU) and -23310 (their parameters).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelError

FP16_TAG = 0x01306B47
FP32_TAG = 0x00000000


@dataclass
class Layer:
    type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    params: dict[int, str]
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    def int(self, key: int, default: int = 0) -> int:
        return int(self.params.get(key, default))


def read_param(path: Path) -> list[Layer]:
    lines = path.read_text(encoding="ascii").split("\n")
    if lines[0].strip() != "7767517":
        raise ModelError("not an ncnn .param file (bad magic)", path)
    layers = []
    for line in lines[2:]:
        parts = line.split()
        if not parts:
            continue
        ltype, name, n_in, n_out = parts[0], parts[1], int(parts[2]), int(parts[3])
        inputs = parts[4:4 + n_in]
        outputs = parts[4 + n_in:4 + n_in + n_out]
        params = {}
        for item in parts[4 + n_in + n_out:]:
            key, _, value = item.partition("=")
            params[int(key)] = value
        layers.append(Layer(ltype, name, inputs, outputs, params))
    return layers


def read_model(param: Path, bin_path: Path) -> list[Layer]:
    """Layers with their weights: Convolution -> weight [out, in, k, k] (+ bias), PReLU -> slope."""
    layers = read_param(param)
    data = bin_path.read_bytes()
    offset = 0

    def take_raw_fp32(count: int) -> np.ndarray:
        nonlocal offset
        out = np.frombuffer(data, "<f4", count, offset).astype(np.float32)
        offset += 4 * count
        return out

    def take_tagged(count: int) -> np.ndarray:
        nonlocal offset
        tag = int.from_bytes(data[offset:offset + 4], "little")
        offset += 4
        if tag == FP16_TAG:
            out = np.frombuffer(data, "<f2", count, offset).astype(np.float32)
            offset += (2 * count + 3) // 4 * 4
            return out
        if tag == FP32_TAG:
            return take_raw_fp32(count)
        raise ModelError(f"unsupported ncnn weight tag 0x{tag:08x} at byte {offset - 4}", bin_path)

    for layer in layers:
        if layer.type == "Convolution":
            out_ch, k, size = layer.int(0), layer.int(1), layer.int(6)
            in_ch = size // (out_ch * k * k)
            layer.weights["weight"] = take_tagged(size).reshape(out_ch, in_ch, k, k)
            if layer.int(5):
                layer.weights["bias"] = take_raw_fp32(out_ch)
        elif layer.type == "PReLU":
            layer.weights["weight"] = take_raw_fp32(layer.int(0))
        elif layer.type in ("ConvolutionDepthWise", "InnerProduct", "Deconvolution", "BatchNorm"):
            raise ModelError(f"ncnn layer {layer.type} ({layer.name}) is not supported by this converter", param)
    if offset != len(data):
        raise ModelError(f"ncnn .bin has {len(data) - offset} bytes left over after the last layer", bin_path)
    return layers


def conv_layers(layers: list[Layer]) -> list[Layer]:
    return [layer for layer in layers if layer.type == "Convolution"]

"""Model-store converters for the face detectors (run once, at fetch time)."""
from __future__ import annotations

import logging
from pathlib import Path

import torch


def convert_blazeface(files: dict[str, Path], out: Path) -> None:
    """BlazeFace .tflite -> ONNX with tflite2onnx (no TensorFlow), checked by loading it in ORT.

    The graphs hold float16 weights behind Dequantize ops; tflite2onnx folds them to float32
    (it warns that float16 is 'not tested': rushes' tests check the converted model's faces).
    """
    import onnxruntime as ort
    import tflite2onnx

    quiet = logging.getLogger("tflite2onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for model in ("short", "full"):
            target = out / f"blazeface_{model}.onnx"
            tflite2onnx.convert(str(files[f"blazeface_{model}.tflite"]), str(target))
            ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    finally:
        quiet.setLevel(level)


def convert_mtcnn(files: dict[str, Path], out: Path) -> None:
    """facenet-pytorch's P/R/O-Net state dicts, loaded (weights_only) into rushes' modules."""
    from .mtcnn import NETS

    for name, cls in NETS.items():
        state = torch.load(files[f"{name}.pt"], map_location="cpu", weights_only=True)
        net = cls()
        net.load_state_dict(state)  # strict: every tensor named and shaped as expected
        torch.save(net.state_dict(), out / f"{name}.pt")

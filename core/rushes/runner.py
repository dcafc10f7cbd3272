"""Run one operator on one input in this process: validate, open, run, write results atomically."""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .interchange import result_json, write_result, writers_for
from .modelstore import ModelStore
from .errors import Cancelled, ParameterError, TimedOut
from .operators import Context, get_operator
from . import report
from .outputs import OutputFolder, describe_outputs
from .progress import ProgressEvent


@dataclass
class RunOutput:
    operator: str
    out_dir: Path
    files: list[Path]
    result: Any
    envelope: dict[str, Any] = field(default_factory=dict)  # what every result JSON carries on top

    def to_json(self) -> dict[str, Any]:
        """The result as written to its JSON file: envelope, then the result's own fields."""
        return result_json(self.result, self.envelope)


def run(operator: str, input_path: str | Path, out_dir: str | Path, params: dict[str, Any] | None = None,
        progress: Callable[[float, str], None] | None = None,
        cancel_event: threading.Event | None = None, models: ModelStore | None = None,
        frame_range: tuple[int, int] | None = None, write_results: bool = True,
        device: str = "cpu", timeout: float | None = None,
        events: Callable[[ProgressEvent], None] | None = None, media: Any = None) -> RunOutput:
    """Run `operator` on `input_path`, writing its results into `out_dir`.

    `media` is the media description (rushes.media.MediaSpec, or its JSON form as a dict): rate,
    start timecode, frame range, OCIO config and colour space, bad-frame policy, audio stream.

    Parameters are checked against the operator's schema before any media is read; the output
    folder is checked before any work starts; every file is written atomically. `frame_range`
    ([start, end) source frames) limits operators that support it; a chunk of a split job passes
    write_results=False and its driver writes the merged result. `device` is the compute device
    for network operators; after `timeout` seconds the run stops as if cancelled and raises
    TimedOut. `progress(fraction, message)` and `events(ProgressEvent)` are called on this thread
    at each report of the operator (see Context).
    """
    from .media import MediaSpec, color

    cls = get_operator(operator)
    cls.check_installed()  # an operator whose extra is missing: one line naming it, before anything
    values = cls.resolve_params(params)
    spec = MediaSpec.from_json(media)
    frame_range = combine_ranges(spec.frame_range, frame_range)
    if frame_range is not None and not cls.frame_ranges:
        raise ParameterError(f"{operator} cannot run a frame range; it reads {' or '.join(cls.inputs)}")
    spec = spec.with_range(frame_range)
    check_input(cls, input_path)
    with color.using_config(spec.config):
        if spec.colorspace != "auto":
            color.check_colorspace(spec.colorspace)  # one line with close names, before any work
        return _run(cls, values, spec, input_path, out_dir, progress, cancel_event, models, write_results,
                    device, timeout, events)


def combine_ranges(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
    """Both [start, end) ranges at once (a clip's in/out and a job chunk of it)."""
    if a is None or b is None:
        return a or b
    start, end = max(a[0], b[0]), min(a[1], b[1])
    if start >= end:
        raise ParameterError(f"frame ranges {a[0]}:{a[1]} and {b[0]}:{b[1]} do not overlap")
    return start, end


def _run(cls: type, values: dict[str, Any], spec: Any, input_path: str | Path, out_dir: str | Path,
         progress: Callable[[float, str], None] | None, cancel_event: threading.Event | None,
         models: ModelStore | None, write_results: bool, device: str,
         timeout: float | None, events: Callable[[ProgressEvent], None] | None) -> RunOutput:
    """The run itself, with the media description `spec` settled (its frame range included)."""
    operator = cls.name
    op = cls()
    op.media = spec
    media = op.open_input(str(input_path), values)
    output = output_folder(cls, media, values, input_path, out_dir, spec)
    results = result_names(cls) if write_results else []
    # refuses names on sources and on files rushes did not write, before any work
    output.plan(op.outputs(media, values, spec.frame_range) + results
                + (report.page_names(cls.output_stem) if write_results else []))
    if write_results:
        report.check_folder(output.path, cls.output_stem)  # the page's pictures folder
    out = output.path
    cancel_event = cancel_event or threading.Event()
    timer, expired = None, threading.Event()
    if timeout is not None:
        timer = threading.Timer(timeout, lambda: (expired.set(), cancel_event.set()))
        timer.daemon = True
        timer.start()
    used = UsedModels(models or ModelStore())
    ctx = Context(progress=progress or (lambda f, m: None),
                  cancel_event=cancel_event,
                  models=used, out_dir=out, output=output, frame_range=spec.frame_range,
                  device=device, events=events, media=spec)
    try:
        result = op.run(media, values, ctx)
        envelope = run_envelope(cls, values, used.used, media, spec, output.produced() + results)
        if write_results:  # the result's page (rushes.report), staged to land with its result files
            page = report.Report(result_json(result, envelope), out, cls.output_stem)
            envelope["outputs"] = describe_outputs(output.produced() + results + page.names)
            page.write(output, envelope["outputs"])
        files = (write_result(result, cls.result, output, cls.output_stem, envelope) if write_results
                 else output.write_set({}))
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
    return RunOutput(operator, out, files, result, envelope)


class UsedModels:
    """The model store as an operator sees it: it records each model a run used, for the results."""

    def __init__(self, store: ModelStore):
        self.store = store
        self.used: dict[str, list[str]] = {}

    def ensure(self, model_id: str, *args: Any, **kwargs: Any) -> Path:
        entry = self.store.ensure(model_id, *args, **kwargs)
        self.used[model_id] = [a.sha256 for a in self.store.manifest(model_id).artifacts]
        return entry

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def describe_media(media: Any, spec: Any = None) -> dict[str, Any]:
    """The media description a result was made with: exact rate, first frame, start timecode, range,
    and how it was read (colour, bad frames, audio stream)."""
    from .media import frame_span

    rate = getattr(media, "rate", None)
    info = getattr(media, "info", None)
    timecode = getattr(media, "start_timecode", None) or getattr(info, "start_timecode", None)
    first = getattr(media, "first_frame", None)
    # the frames the run worked on, as the operators themselves take them (sound has no frame count)
    used = None
    if getattr(media, "frame_count", None):
        used = frame_span(media, spec.frame_range if spec is not None else None)
    described = {"rate": {"num": rate.numerator, "den": rate.denominator} if rate is not None else None,
                 "first_frame": first, "start_timecode": timecode,
                 "frame_range": list(used) if used else None}
    if spec is not None:
        described.update(ocio_config=spec.config, colorspace=spec.colorspace, on_bad_frame=spec.on_bad_frame,
                         audio_stream=spec.audio_stream)
    return described


def run_envelope(cls: type, values: dict[str, Any], models: dict[str, list[str]], media: Any,
                 spec: Any, files: list[str]) -> dict[str, Any]:
    """What every result JSON carries on top (docs/contract.md): who made it, how, from what, and where."""
    from .operators import SCHEMA_VERSION
    from .outputs import describe_outputs
    from .version import __version__

    return {"schema_version": SCHEMA_VERSION, "rushes_version": __version__, "operator": cls.name,
            "params": values, "models": [{"id": mid, "artifact_sha256": shas} for mid, shas in sorted(models.items())],
            "media": describe_media(media, spec), "outputs": describe_outputs(files)}


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
                  out_dir: str | Path, spec: Any = None) -> OutputFolder:
    """The output folder of one run of `cls`, knowing its sources and its resume key."""
    key = None
    if cls.resume_params is not None:
        colour = {"colorspace": spec.colorspace, "ocio_config": spec.config} if spec is not None else {}
        identity = {"operator": cls.name, "input": str(Path(str(input_path)).absolute()),
                    "params": {k: values[k] for k in cls.resume_params}, "media": colour}
        key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    return OutputFolder(out_dir, cls.name, values, str(input_path), media_sources(media, input_path), key)


def result_names(cls: type) -> list[str]:
    """The result files every run of `cls` writes: `<stem>.<ext>` for each writer of its result kind."""
    return [f"{cls.output_stem}.{ext}" for ext in writers_for(cls.result)]

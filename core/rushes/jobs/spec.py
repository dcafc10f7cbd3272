"""The job spec: what to run, on what, with which parameters, into which folder. Plain JSON."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import OutputError, ParameterError, RushesError

MAX_PRIORITY = 1_000_000  # |priority| at most: far beyond any queue, far inside an SQLite integer


@dataclass
class JobSpec:
    operator: str
    input: str
    out: str
    params: dict[str, Any] = field(default_factory=dict)
    frame_range: tuple[int, int] | None = None  # [start, end) source frames (end exclusive), see docs/contract.md
    priority: int = 0  # higher runs first
    timeout: float | None = None  # seconds of running time before the job is stopped and failed
    media: dict[str, Any] | None = None  # the media description (rushes.media.MediaSpec JSON), see docs/contract.md

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["frame_range"] = list(self.frame_range) if self.frame_range else None
        return data

    @classmethod
    def from_json(cls, data: Any) -> "JobSpec":
        if not isinstance(data, dict):
            raise ParameterError("job spec must be a JSON object")
        unknown = set(data) - {"operator", "input", "out", "params", "frame_range", "priority", "timeout", "media"}
        if unknown:
            raise ParameterError(f"job spec has unknown field(s): {', '.join(sorted(unknown))}")
        try:
            operator, input_, out = (_text(data, key) for key in ("operator", "input", "out"))
        except KeyError as exc:
            raise ParameterError(f"job spec is missing {exc.args[0]!r}") from None
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ParameterError("job spec 'params' must be an object")
        rng = data.get("frame_range")
        if rng is not None:
            if not (isinstance(rng, (list, tuple)) and len(rng) == 2 and all(_is_int(v) for v in rng)
                    and rng[0] < rng[1]):
                raise ParameterError("job spec 'frame_range' must be [start, end) source frames, end exclusive, "
                                     "with start < end")
            rng = (int(rng[0]), int(rng[1]))
        priority = data.get("priority", 0)
        # bounded: the queue keeps it in an SQLite INTEGER column (64 bits)
        if not (_is_int(priority) and -MAX_PRIORITY <= priority <= MAX_PRIORITY):
            raise ParameterError(f"job spec 'priority' must be a whole number from {-MAX_PRIORITY} to {MAX_PRIORITY}")
        timeout = data.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or not 0 < timeout <= 7 * 24 * 3600):
            raise ParameterError("job spec 'timeout' must be a number of seconds, above 0 and at most a week")
        media = data.get("media")
        if media is not None:
            from ..media.description import MediaSpec

            media = MediaSpec.from_json(media).to_json()  # checked now, stored in one canonical form
        return cls(operator, input_, out, dict(params), rng, priority,
                   float(timeout) if timeout is not None else None, media)


def _is_int(value: Any) -> bool:
    """A JSON whole number; true/false are Python ints too, and are refused."""
    return isinstance(value, int) and not isinstance(value, bool)


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise ParameterError(f"job spec {key!r} must be a non-empty string")
    if "\0" in value:
        raise ParameterError(f"job spec {key!r} must not contain a NUL character")
    return value


def validate_spec(spec: JobSpec, allowed_roots: list[Path] | None = None) -> dict[str, Any]:
    """Check a spec before anything runs; returns the resolved parameters.

    The operator must exist, every parameter must fit its schema, a frame range needs an operator
    that can run one, input, output and every path parameter (widget "path") must be absolute
    paths (a worker does not share the submitter's current folder: `absolute_paths` makes them so
    where the spec is made), the input must be a regular file (a sequence pattern is checked
    when it is opened), and the output folder must lie inside one of `allowed_roots` when they
    are given.
    """
    from ..media import check_input_file, is_sequence_path
    from ..operators import get_operator

    cls = get_operator(spec.operator)
    values = cls.resolve_params(spec.params)
    in_out = (spec.media or {}).get("frame_range")
    if (spec.frame_range is not None or in_out is not None) and not cls.frame_ranges:
        raise ParameterError(f"{spec.operator} cannot run a frame range; it reads {' or '.join(cls.inputs)}")
    for what, path in (("input", spec.input), ("output folder", spec.out)):
        if not os.path.isabs(path):
            raise RushesError(f"{what} must be an absolute path", path)
    for p in cls.params:
        if p.ui_widget == "path" and values[p.name] and not os.path.isabs(values[p.name]):
            raise ParameterError(f"parameter {p.name}={values[p.name]!r} must be an absolute path (the worker "
                                 "does not share the submitter's folder)")
    # a name that looks like a pattern but exists as a file is that file (as open_frames reads it)
    if not is_sequence_path(spec.input) or os.path.lexists(spec.input):
        check_input_file(spec.input)
    if allowed_roots:
        out = Path(spec.out).resolve()
        if not any(out == root.resolve() or root.resolve() in out.parents for root in allowed_roots):
            roots = ", ".join(str(r) for r in allowed_roots)
            raise OutputError(f"output folder is outside the allowed roots ({roots})", spec.out)
    return values


def absolute_paths(spec: JobSpec, folder: str | None = None) -> JobSpec:
    """The spec with its input, output folder and path parameters (widget "path"), where relative,
    made absolute against `folder` (default: the current folder): what a spec needs before it
    leaves the process it was made in. An unknown operator's parameters are left as they are."""
    from ..operators import get_operator

    base = folder or os.getcwd()

    def absolute(value: str) -> str:
        return value if not value or os.path.isabs(value) else os.path.abspath(os.path.join(base, value))

    try:
        paths = {p.name for p in get_operator(spec.operator).params if p.ui_widget == "path"}
    except RushesError:
        paths = set()
    params = {k: absolute(v) if k in paths and isinstance(v, str) else v for k, v in spec.params.items()}
    return replace(spec, input=absolute(spec.input), out=absolute(spec.out), params=params)


def needs_device(spec: JobSpec) -> bool:
    """Whether the job occupies a compute device (a network job); a spec that does not resolve
    is treated as CPU work (it fails when it runs, with its own error)."""
    from ..operators import get_operator

    try:
        cls = get_operator(spec.operator)
        return cls.needs_device(cls.resolve_params(spec.params))
    except RushesError:
        return False

"""The job spec: what to run, on what, with which parameters, into which folder. Plain JSON."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OutputError, ParameterError, RushesError


@dataclass
class JobSpec:
    operator: str
    input: str
    out: str
    params: dict[str, Any] = field(default_factory=dict)
    frame_range: tuple[int, int] | None = None  # inclusive first/last source frame, for sequence operators
    priority: int = 0  # higher runs first
    timeout: float | None = None  # seconds of running time before the job is stopped and failed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["frame_range"] = list(self.frame_range) if self.frame_range else None
        return data

    @classmethod
    def from_json(cls, data: Any) -> "JobSpec":
        if not isinstance(data, dict):
            raise ParameterError("job spec must be a JSON object")
        unknown = set(data) - {"operator", "input", "out", "params", "frame_range", "priority", "timeout"}
        if unknown:
            raise ParameterError(f"job spec has unknown field(s): {', '.join(sorted(unknown))}")
        try:
            operator, input_, out = str(data["operator"]), str(data["input"]), str(data["out"])
        except KeyError as exc:
            raise ParameterError(f"job spec is missing {exc.args[0]!r}") from None
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ParameterError("job spec 'params' must be an object")
        rng = data.get("frame_range")
        if rng is not None:
            if not (isinstance(rng, (list, tuple)) and len(rng) == 2 and all(isinstance(v, int) for v in rng)
                    and rng[0] <= rng[1]):
                raise ParameterError("job spec 'frame_range' must be [first, last] with first <= last")
            rng = (int(rng[0]), int(rng[1]))
        priority = data.get("priority", 0)
        if not isinstance(priority, int):
            raise ParameterError("job spec 'priority' must be an integer")
        timeout = data.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or not 0 < timeout <= 7 * 24 * 3600):
            raise ParameterError("job spec 'timeout' must be a number of seconds, above 0 and at most a week")
        return cls(operator, input_, out, dict(params), rng, priority,
                   float(timeout) if timeout is not None else None)


def validate_spec(spec: JobSpec, allowed_roots: list[Path] | None = None) -> dict[str, Any]:
    """Check a spec before anything runs; returns the resolved parameters.

    The operator must exist, every parameter must fit its schema, the input must exist (a
    sequence pattern is checked when it is opened), and the output folder must lie inside one
    of `allowed_roots` when they are given.
    """
    from ..media import is_sequence_path
    from ..operators import get_operator

    cls = get_operator(spec.operator)
    values = cls.resolve_params(spec.params)
    if not is_sequence_path(spec.input) and not Path(spec.input).exists():
        raise RushesError("file does not exist", spec.input)
    if allowed_roots:
        out = Path(spec.out).resolve()
        if not any(out == root.resolve() or root.resolve() in out.parents for root in allowed_roots):
            roots = ", ".join(str(r) for r in allowed_roots)
            raise OutputError(f"output folder is outside the allowed roots ({roots})", spec.out)
    return values


def needs_device(spec: JobSpec) -> bool:
    """Whether the job occupies a compute device (a network job); a spec that does not resolve
    is treated as CPU work (it fails when it runs, with its own error)."""
    from ..operators import get_operator

    try:
        cls = get_operator(spec.operator)
        return cls.needs_device(cls.resolve_params(spec.params))
    except RushesError:
        return False

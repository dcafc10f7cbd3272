"""The operator contract: parameter schema, run context, and discovery through pluggy."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import pluggy

from . import hookspecs
from .errors import Cancelled, ParameterError, UnknownOperatorError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One parameter: the single source for the CLI, job validation and every host's UI."""

    name: str
    type: type
    default: Any
    label: str
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None

    def coerce(self, value: Any) -> Any:
        """Turn a user value (often a string from a command line or a host knob) into a checked value."""
        try:
            if self.type is bool:
                if isinstance(value, bool):
                    out: Any = value
                elif str(value).strip().lower() in _TRUE:
                    out = True
                elif str(value).strip().lower() in _FALSE:
                    out = False
                else:
                    raise ValueError
            elif self.type is int:
                # JSON true/false are Python bools, which int() would quietly take as 1/0
                if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                    raise ValueError
                out = int(str(value).strip()) if isinstance(value, str) else int(value)
            elif self.type is float:
                if isinstance(value, bool):
                    raise ValueError
                out = float(value)
                if out != out:  # NaN
                    raise ValueError
            else:
                out = str(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"parameter {self.name}={value!r} is not a valid {self.type.__name__}"
            ) from None
        if self.choices is not None and out not in self.choices:
            raise ParameterError(
                f"parameter {self.name}={out!r} is not one of {', '.join(self.choices)}"
            )
        if self.min is not None and out < self.min or self.max is not None and out > self.max:
            raise ParameterError(
                f"parameter {self.name}={out} is out of range [{self.min}, {self.max}]"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "label": self.label,
            "help": self.help,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) if self.choices else None,
        }


@dataclass
class Context:
    """What a running operator may use: progress reporting, cancellation and the model store."""

    progress: Callable[[float, str], None] = lambda fraction, message: None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    models: Any = None  # rushes.modelstore.ModelStore; created lazily by the runner
    out_dir: Any = None  # pathlib.Path of the output folder, for operators that write pictures
    output: Any = None  # rushes.outputs.OutputFolder: every file an operator writes goes through it
    frame_range: tuple[int, int] | None = None  # inclusive source frames to do (operators with frame_ranges)
    device: str = "cpu"  # the compute device a scheduler gave this run ("cpu", "cuda:0", ...)

    def report(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1]; raises Cancelled when the user asked to stop."""
        self.check_cancelled()
        self.progress(min(max(fraction, 0.0), 1.0), message)

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("cancelled by the user")


class Operator:
    """One operator: a dotted name, a summary, typed inputs, a parameter schema and one `run()`."""

    name: ClassVar[str]
    summary: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]]  # any of "movie", "sequence", "image", "audio", "text"
    result: ClassVar[str]  # "Cuts", "FaceTracks", "Frames", "Transcript", "Audio"
    output_stem: ClassVar[str]  # file stem of the written results, e.g. "shots"
    params: ClassVar[tuple[Param, ...]] = ()
    frame_ranges: ClassVar[bool] = False  # True: run() honours ctx.frame_range, so jobs can be split
    network: ClassVar[bool] = False  # True: runs a neural network (schedulers give it a device of its own)
    # Parameters that define a resumable result: a rerun with the same input and these values
    # keeps the intact files of the earlier run (ctx.output.trusted). None: never resumed; a
    # rerun keeps the earlier set in versions/ instead.
    resume_params: ClassVar[tuple[str, ...] | None] = None

    def open_input(self, path: str, params: dict[str, Any]) -> Any:
        """Open the input for `run`; the default opens a movie or an image sequence."""
        from .media import open_frames

        return open_frames(path)

    def run(self, media: Any, params: dict[str, Any], ctx: Context) -> Any:
        raise NotImplementedError

    def outputs(self, media: Any, params: dict[str, Any], frame_range: tuple[int, int] | None) -> list[str]:
        """Names (relative to the output folder) of the files `run` will write besides the result
        files, so they are checked before any work. The default: none."""
        return []

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in cls.params) or "none"
        raise ParameterError(f"{cls.name} has no parameter {name!r} (known: {known})")

    @classmethod
    def resolve_params(cls, given: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with the given values, each coerced and range-checked."""
        values = {p.name: p.default for p in cls.params}
        for key, value in (given or {}).items():
            values[key] = cls.param(key).coerce(value)
        return values

    @classmethod
    def needs_device(cls, params: dict[str, Any]) -> bool:
        """Whether a run with these (resolved) parameters occupies a compute device.

        Workers run one such job at a time per device (GPU, or the CPU as a whole when there is
        none); other jobs only take a CPU slot. Operators whose methods differ override this.
        """
        return cls.network

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "name": cls.name,
            "summary": cls.summary,
            "inputs": list(cls.inputs),
            "result": cls.result,
            "params": [p.to_json() for p in cls.params],
        }


def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("rushes")
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints("rushes")
    return pm


def discover() -> dict[str, type[Operator]]:
    """All operators from every package registered under the ``rushes`` entry point group."""
    found: dict[str, type[Operator]] = {}
    for batch in plugin_manager().hook.rushes_operators():
        for op in batch:
            found.setdefault(op.name, op)
    return dict(sorted(found.items()))


def get_operator(name: str) -> type[Operator]:
    ops = discover()
    if name not in ops:
        raise UnknownOperatorError(
            f"unknown operator {name!r} (available: {', '.join(ops) or 'none'})"
        )
    return ops[name]

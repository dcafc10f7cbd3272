"""The operator contract: parameter schema, run context, and the operators the plug-ins add."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Mapping

from . import extras
from .errors import Cancelled, MissingExtraError, ParameterError, UnknownOperatorError
# Input kinds and discovery live one layer down (rushes.kinds, rushes.plugins), so media, models
# and interchange need not import this module; re-exported here for plug-ins that import them from it.
from .kinds import INPUT_KINDS
from .plugins import derived, plugin_manager, reset_discovery  # noqa: F401 (re-exported)
from .version import __version__

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# Parameters that were per operator before contract v1 and are now one media description
MOVED_TO_MEDIA = {"fps": "--rate (media 'rate')", "allow_missing": "--on-bad-frame hold (media 'on_bad_frame')",
                  "on_bad_frame": "--on-bad-frame (media 'on_bad_frame')",
                  "colorspace": "--colorspace (media 'colorspace')",
                  "audio_stream": "--audio-stream (media 'audio_stream')"}
SCHEMA_VERSION = 1  # of `rushes ops --json`, /v1/ops and result JSON; see docs/contract.md

# What a host shows for a parameter. Inferred from the type and choices unless a Param says.
WIDGETS = ("int", "float", "bool", "choice", "path", "colorspace", "language", "text")
CONDITIONS = ("==", "!=", "in", "not in")

@dataclass(frozen=True)
class Param:
    """One parameter: the single source for the CLI, job validation and every host's UI.

    UI hints: `widget` (one of WIDGETS; inferred when empty), `unit` ("s", "px", "frames", ...),
    `step` (slider/spin step), `advanced` (hidden behind a disclosure by default) and
    `enabled_if` = (other parameter, condition, value): e.g. ("anonymize", "!=", "none") greys
    the parameter out unless the condition holds.
    """

    name: str
    type: type
    default: Any
    label: str
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    widget: str = ""
    unit: str = ""
    step: float | None = None
    advanced: bool = False
    enabled_if: tuple[str, str, Any] | None = None

    @property
    def ui_widget(self) -> str:
        if self.widget:
            return self.widget
        if self.choices:
            return "choice"
        return {bool: "bool", int: "int", float: "float"}.get(self.type, "text")

    def enabled(self, values: dict[str, Any]) -> bool:
        """Whether the parameter applies, given the other values (its `enabled_if`)."""
        if self.enabled_if is None:
            return True
        other, cond, value = self.enabled_if
        current = values.get(other)
        if cond in ("in", "not in"):
            return (current in (value or ())) == (cond == "in")
        return (current == value) == (cond == "==")

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
        cond = None
        if self.enabled_if is not None:
            other, op, value = self.enabled_if
            cond = {"param": other, "op": op, "value": list(value) if isinstance(value, tuple) else value}
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "label": self.label,
            "help": self.help,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) if self.choices else None,
            "widget": self.ui_widget,
            "unit": self.unit or None,
            "step": self.step,
            "advanced": self.advanced,
            "enabled_if": cond,
        }

    def check(self, operator: str, names: set[str]) -> None:
        """Refuse, when the operator class is defined, a schema a host could not build a UI from."""
        where = f"{operator}: parameter {self.name}"
        if self.type not in (bool, int, float, str):
            raise TypeError(f"{where}: type must be bool, int, float or str")
        if self.widget and self.widget not in WIDGETS:
            raise TypeError(f"{where}: unknown widget {self.widget!r} (known: {', '.join(WIDGETS)})")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise TypeError(f"{where}: min {self.min} is above max {self.max}")
        try:
            if self.coerce(self.default) != self.default:
                raise ParameterError(f"default {self.default!r} changes when checked")
        except ParameterError as exc:
            raise TypeError(f"{where}: default does not fit its own schema ({exc})") from None
        if self.enabled_if is not None:
            other, cond, _ = self.enabled_if
            if other not in names or other == self.name or cond not in CONDITIONS:
                raise TypeError(f"{where}: enabled_if must name another parameter and one of {CONDITIONS}")


@dataclass
class Context:
    """What a running operator may use: progress reporting, cancellation and the model store.

    `progress(fraction, message)` and `events(ProgressEvent)` are called on the thread that runs
    the operator, from inside `report` (the caller's own thread for an in-process `rushes.run`;
    a worker thread in `rushes serve`): a callback that touches a host's UI must hand the work
    to the UI thread, and one that blocks holds the operator up.
    """

    progress: Callable[[float, str], None] = lambda fraction, message: None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    models: Any = None  # rushes.modelstore.ModelStore; created lazily by the runner
    out_dir: Any = None  # pathlib.Path of the output folder, for operators that write pictures
    output: Any = None  # rushes.outputs.OutputFolder: every file an operator writes goes through it
    frame_range: tuple[int, int] | None = None  # [start, end) source frames to do (operators with frame_ranges)
    media: Any = None  # rushes.media.MediaSpec: how the input is read (colour space, bad frames, ...)
    device: str = "cpu"  # the compute device a scheduler gave this run ("cpu", "cuda:0", ...)
    events: Callable[[Any], None] | None = None  # structured progress: one rushes.progress.ProgressEvent a report
    _seq: int = field(default=0, init=False, repr=False)
    _phase: str = field(default="run", init=False, repr=False)
    _fraction: float = field(default=0.0, init=False, repr=False)

    def report(self, fraction: float | None = None, message: str = "", *, phase: str | None = None,
               current: float | None = None, total: float | None = None, unit: str | None = None,
               level: str = "info") -> None:
        """Report progress; raises Cancelled when the user asked to stop.

        `fraction` is the run's progress in [0, 1]; None takes current/total when both are given,
        else the last fraction. `phase` names the stage of the work ("loading model", "frames");
        None keeps the last one ("run" at first). `current`, `total` and `unit` count the work
        (12 of 480 "frame"); `level` is "debug", "info", "warning" or "error".
        """
        self.check_cancelled()
        if fraction is None:
            fraction = current / total if current is not None and total else self._fraction
        fraction = self._fraction = min(max(float(fraction), 0.0), 1.0)
        if phase:
            self._phase = phase
        self.progress(fraction, message)
        if self.events is not None:
            import time

            from .progress import ProgressEvent

            self._seq += 1
            self.events(ProgressEvent(self._seq, time.time(), self._phase, fraction, message, current, total,
                                      unit, level))

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
    frame_ranges: ClassVar[bool] = False  # True: run() honours a frame range (a clip's in/out, a job chunk)
    network: ClassVar[bool] = False  # True: runs a neural network (schedulers give it a device of its own)
    # Parameters that define a resumable result: a rerun with the same input and these values
    # keeps the intact files of the earlier run (ctx.output.trusted). None: never resumed; a
    # rerun keeps the earlier set in versions/ instead.
    resume_params: ClassVar[tuple[str, ...] | None] = None
    # What a host may tell the user: the media files run() writes besides the result files
    # ("image sequence", "image", "movie", "audio"), and the unit between cancellation checks.
    writes_media: ClassVar[tuple[str, ...]] = ()
    cancel_unit: ClassVar[str] = "frame"
    # The extra of rushes that installs what run() imports beyond the core ("faces", "speech", ...;
    # see rushes.extras), and which of its modules this operator needs (None: all of them). Without
    # them the operator is still listed, and a run is refused before any work, naming the extra.
    extra: ClassVar[str | None] = None
    extra_modules: ClassVar[tuple[str, ...] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A concrete operator's schema is checked when its class is defined, not when a user runs it."""
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            return  # an abstract base (e.g. shared speech parameters)
        names = [p.name for p in cls.params]
        if len(set(names)) != len(names):
            raise TypeError(f"{cls.name}: parameter names repeat")
        unknown = set(getattr(cls, "inputs", ())) - set(INPUT_KINDS)
        if unknown:
            raise TypeError(f"{cls.name}: unknown input kind(s) {sorted(unknown)} (known: {', '.join(INPUT_KINDS)})")
        for p in cls.params:
            p.check(cls.name, set(names))
        if cls.resume_params is not None and not set(cls.resume_params) <= set(names):
            raise TypeError(f"{cls.name}: resume_params names unknown parameters")
        if cls.extra is not None and cls.extra not in extras.EXTRAS:
            raise TypeError(f"{cls.name}: unknown extra {cls.extra!r} (known: {', '.join(extras.EXTRAS)})")

    # The media description of this run (rushes.media.MediaSpec), set by the runner before
    # open_input: rate, start timecode, frame range, colour, bad-frame policy, audio stream.
    media: Any = None

    def open_input(self, path: str, params: dict[str, Any]) -> Any:
        """Open the input for `run` as the media description says (pictures, or the sound for
        operators that read audio); operators that read something else override this."""
        from .media import MediaSpec, open_media

        return open_media(path, self.inputs, self.media or MediaSpec())

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
        if name in MOVED_TO_MEDIA:
            raise ParameterError(f"{cls.name}: {name!r} is part of the media description now: use "
                                 f"{MOVED_TO_MEDIA[name]} (docs/contract.md)")
        raise ParameterError(f"{cls.name} has no parameter {name!r} (known: {known})")

    @classmethod
    def resolve_params(cls, given: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with the given values, each coerced and range-checked."""
        values = {p.name: p.default for p in cls.params}
        for key, value in (given or {}).items():
            values[key] = cls.param(key).coerce(value)
        return values

    @classmethod
    def unavailable(cls) -> str | None:
        """The one line saying which extra to install, when this operator's is not installed; else None."""
        if cls.extra is None or extras.missing(cls.extra, cls.extra_modules) is None:
            return None
        return extras.install_line(cls.name, cls.extra)

    @classmethod
    def check_installed(cls) -> None:
        """Refuse a run, before any work, when the operator's extra is not installed."""
        line = cls.unavailable()
        if line is not None:
            raise MissingExtraError(line)

    @classmethod
    def needs_device(cls, params: dict[str, Any]) -> bool:
        """Whether a run with these (resolved) parameters occupies a compute device.

        Workers run one such job at a time per device (GPU, or the CPU as a whole when there is
        none); other jobs only take a CPU slot. Operators whose methods differ override this.
        """
        return cls.network

    @classmethod
    def media_fields(cls) -> list[str]:
        """The fields of the media description (docs/contract.md) that mean something to this operator."""
        fields: list[str] = []
        if set(cls.inputs) & {"movie", "sequence", "image", "audio"}:
            fields += ["rate", "start_timecode"]
        if cls.frame_ranges:
            fields.append("frame_range")
        if set(cls.inputs) & {"sequence", "image"}:
            fields += ["ocio_config", "colorspace", "on_bad_frame"]
        if "audio" in cls.inputs:
            fields.append("audio_stream")
        return fields

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Everything a host needs to offer this operator without knowing it (docs/contract.md)."""
        from .interchange import writers_for

        return {
            "name": cls.name,
            "summary": cls.summary,
            "inputs": [{"kind": kind, "extensions": list(INPUT_KINDS[kind])} for kind in cls.inputs],
            "result": cls.result,
            "writes": {"results": [f"{cls.output_stem}.{ext}" for ext in writers_for(cls.result)],
                       "media": list(cls.writes_media)},
            "capabilities": {"frame_ranges": cls.frame_ranges, "network": cls.network,
                             "resumable": cls.resume_params is not None, "cancel": cls.cancel_unit},
            "media": cls.media_fields(),
            "extra": cls.extra,
            "unavailable": cls.unavailable(),
            "params": [p.to_json() for p in cls.params],
        }


def describe_all() -> dict[str, Any]:
    """`rushes ops --json` and /v1/ops: every operator's description, with the schema version."""
    return {"schema_version": SCHEMA_VERSION, "rushes_version": __version__,
            "operators": [op.describe() for op in discover().values()]}


@derived
@lru_cache(maxsize=1)
def _operators() -> Mapping[str, type[Operator]]:
    found: dict[str, type[Operator]] = {}
    for batch in plugin_manager().hook.rushes_operators():
        for op in batch:
            found.setdefault(op.name, op)
    # read-only: every caller in the process shares this one mapping
    return MappingProxyType(dict(sorted(found.items())))


def discover() -> Mapping[str, type[Operator]]:
    """All operators from every package registered under the ``rushes`` entry point group, by name.

    Built once per process (see ``reset_discovery``); the mapping is read-only.
    """
    return _operators()


def get_operator(name: str) -> type[Operator]:
    ops = discover()
    if name not in ops:
        raise UnknownOperatorError(
            f"unknown operator {name!r} (available: {', '.join(ops) or 'none'})"
        )
    return ops[name]

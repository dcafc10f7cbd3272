"""The project spec of a publish (TOML): what plates must be, what to check, what to extract.

    [project]
    name = "abc"
    rate = "24000/1001"            # 24, 23.976, "24000/1001"
    resolution = [1920, 1080]
    colorspace = "ACEScg"          # any name or alias of the OCIO config
    ocio_config = "ocio://studio-config-latest"

    [validate]
    complete_sequences = true      # missing, empty or unreadable frames fail
    cut_tolerance = 2              # frames a detected cut may sit off the edit's
    dialogue_needs_subtitles = true

    [extract]                      # what every plate gets
    shots = true
    faces = false
    subtitles = false
    upscale = false
    anonymize = "none"             # none, blur or pixelate

    [operators."detect.shots"]     # parameters for an operator, checked against its schema
    method = "fast"

    [plates."interview*"]          # plates whose name matches the glob
    anonymized = true              # must show no face
    faces = true                   # any [extract] key

Every key is optional; an unknown key is refused with one line naming it.
"""
from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import ParameterError, RushesError

STEPS = ("shots", "faces", "subtitles", "upscale")  # extract steps that are on or off
ANONYMIZE = ("none", "blur", "pixelate")


class SpecError(RushesError):
    """A project spec file that cannot be read or holds a key or value rushes does not know."""


@dataclass(frozen=True)
class Extract:
    """What to extract from a plate."""

    shots: bool = False
    faces: bool = False
    subtitles: bool = False
    upscale: bool = False
    anonymize: str = "none"

    def steps(self) -> list[str]:
        on = [s for s in STEPS if getattr(self, s)]
        return on + (["anonymize"] if self.anonymize != "none" else [])


@dataclass(frozen=True)
class PlateRule:
    """Settings for the plates whose name matches `pattern` (fnmatch glob)."""

    pattern: str
    anonymized: bool | None = None
    extract: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectSpec:
    name: str = ""
    rate: Fraction | None = None
    resolution: tuple[int, int] | None = None
    colorspace: str | None = None
    ocio_config: str | None = None
    complete_sequences: bool = True
    cut_tolerance: int = 2
    dialogue_needs_subtitles: bool = True
    extract: Extract = field(default_factory=Extract)
    operators: dict[str, dict[str, Any]] = field(default_factory=dict)
    plates: tuple[PlateRule, ...] = ()
    path: str | None = None  # the file it came from
    data: dict[str, Any] = field(default_factory=dict)  # the file as read, for the publish manifest

    def for_plate(self, name: str) -> tuple[Extract, bool]:
        """The extract steps and the `anonymized` mark of one plate, later [plates] rules winning."""
        extract, anonymized = self.extract, False
        for rule in self.plates:
            if fnmatch.fnmatchcase(name, rule.pattern):
                extract = replace(extract, **rule.extract)
                if rule.anonymized is not None:
                    anonymized = rule.anonymized
        return extract, anonymized

    def params(self, operator: str, **overrides: Any) -> dict[str, Any]:
        """Parameters for one operator: the spec's, then the step's own (e.g. anonymize=blur)."""
        return {**self.operators.get(operator, {}), **overrides}


_SECTIONS = {"project": {"name", "rate", "resolution", "colorspace", "ocio_config"},
             "validate": {"complete_sequences", "cut_tolerance", "dialogue_needs_subtitles"},
             "extract": {f.name for f in fields(Extract)}, "operators": None, "plates": None}


def load_spec(path: str | Path | None) -> ProjectSpec:
    """Read and check a project spec file; None gives the defaults (nothing required)."""
    if path is None:
        return ProjectSpec()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SpecError(f"cannot read the project spec ({exc.strerror or exc})", path) from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not a valid TOML file ({exc})", path) from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 text; tomllib lets the decoder's error through
        raise SpecError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}; "
                        "TOML files are UTF-8)", path) from None
    try:
        return parse_spec(data, str(path))
    except SpecError as exc:
        raise SpecError(exc.problem, path) from None


def parse_spec(data: dict[str, Any], path: str | None = None) -> ProjectSpec:
    """A ProjectSpec from the TOML tables; SpecError names the first unknown key or bad value."""
    for section, value in data.items():
        if section not in _SECTIONS:
            raise SpecError(f"unknown section [{section}] (known: {', '.join(_SECTIONS)})")
        if not isinstance(value, dict):
            raise SpecError(f"[{section}] must be a table")
        known = _SECTIONS[section]
        for key in value:
            if known is not None and key not in known:
                raise SpecError(f"unknown key {section}.{key} (known in [{section}]: {', '.join(sorted(known))})")
    project, validate = data.get("project", {}), data.get("validate", {})
    rate = None
    if "rate" in project:
        from ..media.description import parse_rate

        try:
            rate = parse_rate(project["rate"])
        except ParameterError:
            raise SpecError(f"project.rate {project['rate']!r} is not a frame rate (24, 23.976, \"24000/1001\")") \
                from None
    resolution = project.get("resolution")
    if resolution is not None:
        if not (isinstance(resolution, list) and len(resolution) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in resolution)):
            raise SpecError(f"project.resolution must be [width, height] in pixels, not {resolution!r}")
        resolution = (resolution[0], resolution[1])
    for key in ("name", "colorspace", "ocio_config"):
        _check(project, key, str, "project")
    for key in ("complete_sequences", "dialogue_needs_subtitles"):
        _check(validate, key, bool, "validate")
    _check(validate, "cut_tolerance", int, "validate")
    if validate.get("cut_tolerance", 0) < 0:
        raise SpecError("validate.cut_tolerance must be 0 or more frames")
    colorspace = project.get("colorspace")
    if colorspace is not None:
        from ..media import color

        try:
            with color.using_config(project.get("ocio_config")):
                colorspace = color.check_colorspace(colorspace)  # canonical name; close names when unknown
        except RushesError as exc:
            raise SpecError(f"project.colorspace: {exc.problem}") from None
    return ProjectSpec(
        name=project.get("name", ""), rate=rate, resolution=resolution, colorspace=colorspace,
        ocio_config=project.get("ocio_config"),
        complete_sequences=validate.get("complete_sequences", True),
        cut_tolerance=validate.get("cut_tolerance", 2),
        dialogue_needs_subtitles=validate.get("dialogue_needs_subtitles", True),
        extract=Extract(**_extract_values(data.get("extract", {}), "extract")),
        operators=_operators(data.get("operators", {})),
        plates=tuple(_plate_rule(glob, rule) for glob, rule in data.get("plates", {}).items()),
        path=path, data=data)


def _check(table: dict[str, Any], key: str, kind: type, section: str) -> None:
    value = table.get(key)
    if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
        raise SpecError(f"{section}.{key} must be {'true or false' if kind is bool else kind.__name__}, "
                        f"not {value!r}")


def _extract_values(table: dict[str, Any], where: str) -> dict[str, Any]:
    for key in STEPS:
        _check(table, key, bool, where)
    if "anonymize" in table and table["anonymize"] not in ANONYMIZE:
        raise SpecError(f"{where}.anonymize must be one of {', '.join(ANONYMIZE)}, not {table['anonymize']!r}")
    return dict(table)


def _operators(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """[operators."name"] tables: the operator must exist and every parameter fit its schema."""
    from ..operators import get_operator

    out = {}
    for name, params in table.items():
        if not isinstance(params, dict):
            raise SpecError(f"[operators.\"{name}\"] must be a table of parameters")
        try:
            get_operator(name).resolve_params(params)
        except RushesError as exc:
            raise SpecError(f"operators.\"{name}\": {exc.line()}") from None
        out[name] = dict(params)
    return out


def _plate_rule(glob: str, rule: Any) -> PlateRule:
    where = f"plates.\"{glob}\""
    if not isinstance(rule, dict):
        raise SpecError(f"[{where}] must be a table")
    known = {"anonymized", *(f.name for f in fields(Extract))}
    for key in rule:
        if key not in known:
            raise SpecError(f"unknown key {where}.{key} (known: {', '.join(sorted(known))})")
    _check(rule, "anonymized", bool, where)
    extract = _extract_values({k: v for k, v in rule.items() if k != "anonymized"}, where)
    return PlateRule(glob, rule.get("anonymized"), extract)

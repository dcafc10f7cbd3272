"""The Mattes result: where a matte run's pictures are, which frames it made, and how steady they are."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from ..annotations import Annotation, Media
from ..results import Frames, Result, fraction_from_json, fraction_to_json, known_fields


@dataclass
class Mattes(Result):
    """Result of mattes.people. `pattern` is the output with `####` (a file for a still); `crops`
    counts, per frame, the people matted in a crop of their own; `flicker` is the mean frame-to-frame
    alpha change inside the static part of the matte (after the temporal filter; `flicker_raw`
    before it), None for a single frame."""

    source: str
    pattern: str
    first_frame: int
    frame_count: int
    width: int
    height: int
    rate: Fraction | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    written: list[int] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)
    crops: dict[str, int] = field(default_factory=dict)
    flicker: float | None = None
    flicker_raw: float | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        resumed = f", {len(self.resumed)} already there" if self.resumed else ""
        steady = f", flicker {self.flicker:.4f}" if self.flicker is not None else ""
        return f"mattes: {self.pattern}, {len(self.written)} written{resumed}{steady}"

    def annotations(self) -> list[Annotation]:
        there = sorted({*self.written, *self.resumed})
        first, last = (there[0], there[-1]) if there else (self.first_frame,
                                                             self.first_frame + max(self.frame_count, 1) - 1)
        if self.settings.get("output", "alpha") == "alpha":
            return [Media(self.pattern, "matte", first, last)]
        return [Media(self.pattern, "plate" if "#" in self.pattern else "image", first, last,
                      str(self.settings.get("colorspace") or ""))]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rate"] = fraction_to_json(self.rate) if self.rate is not None else None
        return {"kind": "Mattes", **data}

    @classmethod
    def merge(cls, parts: list["Mattes"]) -> "Mattes":
        """One result from a split job's frame-range chunks (flicker: the chunks' mean)."""
        merged = Frames.merge.__func__(cls, parts)  # written, resumed, notes: as Frames' chunks join
        for other in parts[1:]:
            merged.crops.update(other.crops)
        values = [p.flicker for p in parts if p.flicker is not None]
        merged.flicker = sum(values) / len(values) if values else None
        raw = [p.flicker_raw for p in parts if p.flicker_raw is not None]
        merged.flicker_raw = sum(raw) / len(raw) if raw else None
        return merged

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Mattes":
        fields_ = known_fields(cls, data)
        if fields_.get("rate") is not None:
            fields_["rate"] = fraction_from_json(fields_["rate"])
        return cls(**fields_)

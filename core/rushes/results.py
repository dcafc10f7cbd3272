"""Operator results: plain dataclasses that serialise to JSON and back.

Writers in `rushes.interchange` and the host adapters only translate these; operators never
format output files themselves.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any


def fraction_to_json(rate: Fraction) -> dict[str, int]:
    return {"num": rate.numerator, "den": rate.denominator}


def fraction_from_json(value: Any) -> Fraction:
    if isinstance(value, dict):
        return Fraction(int(value["num"]), int(value["den"]))
    return Fraction(value).limit_denominator(1001)


@dataclass(frozen=True)
class Shot:
    """One shot: source frame numbers, `end` exclusive."""

    start: int
    end: int

    @property
    def duration(self) -> int:
        return self.end - self.start


@dataclass
class Cuts:
    """Result of `detect.shots`: cut frames in source numbering, with their confidence.

    A cut at frame `f` means frame `f` is the first frame of a new shot. `first_frame` is the
    source's first frame number (a sequence's first frame, or the movie's start timecode as a
    frame count), `frame_count` the number of frames analysed.
    """

    source: str
    rate: Fraction
    first_frame: int
    frame_count: int
    cuts: list[int] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    method: str = ""
    start_timecode: str | None = None

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def shots(self) -> list[Shot]:
        bounds = [self.first_frame, *self.cuts, self.first_frame + self.frame_count]
        return [Shot(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "Cuts",
            "source": self.source,
            "fps": self.fps,
            "rate": fraction_to_json(self.rate),
            "first_frame": self.first_frame,
            "frame_count": self.frame_count,
            "start_timecode": self.start_timecode,
            "method": self.method,
            "cuts": list(self.cuts),
            "confidence": [round(c, 6) for c in self.confidence],
            "shots": [asdict(s) for s in self.shots],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Cuts":
        return cls(
            source=data["source"],
            rate=fraction_from_json(data.get("rate", data["fps"])),
            first_frame=int(data["first_frame"]),
            frame_count=int(data["frame_count"]),
            cuts=[int(c) for c in data["cuts"]],
            confidence=[float(c) for c in data.get("confidence", [])],
            method=data.get("method", ""),
            start_timecode=data.get("start_timecode"),
        )


@dataclass
class Frames:
    """Result of an operator that writes pictures (gan.upscale): where they are and what was done.

    `pattern` is the output path with `####` for sequences and movies, or the file for a still.
    `written` lists frames made by this run, `resumed` frames found complete from an earlier one.
    """

    source: str
    pattern: str
    first_frame: int
    frame_count: int
    width: int
    height: int
    settings: dict[str, Any] = field(default_factory=dict)
    written: list[int] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "Frames", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Frames":
        data = {k: v for k, v in data.items() if k != "kind"}
        return cls(**data)


@dataclass
class FacePosition:
    """One face in one frame: box (x0, y0, x1, y1) and landmarks [[x, y], ...] in source pixels."""

    frame: int
    box: list[float]
    landmarks: list[list[float]]
    score: float
    detected: bool = True  # False: interpolated across frames where the detector lost the face


@dataclass
class FaceTrack:
    id: int
    positions: list[FacePosition]

    @property
    def first_frame(self) -> int:
        return self.positions[0].frame

    @property
    def last_frame(self) -> int:
        return self.positions[-1].frame


@dataclass
class FaceTracks:
    """Result of detect.faces: faces linked into tracks through a shot (source frame numbers)."""

    source: str
    width: int
    height: int
    first_frame: int
    frame_count: int
    rate: Fraction | None
    method: str
    landmark_names: list[str]
    tracks: list[FaceTrack] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "FaceTracks", "source": self.source, "width": self.width, "height": self.height,
            "first_frame": self.first_frame, "frame_count": self.frame_count,
            "rate": fraction_to_json(self.rate) if self.rate else None, "method": self.method,
            "landmark_names": self.landmark_names, "settings": self.settings, "notes": self.notes,
            "tracks": [{"id": t.id, "first_frame": t.first_frame, "last_frame": t.last_frame,
                        "frames": [asdict(p) for p in t.positions]} for t in self.tracks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FaceTracks":
        tracks = [FaceTrack(t["id"], [FacePosition(**p) for p in t["frames"]]) for t in data["tracks"]]
        return cls(data["source"], data["width"], data["height"], data["first_frame"], data["frame_count"],
                   fraction_from_json(data["rate"]) if data.get("rate") else None, data["method"],
                   data["landmark_names"], tracks, data.get("settings", {}), data.get("notes", []))

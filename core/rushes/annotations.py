"""Host-neutral annotations: what a result shows in a host, in five small types every host renders once.

A result describes itself to the hosts as markers, ranges, tracks, captions and media, placed in
its source's own frame numbers (a sequence's file numbers, a movie's start timecode as a frame
count). The block that carries them names the source (path, exact rate, first frame, size,
timecode), so a host places every annotation without knowing which kind of result it came from:
each host renders a ``Marker`` one way, whatever operator made it, a studio's own included. Like OpenTimelineIO's ``Marker``, each type is a name, a place in time and a little
metadata; everything round-trips through JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Union

VERSION = 1

# The colour names a result may give; each host maps them onto its own palette (these are the
# marker colours of the editing hosts, in lower case).
COLORS = ("red", "green", "blue", "cyan", "yellow", "pink", "purple", "fuchsia", "rose", "lavender",
          "sky", "mint", "lemon", "sand", "cocoa", "cream")

# What a Media annotation is to the host: a picture to show over the source (plate), a matte for it,
# a sound, or a still.
MEDIA_ROLES = ("plate", "matte", "audio", "image")


def _check_color(color: str) -> None:
    if color and color not in COLORS:
        raise ValueError(f"unknown annotation colour {color!r} (known: {', '.join(COLORS)})")


def _check_range(start: int, end: int, what: str) -> None:
    if end <= start:
        raise ValueError(f"{what} must end after it starts (got [{start}, {end}))")


@dataclass(frozen=True)
class Marker:
    """One frame worth a look (a cut, an expression change): a name, a note and a colour."""

    frame: int
    name: str
    note: str = ""
    color: str = ""

    def __post_init__(self) -> None:
        _check_color(self.color)


@dataclass(frozen=True)
class Range:
    """A stretch of frames, half-open ``[start, end)`` like every range in rushes (a shot, speech)."""

    start: int
    end: int
    name: str
    note: str = ""
    color: str = ""

    def __post_init__(self) -> None:
        _check_range(self.start, self.end, f"range {self.name!r}")
        _check_color(self.color)


@dataclass(frozen=True, eq=True)
class Track:
    """A point followed through frames, in source pixels with the origin top-left; ``boxes`` holds
    an (x0, y0, x1, y1) box per frame where the point has one (a face), ``parent`` names the track
    this one hangs from, so tracks link into a skeleton."""

    name: str
    points: dict[int, tuple[float, float]]
    boxes: dict[int, tuple[float, float, float, float]] | None = None
    parent: str | None = None

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError(f"track {self.name!r} has no points")
        if self.boxes is not None and not set(self.boxes) <= set(self.points):
            raise ValueError(f"track {self.name!r} has boxes on frames without a point")

    __hash__ = None  # type: ignore[assignment]  # holds dicts


@dataclass(frozen=True)
class Caption:
    """Words on screen from ``start`` to ``end`` (exclusive): a subtitle, with who speaks it."""

    start: int
    end: int
    text: str
    speaker: str = ""

    def __post_init__(self) -> None:
        _check_range(self.start, self.end, f"caption {self.text[:20]!r}")


@dataclass(frozen=True)
class Media:
    """A file a result made, to be shown with the source: ``path`` is a file or a ``####`` pattern,
    ``first``..``last`` its frames (inclusive, as a sequence's numbers are) in the source's numbering."""

    path: str
    role: str
    first: int
    last: int
    colorspace: str = ""

    def __post_init__(self) -> None:
        if self.role not in MEDIA_ROLES:
            raise ValueError(f"unknown media role {self.role!r} (known: {', '.join(MEDIA_ROLES)})")
        if self.last < self.first:
            raise ValueError(f"media {self.path!r} ends before it starts ({self.first}..{self.last})")


Annotation = Union[Marker, Range, Track, Caption, Media]
TYPES: dict[str, type] = {cls.__name__: cls for cls in (Marker, Range, Track, Caption, Media)}


@dataclass(frozen=True)
class Source:
    """Where a set of annotations lives: the source file, its exact rate, first frame, size and timecode."""

    path: str
    rate: Fraction | None = None
    first_frame: int = 0
    width: int | None = None
    height: int | None = None
    start_timecode: str | None = None

    def to_json(self) -> dict[str, Any]:
        rate = {"num": self.rate.numerator, "den": self.rate.denominator} if self.rate is not None else None
        return {"path": self.path, "rate": rate, "first_frame": self.first_frame, "width": self.width,
                "height": self.height, "start_timecode": self.start_timecode}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Source":
        rate = data.get("rate")
        return cls(str(data["path"]), Fraction(int(rate["num"]), int(rate["den"])) if rate else None,
                   int(data.get("first_frame") or 0), data.get("width"), data.get("height"),
                   data.get("start_timecode"))


def annotation_to_json(item: Annotation) -> dict[str, Any]:
    """One annotation as JSON: its type name, then its fields (a track's frames as [frame, ...] rows)."""
    if isinstance(item, Track):
        data: dict[str, Any] = {"type": "Track", "name": item.name,
                                "points": [[f, *xy] for f, xy in sorted(item.points.items())]}
        if item.boxes is not None:
            data["boxes"] = [[f, *box] for f, box in sorted(item.boxes.items())]
        if item.parent is not None:
            data["parent"] = item.parent
        return data
    return {"type": type(item).__name__, **{k: getattr(item, k) for k in item.__dataclass_fields__}}


def annotation_from_json(data: dict[str, Any]) -> Annotation:
    """An annotation back from its JSON; unknown fields are ignored, an unknown type is refused."""
    cls = TYPES.get(str(data.get("type")))
    if cls is None:
        raise ValueError(f"unknown annotation type {data.get('type')!r} (known: {', '.join(TYPES)})")
    if cls is Track:
        boxes = data.get("boxes")
        return Track(str(data["name"]), {int(f): (float(x), float(y)) for f, x, y in data["points"]},
                     {int(f): (float(a), float(b), float(c), float(d)) for f, a, b, c, d in boxes}
                     if boxes is not None else None, data.get("parent"))
    return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class AnnotationSet:
    """The annotations of one source."""

    source: Source
    items: tuple[Annotation, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source.to_json(), "items": [annotation_to_json(a) for a in self.items]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AnnotationSet":
        return cls(Source.from_json(data["source"]), tuple(annotation_from_json(a) for a in data.get("items", [])))


def block_to_json(sets: list[AnnotationSet]) -> dict[str, Any]:
    """The ``"annotations"`` block of a result JSON: one set per source (an edit's clips each have one)."""
    return {"version": VERSION, "sets": [s.to_json() for s in sets]}


def block_from_json(data: dict[str, Any]) -> list[AnnotationSet]:
    return [AnnotationSet.from_json(s) for s in data.get("sets", [])]

"""Operator results: plain dataclasses that serialise to JSON and back.

Writers in `rushes.interchange` and the host adapters only translate these; operators never
format output files themselves.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction
from typing import Any, ClassVar

from .annotations import Annotation, AnnotationSet, Caption, Marker, Media, Range, Source, Track


def known_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The entries of a JSON object that are fields of dataclass `cls`: readers ignore the rest, so
    files from newer versions (and the run envelope on top of every result) still read."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def fraction_to_json(rate: Fraction) -> dict[str, int]:
    return {"num": rate.numerator, "den": rate.denominator}


def fraction_from_json(value: Any) -> Fraction:
    if isinstance(value, dict):
        return Fraction(int(value["num"]), int(value["den"]))
    return Fraction(value).limit_denominator(1001)


class Result:
    """The base of every result kind: its name, JSON form, one-line summary and its annotations.

    A kind is a dataclass deriving from this; the result registry (``rushes_result_kinds``) is keyed
    by these classes. ``annotations()`` says what the result shows in a host, in the source's own
    frame numbers (rushes.annotations): every host renders those, so a kind needs no host code.
    """

    schema_version: ClassVar[int] = 1

    @classmethod
    def kind_name(cls) -> str:
        return cls.__name__

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Result":
        raise NotImplementedError

    def summary(self) -> str:
        return self.kind_name()

    def annotations(self) -> list[Annotation]:
        return []

    def annotation_source(self, media: dict[str, Any] | None = None) -> Source:
        """The source the annotations are placed on: the result's own fields, else the run's media
        description (`media`, the envelope's)."""
        media = media or {}
        rate = getattr(self, "rate", None) or getattr(getattr(self, "clock", None), "rate", None)
        if rate is None and media.get("rate"):
            rate = fraction_from_json(media["rate"])
        owner = getattr(self, "clock", None) or self
        first = getattr(owner, "first_frame", None)
        return Source(str(getattr(owner, "source", "")), rate,
                      int(first if first is not None else media.get("first_frame") or 0),
                      getattr(self, "width", None), getattr(self, "height", None),
                      getattr(owner, "start_timecode", None) or media.get("start_timecode"))

    def annotation_sets(self, media: dict[str, Any] | None = None) -> list[AnnotationSet]:
        """Every set of annotations, one per source (one, for a result of one input)."""
        items = tuple(self.annotations())
        return [AnnotationSet(self.annotation_source(media), items)] if items else []


@dataclass(frozen=True)
class Shot:
    """One shot: source frame numbers, `end` exclusive."""

    start: int
    end: int

    @property
    def duration(self) -> int:
        return self.end - self.start


@dataclass
class Cuts(Result):
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
    notes: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def shots(self) -> list[Shot]:
        bounds = [self.first_frame, *self.cuts, self.first_frame + self.frame_count]
        return [Shot(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]

    def summary(self) -> str:
        return f"{len(self.shots)} shots, {len(self.cuts)} cuts"

    def annotations(self) -> list[Annotation]:
        return [Marker(cut, f"cut {i}", f"confidence {conf:.2f}" if conf is not None else "", "red")
                for i, (cut, conf) in enumerate(zip(self.cuts, [*self.confidence, *[None] * len(self.cuts)]), 1)]

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
            "notes": list(self.notes),
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
            notes=list(data.get("notes", [])),
        )


@dataclass
class Frames(Result):
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

    def summary(self) -> str:
        resumed = f", {len(self.resumed)} already there" if self.resumed else ""
        return f"pictures: {self.pattern}, {len(self.written)} written{resumed}"

    def annotations(self) -> list[Annotation]:
        role = "plate" if "#" in self.pattern else "image"
        there = sorted({*self.written, *self.resumed})  # a frame-range run made only its range
        first, last = (there[0], there[-1]) if there else (self.first_frame,
                                                             self.first_frame + max(self.frame_count, 1) - 1)
        return [Media(self.pattern, role, first, last, str(self.settings.get("colorspace") or ""))]

    def to_json(self) -> dict[str, Any]:
        return {"kind": "Frames", **asdict(self)}

    @classmethod
    def merge(cls, parts: list["Frames"]) -> "Frames":
        """One result from the results of a split job's frame-range chunks."""
        merged = parts[0]
        for other in parts[1:]:
            merged.written += other.written
            merged.resumed += other.resumed
            merged.notes += [n for n in other.notes if n not in merged.notes]
        merged.written.sort()
        merged.resumed.sort()
        return merged

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Frames":
        return cls(**known_fields(cls, data))


@dataclass
class Expression:
    """A face's expression in one frame (detect.faces with expressions): the most likely label and
    the probability of each of angry, disgust, fear, happy, sad, surprise, neutral."""

    label: str
    probabilities: dict[str, float]


@dataclass
class ExpressionChange:
    frame: int  # the first frame of a stretch with this expression
    label: str


@dataclass
class ExpressionSummary:
    """A track's expression: the one held for most frames, the mean probabilities, and where it changes
    (the first change is the track's first frame)."""

    dominant: str
    probabilities: dict[str, float]
    changes: list[ExpressionChange] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ExpressionSummary":
        return cls(data["dominant"], dict(data["probabilities"]),
                   [ExpressionChange(**known_fields(ExpressionChange, c)) for c in data.get("changes", [])])


@dataclass
class FacePosition:
    """One face in one frame: box (x0, y0, x1, y1) and landmarks [[x, y], ...] in source pixels."""

    frame: int
    box: list[float]
    landmarks: list[list[float]]
    score: float
    detected: bool = True  # False: interpolated across frames where the detector lost the face
    expression: Expression | None = None  # only when asked for (detect.faces expressions=true)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.expression is None:
            del data["expression"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FacePosition":
        known = known_fields(cls, data)
        if known.get("expression") is not None:
            known["expression"] = Expression(**known_fields(Expression, known["expression"]))
        return cls(**known)


@dataclass
class FaceTrack:
    id: int
    positions: list[FacePosition]
    expression_summary: ExpressionSummary | None = None

    @property
    def first_frame(self) -> int:
        return self.positions[0].frame

    @property
    def end_frame(self) -> int:
        """The first frame after the track (ranges are half-open everywhere: [first_frame, end_frame))."""
        return self.positions[-1].frame + 1


@dataclass
class FaceTracks(Result):
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

    def summary(self) -> str:
        media = [n.split(": ", 1)[1] for n in self.notes if n.startswith("anonymized: ")]
        return f"{len(self.tracks)} face track(s)" + (f"; anonymized: {media[0]}" if media else "")

    def annotations(self) -> list[Annotation]:
        """A track per face (box centres, boxes), a marker where its expression changes, the anonymized media."""
        items: list[Annotation] = []
        for t in self.tracks:
            name = f"face {t.id}"
            boxes = {p.frame: (float(p.box[0]), float(p.box[1]), float(p.box[2]), float(p.box[3]))
                     for p in t.positions}
            items.append(Track(name, {f: ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for f, b in boxes.items()}, boxes))
            if t.expression_summary is not None:
                items += [Marker(c.frame, f"{name}: {c.label}", color="yellow") for c in t.expression_summary.changes]
        last = self.first_frame + max(self.frame_count, 1) - 1
        items += [Media(n.split(": ", 1)[1], "plate" if self.frame_count > 1 else "image", self.first_frame, last)
                  for n in self.notes if n.startswith("anonymized: ")]
        return items

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "FaceTracks", "source": self.source, "width": self.width, "height": self.height,
            "first_frame": self.first_frame, "frame_count": self.frame_count,
            "rate": fraction_to_json(self.rate) if self.rate else None, "method": self.method,
            "landmark_names": self.landmark_names, "settings": self.settings, "notes": self.notes,
            "tracks": [self._track_json(t) for t in self.tracks],
        }

    @staticmethod
    def _track_json(t: FaceTrack) -> dict[str, Any]:
        data = {"id": t.id, "first_frame": t.first_frame, "end_frame": t.end_frame,
                "frames": [p.to_json() for p in t.positions]}
        if t.expression_summary is not None:
            data["expression_summary"] = asdict(t.expression_summary)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FaceTracks":
        tracks = [FaceTrack(t["id"], [FacePosition.from_json(p) for p in t["frames"]],
                            ExpressionSummary.from_json(t["expression_summary"]) if t.get("expression_summary")
                            else None)
                  for t in data["tracks"]]
        return cls(data["source"], data["width"], data["height"], data["first_frame"], data["frame_count"],
                   fraction_from_json(data["rate"]) if data.get("rate") else None, data["method"],
                   data["landmark_names"], tracks, data.get("settings", {}), data.get("notes", []))


def seconds_to_frame(seconds: float, rate: Fraction, first_frame: int = 0) -> int:
    """The source frame showing at `seconds` into the media (exact rational arithmetic, no drift)."""
    return first_frame + round(Fraction(seconds).limit_denominator(1_000_000) * rate)


def frame_to_seconds(frame: int, rate: Fraction, first_frame: int = 0) -> Fraction:
    """Exact start time of a source frame, from the start of the media."""
    return Fraction(frame - first_frame) / rate


@dataclass
class SpeechClock:
    """Where speech times live: the media, its picture rate and start frame (start timecode)."""

    source: str
    rate: Fraction
    first_frame: int = 0
    start_timecode: str | None = None
    duration: float = 0.0  # seconds of sound

    def frame(self, seconds: float) -> int:
        return seconds_to_frame(seconds, self.rate, self.first_frame)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "rate": fraction_to_json(self.rate), "fps": float(self.rate),
                "first_frame": self.first_frame, "start_timecode": self.start_timecode,
                "duration": round(self.duration, 3)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SpeechClock":
        return cls(data["source"], fraction_from_json(data["rate"]), data.get("first_frame", 0),
                   data.get("start_timecode"), data.get("duration", 0.0))


@dataclass
class SpeechRegions(Result):
    """Result of speech.vad: where people speak, in seconds from the media start (end exclusive)."""

    clock: SpeechClock
    regions: list[tuple[float, float]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        talk = sum(b - a for a, b in self.regions)
        return f"{len(self.regions)} speech regions, {talk:.1f} s of {self.clock.duration:.1f} s"

    def annotations(self) -> list[Annotation]:
        f = self.clock.frame
        return [Range(f(a), max(f(b), f(a) + 1), f"speech {i}", f"{a:.2f}-{b:.2f} s", "green")
                for i, (a, b) in enumerate(self.regions, 1)]

    def to_json(self) -> dict[str, Any]:
        return {"kind": "SpeechRegions", **self.clock.to_json(), "settings": self.settings,
                "regions": [{"start": round(a, 3), "end": round(b, 3), "start_frame": self.clock.frame(a),
                             "end_frame": self.clock.frame(b)} for a, b in self.regions]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SpeechRegions":
        return cls(SpeechClock.from_json(data), [(r["start"], r["end"]) for r in data["regions"]],
                   data.get("settings", {}))


@dataclass
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass
class Segment:
    """One decoded stretch of speech (about a sentence): its text and timed words, in seconds."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Subtitle:
    """One subtitle: first frame shown, first frame no longer shown (source frames), its lines."""

    start_frame: int
    end_frame: int
    lines: list[str]


@dataclass
class Transcript(Result):
    """Result of speech.transcribe: segments with words, and subtitles snapped to the media's frames."""

    clock: SpeechClock
    language: str
    language_probability: float
    model: str
    task: str
    segments: list[Segment] = field(default_factory=list)
    subtitles: list[Subtitle] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments).strip()

    def summary(self) -> str:
        words = sum(len(s.words) for s in self.segments)
        return f"{words} words in {len(self.subtitles)} subtitles, language {self.language}"

    def annotations(self) -> list[Annotation]:
        return [Caption(c.start_frame, max(c.end_frame, c.start_frame + 1), "\n".join(c.lines))
                for c in self.subtitles]

    def to_json(self) -> dict[str, Any]:
        f = self.clock.frame
        return {
            "kind": "Transcript", **self.clock.to_json(), "language": self.language,
            "language_probability": round(self.language_probability, 4), "model": self.model,
            "task": self.task, "settings": self.settings, "notes": self.notes, "text": self.text,
            "segments": [{"start": round(s.start, 3), "end": round(s.end, 3), "start_frame": f(s.start),
                          "end_frame": f(s.end), "text": s.text,
                          "words": [{"start": round(w.start, 3), "end": round(w.end, 3), "start_frame": f(w.start),
                                     "end_frame": f(w.end), "text": w.text, "probability": round(w.probability, 4)}
                                    for w in s.words]} for s in self.segments],
            "subtitles": [{"index": i, "start_frame": c.start_frame, "end_frame": c.end_frame, "lines": c.lines}
                          for i, c in enumerate(self.subtitles, 1)],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Transcript":
        segments = [Segment(s["start"], s["end"], s["text"],
                            [Word(w["start"], w["end"], w["text"], w.get("probability", 1.0)) for w in s["words"]])
                    for s in data["segments"]]
        subs = [Subtitle(c["start_frame"], c["end_frame"], list(c["lines"])) for c in data["subtitles"]]
        return cls(SpeechClock.from_json(data), data["language"], data.get("language_probability", 1.0),
                   data["model"], data["task"], segments, subs, data.get("settings", {}), data.get("notes", []))


SOUND_CLOCK = Fraction(1000)  # the rate of annotations on sound with no picture: milliseconds


@dataclass
class VoiceLine:
    """One line of a script as spoken: who, what, its own file, and where it sits in the combined file."""

    number: int
    character: str
    text: str
    file: str
    start: float
    end: float


@dataclass
class VoiceLines(Result):
    """Result of speech.synthesize: one file per line, the combined file, and which engine spoke."""

    script: str
    engine: str
    voice: str
    sample_rate: int
    combined: str
    lines: list[VoiceLine] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        length = self.lines[-1].end if self.lines else 0.0
        return f"{len(self.lines)} lines, {length:.1f} s, spoken by {self.engine}; combined: {self.combined}"

    def annotation_source(self, media: dict[str, Any] | None = None) -> Source:
        # a script has no picture clock: its annotations count milliseconds from the first line
        return Source(self.script, SOUND_CLOCK, 0)

    def annotations(self) -> list[Annotation]:
        """The combined file as audio, and a caption per line, with who speaks it."""
        if not self.lines:
            return []
        ms = [(round(line.start * 1000), round(line.end * 1000)) for line in self.lines]
        return [Media(self.combined, "audio", 0, max(ms[-1][1] - 1, 0)),
                *(Caption(a, max(b, a + 1), line.text, line.character) for (a, b), line in zip(ms, self.lines))]

    def to_json(self) -> dict[str, Any]:
        return {"kind": "VoiceLines", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "VoiceLines":
        data = known_fields(cls, data)
        data["lines"] = [VoiceLine(**known_fields(VoiceLine, line)) for line in data["lines"]]
        return cls(**data)


@dataclass
class Appearance:
    """One face track of a character: where (input, shot) and when (source frames, end exclusive)."""

    input: int  # index into Characters.inputs
    shot: int  # shot number within that input, from 1
    start_frame: int
    end_frame: int
    confidence: float  # 0-1; for an unknown face, how consistent its group is
    distance: float  # Euclidean distance of the track's descriptor to the cast still (or its group)
    track: int  # the face track's id within its input


@dataclass
class Character:
    """One person: a name from the cast folder, or `unknown N` for faces matching nobody in it."""

    name: str
    cast: bool
    stills: list[str] = field(default_factory=list)
    appearances: list[Appearance] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return sum(a.end_frame - a.start_frame for a in self.appearances)


@dataclass
class Characters(Result):
    """Result of detect.characters: who appears in which shots and frames of one or more inputs.

    `inputs` holds, per movie, sequence or clip of an edit: `source`, `clip` (an .otio clip's
    name, else null), `rate`, `first_frame`, `frame_count` (the frames searched, a clip's source
    range) and `shots` ([start, end) source frames)."""

    source: str
    cast: str
    inputs: list[dict[str, Any]] = field(default_factory=list)
    characters: list[Character] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def character(self, name: str) -> Character | None:
        return next((c for c in self.characters if c.name == name), None)

    def rate(self, index: int) -> Fraction:
        return fraction_from_json(self.inputs[index]["rate"])

    def summary(self) -> str:
        cast = [c for c in self.characters if c.cast]
        found = [" ".join(c.name.split()) for c in cast if c.appearances]  # one line, whatever the names
        unknown = len(self.characters) - len(cast)
        head = (f"{len(found)} of {len(cast)} in the cast found" + (f" ({', '.join(found)})" if found else "")
                if cast else "no cast")
        return f"{head}, {unknown} unknown face(s), in {len(self.inputs)} input(s)"

    def annotation_sets(self, media: dict[str, Any] | None = None) -> list[AnnotationSet]:
        """A range per appearance, named for the character, on the input (an edit's clip) it is in."""
        sets = []
        for index, described in enumerate(self.inputs):
            items = tuple(Range(a.start_frame, a.end_frame, c.name,
                                f"shot {a.shot}, confidence {a.confidence:.2f}", "green" if c.cast else "lavender")
                          for c in self.characters for a in c.appearances if a.input == index)
            if items:
                # placed on the media's own numbering: a clip of an edit searches from its in point
                first = described.get("media_first_frame", described.get("first_frame")) or 0
                source = Source(str(described["source"]), self.rate(index), int(first),
                                start_timecode=described.get("start_timecode"))
                sets.append(AnnotationSet(source, items))
        return sets

    def to_json(self) -> dict[str, Any]:
        return {"kind": "Characters", "source": self.source, "cast": self.cast, "settings": self.settings,
                "notes": self.notes, "inputs": self.inputs,
                "characters": [{"name": c.name, "cast": c.cast, "stills": c.stills, "frames": c.frames,
                                "appearances": [asdict(a) for a in c.appearances]} for c in self.characters]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Characters":
        people = [Character(c["name"], c["cast"], list(c.get("stills", [])),
                            [Appearance(**known_fields(Appearance, a)) for a in c["appearances"]])
                  for c in data["characters"]]
        return cls(data["source"], data.get("cast", ""), list(data["inputs"]), people, data.get("settings", {}),
                   data.get("notes", []))


@dataclass
class PoseFrame:
    """One person in one frame: per landmark [x, y, z, visibility] (x, y source pixels, origin
    top-left; z source pixels, smaller is nearer the camera, 0 at the hips) and world landmarks
    [x, y, z] in metres (origin between the hips, y down); `score` the landmark model's presence."""

    frame: int
    score: float
    landmarks: list[list[float]]
    world: list[list[float]]


@dataclass
class PoseTrack:
    """One person through the frames it is seen in (`frames` in order; gaps where it was lost)."""

    id: int
    frames: list[PoseFrame] = field(default_factory=list)

    @property
    def first_frame(self) -> int:
        return self.frames[0].frame if self.frames else 0

    @property
    def end_frame(self) -> int:
        return self.frames[-1].frame + 1 if self.frames else 0


@dataclass
class PoseTracks(Result):
    """Result of detect.pose: every person's 33 body landmarks per frame (BlazePose GHUM), and the skeleton.

    `edges` joins landmarks (indices into `landmark_names`) as MediaPipe draws them; `parents`
    hangs each landmark but the root from another, a tree the host tracks are parented along.
    """

    source: str
    width: int
    height: int
    first_frame: int
    frame_count: int
    rate: Fraction | None
    model: str
    landmark_names: list[str]
    edges: list[list[int]]
    parents: dict[str, str]
    people: list[PoseTrack] = field(default_factory=list)
    min_visibility: float = 0.5
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.people)} pose track(s)"

    def annotations(self) -> list[Annotation]:
        """A track per landmark of each person (where it is visible), parented along the skeleton;
        a range over each person's span."""
        items: list[Annotation] = []
        for person in self.people:
            prefix = f"pose {person.id}"
            made: set[str] = set()
            tracks: list[Track] = []
            for k, name in enumerate(self.landmark_names):
                points = {f.frame: (f.landmarks[k][0], f.landmarks[k][1]) for f in person.frames
                          if f.landmarks[k][3] >= self.min_visibility}
                if not points:
                    continue
                parent = self.parents.get(name)
                while parent is not None and parent not in made and not self._seen(person, parent):
                    parent = self.parents.get(parent)  # hang from the nearest ancestor that has a track
                tracks.append(Track(f"{prefix} {name}", points, parent=f"{prefix} {parent}" if parent else None))
                made.add(name)
            if tracks:
                items.append(Range(person.first_frame, person.end_frame, f"{prefix}", f"{len(person.frames)} frame(s)"))
                items += tracks
        return items

    def _seen(self, person: PoseTrack, name: str) -> bool:
        k = self.landmark_names.index(name)
        return any(f.landmarks[k][3] >= self.min_visibility for f in person.frames)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "PoseTracks", "source": self.source, "width": self.width, "height": self.height,
            "first_frame": self.first_frame, "frame_count": self.frame_count,
            "rate": fraction_to_json(self.rate) if self.rate else None, "model": self.model,
            "landmark_names": self.landmark_names, "edges": self.edges, "parents": self.parents,
            "min_visibility": self.min_visibility, "settings": self.settings, "notes": self.notes,
            "people": [{"id": p.id, "first_frame": p.first_frame, "end_frame": p.end_frame,
                        "frames": [asdict(f) for f in p.frames]} for p in self.people],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PoseTracks":
        people = [PoseTrack(p["id"], [PoseFrame(**known_fields(PoseFrame, f)) for f in p["frames"]])
                  for p in data["people"]]
        return cls(data["source"], data["width"], data["height"], data["first_frame"], data["frame_count"],
                   fraction_from_json(data["rate"]) if data.get("rate") else None, data["model"],
                   data["landmark_names"], data["edges"], data["parents"], people,
                   data.get("min_visibility", 0.5), data.get("settings", {}), data.get("notes", []))

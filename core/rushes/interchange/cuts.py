"""Cuts -> JSON, OpenTimelineIO (one clip per shot + a marker per cut), CMX3600 EDL, CSV."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..media.timecode import frame_to_timecode
from ..results import Cuts


def to_csv(cuts: Cuts) -> str:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["shot", "start_frame", "end_frame", "duration", "start_timecode", "end_timecode",
                  "start_seconds", "cut_confidence"])
    conf = dict(zip(cuts.cuts, cuts.confidence))
    for number, shot in enumerate(cuts.shots, 1):
        out.writerow([number, shot.start, shot.end, shot.duration,
                      frame_to_timecode(shot.start, cuts.rate), frame_to_timecode(shot.end, cuts.rate),
                      f"{float((shot.start - cuts.first_frame) / cuts.rate):.6f}",
                      f"{conf[shot.start]:.4f}" if shot.start in conf else ""])
    return buf.getvalue()


def media_reference(source: str, rate: float, available, sequence_reference: bool = True):
    """The OTIO reference to a source: an ImageSequenceReference for a numbered sequence (so
    Resolve, Hiero and RV link the frames), else an ExternalReference to the file."""
    import opentimelineio as otio

    from ..media.sequence import parse_pattern

    pattern = parse_pattern(source) if sequence_reference else None
    if pattern is None:
        return otio.schema.ExternalReference(target_url=_url(Path(source)), available_range=available)
    base = _url(pattern.folder)
    return otio.schema.ImageSequenceReference(
        target_url_base=base if base.endswith("/") else base + "/", name_prefix=pattern.prefix,
        name_suffix=pattern.suffix, start_frame=int(available.start_time.value), frame_step=1, rate=rate,
        frame_zero_padding=pattern.padding, available_range=available)


def timeline(cuts: Cuts, sequence_reference: bool = True):
    """An OTIO timeline: one clip per shot referencing the source, a marker at each cut."""
    import opentimelineio as otio

    rate = float(cuts.rate)
    source = Path(cuts.source)
    name = source.name
    tl = otio.schema.Timeline(name=f"{source.stem} shots")
    tl.global_start_time = otio.opentime.RationalTime(cuts.first_frame, rate)
    tl.metadata["rushes"] = {"operator": "detect.shots", "method": cuts.method,
                             "rate": {"num": cuts.rate.numerator, "den": cuts.rate.denominator}}
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(cuts.first_frame, rate),
                                        otio.opentime.RationalTime(cuts.frame_count, rate))
    conf = dict(zip(cuts.cuts, cuts.confidence))
    reel = re.sub(r"[^A-Za-z0-9_]", "", source.stem)[:8] or "AX"  # CMX3600 reels: 8 plain characters
    for number, shot in enumerate(cuts.shots, 1):
        ref = media_reference(cuts.source, rate, available, sequence_reference)
        clip = otio.schema.Clip(
            name=f"shot_{number:03d}", media_reference=ref,
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(shot.start, rate),
                                                 otio.opentime.RationalTime(shot.duration, rate)))
        clip.metadata["rushes"] = {"shot": number, "start": shot.start, "end": shot.end, "source": name}
        clip.metadata["cmx_3600"] = {"reel": reel}
        if shot.start in conf:
            marker = otio.schema.Marker(
                name=f"cut {number - 1}>{number}",
                marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(shot.start, rate),
                                                     otio.opentime.RationalTime(1, rate)),
                color=otio.schema.MarkerColor.RED)
            marker.metadata["rushes"] = {"confidence": round(conf[shot.start], 4), "frame": shot.start}
            clip.markers.append(marker)
        track.append(clip)
    return tl


def _url(path: Path) -> str:
    try:
        return path.resolve().as_uri()
    except ValueError:
        return str(path)


def to_otio(cuts: Cuts) -> str:
    import opentimelineio as otio

    return otio.adapters.write_to_string(timeline(cuts), "otio_json")


def to_edl(cuts: Cuts) -> str:
    import opentimelineio as otio

    tl = timeline(cuts, sequence_reference=False)  # EDL events name a reel and a clip, not frames
    for clip in tl.find_clips():
        clip.markers.clear()  # CMX3600 mangles markers; the .otio keeps them
    return otio.adapters.write_to_string(tl, "cmx_3600", rate=float(cuts.rate), style="avid")

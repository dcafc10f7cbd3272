"""Characters -> CSV (one row per appearance) and OpenTimelineIO (a clip per shot, a marker per
appearance, named by character)."""
from __future__ import annotations

from pathlib import Path

from ..media.timecode import frame_to_timecode
from ..results import Characters
from .spreadsheet import csv_text


def to_csv(result: Characters) -> str:
    """One row per appearance. Names come from still, file and clip names: a spreadsheet shows
    them as text, never runs them (rushes.interchange.spreadsheet)."""
    def rows():
        for person in result.characters:
            for a in person.appearances:
                media = result.inputs[a.input]
                rate = result.rate(a.input)
                yield [person.name, "yes" if person.cast else "no", media["source"], media.get("clip") or "",
                       a.shot, a.start_frame, a.end_frame, a.end_frame - a.start_frame,
                       frame_to_timecode(a.start_frame, rate), frame_to_timecode(a.end_frame, rate),
                       round(a.confidence, 4), round(a.distance, 4), a.track]

    return csv_text(["character", "cast", "source", "clip", "shot", "start_frame", "end_frame", "frames",
                     "start_timecode", "end_timecode", "confidence", "distance", "track"], rows())


def timeline(result: Characters):
    """One clip per shot of every input, in order; each appearance a marker on its shot's clip, named
    by the character (green: from the cast, yellow: unknown), spanning its frames."""
    import opentimelineio as otio

    from .cuts import media_reference

    tl = otio.schema.Timeline(name=f"{Path(result.source).stem} characters")
    tl.metadata["rushes"] = {"operator": "detect.characters", "cast": result.cast,
                             "characters": [c.name for c in result.characters]}
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    clips: dict[tuple[int, int], otio.schema.Clip] = {}
    for index, media in enumerate(result.inputs):
        rate = float(result.rate(index))
        available = otio.opentime.TimeRange(otio.opentime.RationalTime(media["first_frame"], rate),
                                            otio.opentime.RationalTime(media["frame_count"], rate))
        stem = media.get("clip") or Path(media["source"]).stem
        for number, (start, end) in enumerate(media["shots"], 1):
            clip = otio.schema.Clip(
                name=f"{stem} shot {number:03d}", media_reference=media_reference(media["source"], rate, available),
                source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                                     otio.opentime.RationalTime(end - start, rate)))
            clip.metadata["rushes"] = {"input": index, "shot": number, "start": start, "end": end,
                                       "characters": []}
            clips[(index, number)] = clip
            track.append(clip)
    for person in result.characters:
        for a in person.appearances:
            clip = clips[(a.input, a.shot)]
            rate = float(result.rate(a.input))
            marker = otio.schema.Marker(
                name=person.name,
                marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(a.start_frame, rate),
                                                     otio.opentime.RationalTime(a.end_frame - a.start_frame, rate)),
                color=otio.schema.MarkerColor.GREEN if person.cast else otio.schema.MarkerColor.YELLOW)
            marker.metadata["rushes"] = {"character": person.name, "cast": person.cast, "confidence": a.confidence,
                                         "distance": a.distance, "track": a.track, "start_frame": a.start_frame,
                                         "end_frame": a.end_frame}
            clip.markers.append(marker)
            if person.name not in clip.metadata["rushes"]["characters"]:
                clip.metadata["rushes"]["characters"] = [*clip.metadata["rushes"]["characters"], person.name]
    return tl


def to_otio(result: Characters) -> str:
    import opentimelineio as otio

    return otio.adapters.write_to_string(timeline(result), "otio_json")

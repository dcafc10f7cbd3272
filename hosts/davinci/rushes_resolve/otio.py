"""Writes an OpenTimelineIO file in the shape Resolve's own OTIO export has, so ImportTimelineFromFile
takes it (standard library only): Clip.2 with a media_references map, an available_range on each
reference, bare paths, tracks named "Video 1", and source frames counted from the media's timecode."""
from __future__ import annotations

import json
import os
from fractions import Fraction

from .context import write_text

_KEY = "DEFAULT_MEDIA"


def _time(value, rate: Fraction) -> dict:
    return {"OTIO_SCHEMA": "RationalTime.1", "rate": float(rate), "value": float(value)}


def _range(start, duration, rate: Fraction) -> dict:
    return {"OTIO_SCHEMA": "TimeRange.1", "start_time": _time(start, rate), "duration": _time(duration, rate)}


def _item(schema: str, name: str, **fields) -> dict:
    item = {"OTIO_SCHEMA": schema, "metadata": {}, "name": name, "source_range": None, "effects": [],
            "markers": [], "enabled": True}
    item.update(fields)
    return item


def clip(name: str, path: str, start: int, duration: int, rate: Fraction, media_first: int,
         media_frames: int | None) -> dict:
    """A clip playing source frames [start, start + duration) of the media at `path`."""
    available = _range(media_first, media_frames, rate) if media_frames else None
    reference = {"OTIO_SCHEMA": "ExternalReference.1", "metadata": {}, "name": os.path.basename(path),
                 "available_range": available, "available_image_bounds": None, "target_url": path}
    return _item("Clip.2", name, source_range=_range(start, duration, rate),
                 media_references={_KEY: reference}, active_media_reference_key=_KEY)


def gap(duration: int, rate: Fraction) -> dict:
    return _item("Gap.1", "", source_range=_range(0, duration, rate))


def timeline(name: str, tracks: list, rate: Fraction, start_frame: int) -> dict:
    """`tracks`: one list of items per video track, in track order."""
    children = [_item("Track.1", "Video %d" % (i + 1), children=items, kind="Video") for i, items in enumerate(tracks)]
    return {"OTIO_SCHEMA": "Timeline.1", "metadata": {}, "name": name,
            "global_start_time": _time(start_frame, rate),
            "tracks": _item("Stack.1", "", children=children)}


def write(path: str, document: dict) -> str:
    return write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")

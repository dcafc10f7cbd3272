"""Transcripts -> SubRip (.srt) and WebVTT (.vtt); speech regions -> CSV and OTIO markers.

Subtitle times come from their frames at the media's exact rate, so a 23.976 fps subtitle on
frame 100000 is at 1:09:30.833 in every format, however long the file.
"""
from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

from ..media.timecode import frame_to_timecode
from ..results import SpeechRegions, Transcript, frame_to_seconds


def _clock(seconds: Fraction, decimal: str) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{ms:03d}"


def _cues(transcript: Transcript):
    clock = transcript.clock
    for i, cue in enumerate(transcript.subtitles, 1):
        yield (i, frame_to_seconds(cue.start_frame, clock.rate, clock.first_frame),
               frame_to_seconds(cue.end_frame, clock.rate, clock.first_frame), cue.lines)


def to_srt(transcript: Transcript) -> str:
    blocks = [f"{i}\n{_clock(a, ',')} --> {_clock(b, ',')}\n" + "\n".join(lines)
              for i, a, b, lines in _cues(transcript)]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def to_vtt(transcript: Transcript) -> str:
    head = f"WEBVTT\n\nNOTE rushes speech.transcribe ({transcript.model}, {transcript.language}) of {Path(transcript.clock.source).name}"
    blocks = [f"{i}\n{_clock(a, '.')} --> {_clock(b, '.')}\n" + "\n".join(_vtt_escape(line) for line in lines)
              for i, a, b, lines in _cues(transcript)]
    return "\n\n".join([head, *blocks]) + "\n"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;")


def regions_csv(regions: SpeechRegions) -> str:
    clock = regions.clock
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["region", "start_seconds", "end_seconds", "start_frame", "end_frame", "start_timecode",
                  "end_timecode"])
    for n, (a, b) in enumerate(regions.regions, 1):
        fa, fb = clock.frame(a), clock.frame(b)
        out.writerow([n, f"{a:.3f}", f"{b:.3f}", fa, fb, frame_to_timecode(fa, clock.rate),
                      frame_to_timecode(fb, clock.rate)])
    return buf.getvalue()


def regions_otio(regions: SpeechRegions) -> str:
    """An OTIO timeline: the media as one clip on an audio track, a marker over each speech region."""
    import opentimelineio as otio

    from .cuts import _url

    clock = regions.clock
    rate = float(clock.rate)
    source = Path(clock.source)
    length = max(clock.frame(clock.duration) - clock.first_frame, 1)
    tl = otio.schema.Timeline(name=f"{source.stem} speech")
    tl.global_start_time = otio.opentime.RationalTime(clock.first_frame, rate)
    tl.metadata["rushes"] = {"operator": "speech.vad", "rate": {"num": clock.rate.numerator,
                                                               "den": clock.rate.denominator}}
    track = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    tl.tracks.append(track)
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(clock.first_frame, rate),
                                        otio.opentime.RationalTime(length, rate))
    clip = otio.schema.Clip(name=source.name, media_reference=otio.schema.ExternalReference(
        target_url=_url(source), available_range=available), source_range=available)
    for n, (a, b) in enumerate(regions.regions, 1):
        start, end = clock.frame(a), clock.frame(b)
        marker = otio.schema.Marker(
            name=f"speech {n}", color=otio.schema.MarkerColor.GREEN,
            marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                                 otio.opentime.RationalTime(max(end - start, 1), rate)))
        marker.metadata["rushes"] = {"start_seconds": round(a, 3), "end_seconds": round(b, 3)}
        clip.markers.append(marker)
    track.append(clip)
    return otio.adapters.write_to_string(tl, "otio_json")

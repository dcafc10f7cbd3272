"""Interchange: translate results into files editors and hosts load (OTIO, EDL, CSV, JSON).

Like OpenTimelineIO's adapters, each writer only translates a result; `WRITERS` declares which
writers apply to which result type.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from ..outputs import OutputFolder
from . import cuts as _cuts
from . import speech as _speech

Writer = Callable[[Any], str]

WRITERS: dict[str, dict[str, Writer]] = {
    "Cuts": {"json": _cuts.to_json, "otio": _cuts.to_otio, "edl": _cuts.to_edl, "csv": _cuts.to_csv},
    "Frames": {"json": lambda frames: json.dumps(frames.to_json(), indent=2) + "\n"},
    "FaceTracks": {"json": lambda tracks: json.dumps(tracks.to_json(), indent=1) + "\n"},
    "Transcript": {"json": _speech.transcript_json, "srt": _speech.to_srt, "vtt": _speech.to_vtt},
    "SpeechRegions": {"json": _speech.regions_json, "csv": _speech.regions_csv, "otio": _speech.regions_otio},
    "VoiceLines": {"json": lambda lines: json.dumps(lines.to_json(), indent=1, ensure_ascii=False) + "\n"},
}


def write_result(result: Any, kind: str, output: OutputFolder, stem: str) -> list[Path]:
    """Write every format registered for this result kind as `stem.ext` in the output folder.

    Everything is rendered before anything is written, so a failing writer leaves no partial
    set; an earlier run's set in the same folder moves to `versions/vNNN/` (see rushes.outputs).
    """
    texts = {f"{stem}.{ext}": writer(result) for ext, writer in WRITERS[kind].items()}
    return output.write_set(texts)

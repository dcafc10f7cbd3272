"""Registers the built-in operators through the ``rushes`` entry point group, like any plug-in."""
from __future__ import annotations

from .hookspecs import hookimpl


@hookimpl
def rushes_operators() -> list[type]:
    from .detect.shots import DetectShots
    from .faces.characters import DetectCharacters
    from .faces.operator import DetectFaces
    from .gan.operator import GanUpscale
    from .mattes.operator import MattesPeople
    from .pose.operator import DetectPose
    from .speech.operator import SpeechTranscribe, SpeechVad
    from .speech.synthesize import SpeechSynthesize

    return [DetectShots, DetectFaces, DetectCharacters, DetectPose, GanUpscale, MattesPeople, SpeechSynthesize,
            SpeechTranscribe, SpeechVad]


@hookimpl
def rushes_result_kinds() -> list[type]:
    from . import results
    from .mattes.result import Mattes

    return [results.Cuts, results.Frames, results.FaceTracks, results.SpeechRegions, results.Transcript,
            results.VoiceLines, results.Characters, results.PoseTracks, Mattes]


@hookimpl
def rushes_writers() -> list[tuple[str, str, object]]:
    cuts, speech = "rushes.interchange.cuts", "rushes.interchange.speech"  # imported when first used
    return [("Cuts", "otio", f"{cuts}:to_otio"), ("Cuts", "edl", f"{cuts}:to_edl"), ("Cuts", "csv", f"{cuts}:to_csv"),
            ("Transcript", "srt", f"{speech}:to_srt"), ("Transcript", "vtt", f"{speech}:to_vtt"),
            ("SpeechRegions", "csv", f"{speech}:regions_csv"), ("SpeechRegions", "otio", f"{speech}:regions_otio"),
            ("Characters", "csv", "rushes.interchange.characters:to_csv"),
            ("Characters", "otio", "rushes.interchange.characters:to_otio"),
            ("PoseTracks", "bvh", "rushes.pose.bvh:to_bvh")]

"""Registers the built-in operators through the ``rushes`` entry point group, like any plug-in."""
from __future__ import annotations

from .hookspecs import hookimpl


@hookimpl
def rushes_operators() -> list[type]:
    from .detect.shots import DetectShots
    from .faces.operator import DetectFaces
    from .gan.operator import GanUpscale
    from .speech.operator import SpeechTranscribe, SpeechVad
    from .speech.synthesize import SpeechSynthesize

    return [DetectShots, DetectFaces, GanUpscale, SpeechSynthesize, SpeechTranscribe, SpeechVad]

"""Registers the built-in operators through the ``rushes`` entry point group, like any plug-in."""
from __future__ import annotations

from .hookspecs import hookimpl


@hookimpl
def rushes_operators() -> list[type]:
    from .detect.shots import DetectShots
    from .faces.operator import DetectFaces
    from .gan.operator import GanUpscale

    return [DetectShots, DetectFaces, GanUpscale]

"""Blender tooling that runs with the rushes core (not inside Blender): `rushes hosts blender ...` verbs."""
from __future__ import annotations

from rushes.hookspecs import hookimpl
from rushes.hosts import HostTools


@hookimpl
def rushes_hosts() -> list[HostTools]:
    return [HostTools("blender", "Blender: the rushes extension", ())]

"""DaVinci Resolve tooling that runs with the rushes core (not inside Resolve): `rushes hosts resolve ...` verbs."""
from __future__ import annotations

from rushes.hookspecs import hookimpl
from rushes.hosts import HostTools


@hookimpl
def rushes_hosts() -> list[HostTools]:
    return [HostTools("resolve", "DaVinci Resolve: Workspace > Scripts actions", ())]

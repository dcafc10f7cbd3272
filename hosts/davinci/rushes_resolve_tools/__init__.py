"""DaVinci Resolve tooling that runs with the rushes core (not inside Resolve): `rushes hosts resolve ...` verbs."""
from __future__ import annotations

import argparse
from pathlib import Path

from rushes.hookspecs import hookimpl
from rushes.hosts import HostCommand, HostTools


def _install_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scripts-dir", type=Path, help="Resolve's Fusion/Scripts folder "
                        "(default: the per-user one of this OS)")
    parser.add_argument("--all-users", action="store_true", help="the all-users Scripts folder instead")


def _install(args: argparse.Namespace) -> int:
    from .install import install, rushes_executable, scripts_folder

    scripts = args.scripts_dir or scripts_folder(all_users=args.all_users)
    done = install(scripts.expanduser().resolve(), rushes_executable())
    print(f"rushes: Resolve scripts installed in {done['scripts']}")
    print(f"rushes:   Workspace > Scripts > rushes: {', '.join(p.stem for p in done['entries'])}")
    print(f"rushes:   code in {done['lib']}; settings in {done['settings']}"
          f"{' (kept yours)' if done['kept_settings'] else ''}")
    print("rushes: restart Resolve, or reopen Workspace > Scripts, to see them")
    return 0


@hookimpl
def rushes_hosts() -> list[HostTools]:
    return [HostTools("resolve", "DaVinci Resolve: Workspace > Scripts actions", (
        HostCommand("install", "copy the Workspace > Scripts entries into Resolve's Scripts folder (again: update)",
                    _install, _install_arguments),
    ))]

"""DaVinci Resolve tooling that runs with the rushes core (not inside Resolve): `rushes hosts resolve install|uninstall`."""
from __future__ import annotations

import argparse
from pathlib import Path

from rushes.hookspecs import hookimpl
from rushes.hosts import HostCommand, HostTools


def _where_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scripts-dir", type=Path, help="Resolve's Fusion/Scripts folder "
                        "(default: the per-user one of this OS)")
    parser.add_argument("--all-users", action="store_true", help="the all-users Scripts folder instead")


def _scripts(args: argparse.Namespace) -> Path:
    from .install import scripts_folder

    return (args.scripts_dir or scripts_folder(all_users=args.all_users)).expanduser().resolve()


def _install(args: argparse.Namespace) -> int:
    from .install import install, rushes_executable

    done = install(_scripts(args), rushes_executable())
    print(f"rushes: Resolve scripts installed in {done['scripts']}")
    print(f"rushes:   Workspace > Scripts > rushes: {', '.join(p.stem for p in done['entries'])}")
    print(f"rushes:   code in {done['lib']}; settings in {done['settings']}"
          f"{' (kept yours)' if done['kept_settings'] else ''}")
    print("rushes: restart Resolve, or reopen Workspace > Scripts, to see them")
    return 0


def _uninstall(args: argparse.Namespace) -> int:
    from .install import uninstall

    scripts = _scripts(args)
    done = uninstall(scripts)
    removed = [p for part in done.values() for p in part.removed]
    for part in done.values():
        for path in part.kept:
            print(f"rushes: kept {path} (changed since it was installed)")
    print(f"rushes: removed the rushes scripts from {scripts} ({len(removed)} files)" if removed else
          f"rushes: nothing of rushes to uninstall in {scripts} (left as it is)")
    return 0


@hookimpl
def rushes_hosts() -> list[HostTools]:
    return [HostTools("resolve", "DaVinci Resolve: Workspace > Scripts actions", (
        HostCommand("install", "copy the Workspace > Scripts entries into Resolve's Scripts folder (again: update)",
                    _install, _where_arguments),
        HostCommand("uninstall", "remove what install put into Resolve's Scripts folder (settings you changed stay)",
                    _uninstall, _where_arguments),
    ))]

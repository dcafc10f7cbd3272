"""Nuke tooling that runs with the rushes core (not inside Nuke): `rushes hosts nuke ...` verbs
and the `<stem>.nk` writer of every result kind (its annotations as Nuke nodes).

Registered under the ``rushes`` entry point group like any plug-in. This module stays light
(argparse only); each verb imports its heavy dependencies when it runs, and the writer is named
as "module:function", imported when first used. ``nk.py`` and ``render.py`` are the plug-in's
own modules (links to ``hosts/nuke/plugin/rushes_nuke/``), so Nuke and the core write the same text.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rushes.hookspecs import hookimpl
from rushes.hosts import HostCommand, HostTools


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    from rushes.gan.constants import MODELS  # a constant table: no torch

    parser.add_argument("--model", default="realesr-animevideov3", choices=tuple(MODELS),
                        help="gan.upscale model to export")
    parser.add_argument("--out", type=Path, required=True, help="output TorchScript file (.pt)")
    parser.add_argument("--scale", type=int, default=4, choices=(2, 3, 4), help="output size factor")
    parser.add_argument("--colorspace", default="linear", choices=("linear", "srgb"),
                        help="what the Nuke input is (linear: encode/decode inside the module)")
    parser.add_argument("--headroom", type=float, default=1.0,
                        help="linear values are divided by this before encoding (highlights above 1)")
    parser.add_argument("--from", dest="wheelhouse", type=Path,
                        help="offline wheelhouse folder holding the pinned model artifact")


def _export(args: argparse.Namespace) -> int:
    from rushes.errors import ParameterError
    from rushes.modelstore import ModelStore

    from .torchscript import export_torchscript

    if args.headroom <= 0:
        raise ParameterError(f"--headroom {args.headroom} must be above 0")
    store = ModelStore(wheelhouse=args.wheelhouse)
    entry = store.ensure("realesrgan", progress=lambda msg: print(f"rushes: {msg}", file=sys.stderr))
    path = export_torchscript(entry, args.model, args.out, args.scale, args.colorspace, args.headroom)
    print(f"rushes: TorchScript for Nuke written to {path.resolve()} (see docs/nuke.md: CatFileCreator)")
    return 0


def _install_arguments(parser: argparse.ArgumentParser) -> None:
    from .install import arguments

    arguments(parser)


def _install(args: argparse.Namespace) -> int:
    from .install import install

    return install(args)


def _uninstall_arguments(parser: argparse.ArgumentParser) -> None:
    from .install import uninstall_arguments

    uninstall_arguments(parser)


def _uninstall(args: argparse.Namespace) -> int:
    from .install import uninstall

    return uninstall(args)


@hookimpl
def rushes_hosts() -> list[HostTools]:
    return [HostTools("nuke", "Nuke: the plug-in folder, exports for the Inference node", (
        HostCommand("install", "copy the Nuke plug-in to ~/.nuke/rushes and add its pluginAddPath line to "
                    "~/.nuke/init.py once (--print-path: print the NUKE_PATH value instead)",
                    _install, _install_arguments),
        HostCommand("uninstall", "remove what install put there: the plug-in copy's own files and its line in "
                    "init.py (your files and lines stay)", _uninstall, _uninstall_arguments),
        HostCommand("export-torchscript",
                    "write a gan.upscale model as TorchScript for Nuke's CatFileCreator (one tensor in, one out)",
                    _export, _export_arguments),
    ))]


@hookimpl
def rushes_writers() -> list[tuple[str, str, object]]:
    # one writer for every kind, a studio's own included: the nodes of its annotations
    return [("*", "nk", "rushes_nuke_tools.writer:nk_file")]

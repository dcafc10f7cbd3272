"""The extension points of rushes: every hook a plug-in package may implement, in one file.

A package adds operators by exposing a module under the ``rushes`` entry point group that
implements ``rushes_operators``; the built-in operators register exactly the same way
(see ``rushes.builtin``). This module imports nothing of rushes: the types the hooks return are
named in their docstrings, so every layer may read the contract without an import circle.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("rushes")
hookimpl = pluggy.HookimplMarker("rushes")


@hookspec
def rushes_operators() -> list[type]:
    """Return the operator classes (subclasses of ``rushes.operators.Operator``) this plug-in adds.

    Called once per discovery. Import heavy dependencies (torch, onnxruntime) inside the
    operator's ``run``, not at module level, so listing operators stays fast in every host.
    """


@hookspec
def rushes_result_kinds() -> list[type | tuple[str, type]]:
    """Return the result classes this plug-in adds, e.g. ``[Slates]`` (or (name, class) pairs).

    A result class derives from ``rushes.results.Result``: a dataclass with ``to_json() -> dict``
    (holding ``"kind": name``, its class name), ``from_json(data) -> instance`` that ignores fields
    it does not know, ``summary() -> str`` and ``annotations()`` (rushes.annotations: the markers,
    ranges, tracks, captions and media every host shows of it). Every kind gets a ``.json`` file,
    which carries those annotations; add other formats with ``rushes_writers``.
    """


@hookspec
def rushes_writers() -> list[tuple[str, str, object]]:
    """Return (result kind, file extension, writer) triples: ``writer(result) -> str`` renders the
    whole file, like OpenTimelineIO's adapters; it only translates the result, never reads media.
    A writer with an ``envelope`` parameter is also given the run's envelope
    (``writer(result, envelope=...)``: its ``media`` holds the media's own first frame and start
    timecode, which a result made from a frame range does not); one with an ``out_dir``
    parameter, the folder the file is written in (relative paths in the result, e.g. a ``Media``
    annotation's, are relative to it). The writer may be given as
    ``"package.module:function"``, imported when first used, so
    listing operators stays cheap. A plug-in may add formats to built-in kinds
    (e.g. ``("Cuts", "xml", "studio_ops.fcp:to_fcp7")``). Kind ``"*"`` writes every kind, a
    studio's own included: a host's one writer from the result's annotations (``result_json``
    holds them), with no per-kind code; a kind's own writer of the same extension wins."""


@hookspec
def rushes_model_manifests() -> list[str]:
    """Return folders holding model manifests (``*.toml``, the format of rushes' own ``models/``)
    for the models this plug-in's operators fetch through ``ctx.models.ensure(id)``."""


@hookspec
def rushes_hosts() -> list[object]:
    """Return the host-side tools this plug-in adds, one ``rushes.hosts.HostTools`` per host: the
    host's name, a one-line summary and its verbs (``HostCommand``: name, help,
    ``arguments(parser)`` adding its argparse arguments, ``run(args) -> exit status``).

    They run as ``rushes hosts HOST VERB [arguments]``; ``rushes hosts`` lists them. Several
    packages may add verbs to the same host (the first to name a verb keeps it). Keep the module
    that implements this hook light: import heavy dependencies inside ``run``.
    """

"""The extension points of rushes: every hook a plug-in package may implement, in one file.

A package adds operators by exposing a module under the ``rushes`` entry point group that
implements ``rushes_operators``; the built-in operators register exactly the same way
(see ``rushes.builtin``).
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

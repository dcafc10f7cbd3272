"""rushes: AI operators for film post-production, one core for every host application (adapters in hosts/)."""
from __future__ import annotations

from .errors import (Cancelled, MediaError, MissingExtraError, MissingFramesError, ModelError, OutputError,
                     ParameterError, RushesError, UnknownOperatorError)
from .operators import Context, Operator, Param, discover, get_operator
from .results import Cuts, Shot
from .version import __version__  # noqa: F401 (rushes.__version__)

__all__ = [
    "Cancelled", "Context", "Cuts", "MediaError", "MissingExtraError", "MissingFramesError", "ModelError",
    "Operator", "OutputError", "Param", "ParameterError", "RushesError", "Shot", "UnknownOperatorError",
    "discover", "get_operator", "run",
]


def run(*args, **kwargs):
    """Run an operator in this process; see rushes.runner.run."""
    from .runner import run as _run

    return _run(*args, **kwargs)

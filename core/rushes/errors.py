"""User-facing errors: one type per kind of mistake, each naming the file and the problem."""
from __future__ import annotations

from pathlib import Path


class RushesError(Exception):
    """A problem the user can act on. The CLI prints it as one line and exits with 2."""

    def __init__(self, problem: str, path: str | Path | None = None):
        self.problem = problem
        self.path = None if path is None else str(path)
        super().__init__(self.line())

    def line(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem


class MediaError(RushesError):
    """A movie, image, sequence or audio file that cannot be read as asked."""


class MissingFramesError(MediaError):
    """An image sequence with holes; `missing` lists the absent frame numbers."""

    def __init__(self, problem: str, path: str | Path, missing: list[int]):
        self.missing = missing
        super().__init__(problem, path)


class ParameterError(RushesError):
    """An unknown parameter, a value of the wrong type or out of range."""


class MissingExtraError(ParameterError):
    """An operator or command whose optional dependencies (an extra of rushes) are not installed."""


class UnknownOperatorError(RushesError):
    """No operator of that name is registered."""


class OutputError(RushesError):
    """The output folder cannot be written, or would overwrite a source."""


class ModelError(RushesError):
    """A model artifact that cannot be fetched, verified or converted."""


class Cancelled(RushesError):
    """The job was cancelled by the user."""


class TimedOut(Cancelled):
    """The job ran longer than its time limit and was stopped."""

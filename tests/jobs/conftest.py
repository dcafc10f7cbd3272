"""Worker tests' shared pieces: the gated operator (tests/fixtures/gated.py, shared with the host
tests) and the input file a test.gated job names."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.gated import GATED_OPS, SAFETY, gated_ops  # noqa: F401 - the tests here use them


@pytest.fixture()
def script(tmp_path) -> Path:
    """The text file a test.gated job names as its input (it is not read)."""
    path = tmp_path / "script.txt"
    path.write_text("A: hello\n")
    return path

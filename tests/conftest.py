"""Shared fixtures: the real TransNetV2 sample clip, and test edits built from it once per session."""
from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fixtures import edit  # noqa: E402

from rushes.modelstore import ModelStore  # noqa: E402


@pytest.fixture(scope="session")
def store() -> ModelStore:
    """The model store the suite shares (RUSHES_CACHE, set by the Makefile to .cache/rushes)."""
    return ModelStore()


@pytest.fixture(scope="session")
def transnet_dir(store) -> Path:
    return store.ensure("transnetv2")


@pytest.fixture(scope="session")
def sample_clip(transnet_dir) -> Path:
    return transnet_dir / "sample.mp4"


@pytest.fixture(scope="session")
def edit_clip(tmp_path_factory, sample_clip) -> tuple[Path, dict]:
    """480 frames, 320x180, 25 fps: 7 hard cuts, a dissolve, a fade, a flash, a fast camera move."""
    out = tmp_path_factory.mktemp("edit") / "edit clip é.mp4"
    truth = edit.build(sample_clip, out)
    return out, truth


@pytest.fixture(scope="session")
def transnet_cuts(edit_clip, store):
    import rushes

    clip, _ = edit_clip
    out = clip.parent / "transnet"
    return rushes.run("detect.shots", clip, out, {"method": "transnet"}, models=store)


@pytest.fixture()
def bad_movies(tmp_path, sample_clip) -> dict[str, Path]:
    """A 0-byte movie, a text file named .mp4 and a movie cut off half-way (names with spaces)."""
    empty = tmp_path / "empty take.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "readme.mp4"
    text.write_text("not a movie\n" * 100)
    corrupt = tmp_path / "cut short.mp4"
    data = sample_clip.read_bytes()
    corrupt.write_bytes(data[: len(data) // 2])
    return {"empty": empty, "text": text, "corrupt": corrupt}

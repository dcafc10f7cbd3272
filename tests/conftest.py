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

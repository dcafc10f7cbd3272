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


@pytest.fixture()
def plugin_package(tmp_path, monkeypatch):
    """Install a third-party rushes plug-in for one test, the way a studio package is installed: a
    module and its dist-info (entry point group `rushes`) on sys.path, found by discovery.

    `install(module_name, source)` returns the imported module (its folder as `.site`, for a
    subprocess's PYTHONPATH); at the end it is gone and discovery forgets it.
    """
    import importlib
    import textwrap

    from rushes.operators import discover, reset_discovery

    added: list[str] = []

    def install(module: str, source: str):
        root = tmp_path / f"site-{module}"
        root.mkdir()
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        dist = root / f"{module}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(f"[rushes]\n{module} = {module}\n")
        monkeypatch.syspath_prepend(str(root))
        importlib.invalidate_caches()
        reset_discovery()  # discovery is cached per process; this distribution appeared after
        discover()
        added.append(module)
        loaded = sys.modules[module]
        loaded.site = root
        return loaded

    yield install
    for module in added:
        sys.modules.pop(module, None)
    reset_discovery()  # later tests must not see it

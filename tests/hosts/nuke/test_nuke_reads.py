"""What the plug-in takes from Nuke and hands back to it: knob values as Nuke evaluates them (the
project's custom OCIO config, path knobs) and paths with `/` on every OS."""
from __future__ import annotations

import ntpath
import types

import pytest

import nuke
import nuke_plates
import rushes_nuke.apply
import rushes_nuke.jobs
import rushes_nuke.nk
import rushes_nuke.panel
import rushes_nuke.reads as reads
from rushes_nuke.connection import PluginError

from rushes.operators import get_operator


def custom_ocio(path_knob: str) -> None:
    root = nuke.root()
    root["colorManagement"].setValue("OCIO")
    root["OCIO_config"].setValue("custom")
    root["customOCIOConfigPath"].setValue(path_knob)


@pytest.mark.parametrize("expression", ["[getenv SHOW_ROOT]/ocio/config.ocio", "$env(SHOW_ROOT)/ocio/config.ocio"])
def test_the_custom_ocio_config_goes_to_the_job_evaluated(script, tmp_path, monkeypatch, expression):
    monkeypatch.setenv("SHOW_ROOT", str(tmp_path / "show"))
    custom_ocio(expression)
    plate = reads.plate(nuke._read(tmp_path / "take1.####.exr", 1001, 1010, 64, 32))
    assert plate.ocio_config == f"{tmp_path}/show/ocio/config.ocio"
    operator = get_operator("detect.faces").describe()
    job = rushes_nuke.jobs.Job(None, operator, {}, plate, str(tmp_path / "out"), lambda fn, args=(): fn(*args))
    assert job.spec()["media"]["ocio_config"] == f"{tmp_path}/show/ocio/config.ocio"


def test_a_config_path_that_cannot_be_evaluated_is_one_line_naming_the_knob(script, tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SUCH_SHOW", raising=False)
    custom_ocio("$env(NO_SUCH_SHOW)/config.ocio")
    with pytest.raises(PluginError) as err:
        reads.plate(nuke._read(tmp_path / "take1.####.exr", 1001, 1010, 64, 32))
    line = str(err.value)
    assert line.startswith("rushes: customOCIOConfigPath: cannot evaluate '$env(NO_SUCH_SHOW)/config.ocio'")
    assert "NO_SUCH_SHOW" in line and "\n" not in line


def test_path_knobs_of_a_rushes_node_are_evaluated(script, tmp_path, monkeypatch):
    monkeypatch.setenv("CAST_DIR", str(tmp_path / "cast"))
    node = rushes_nuke.panel.create("detect.characters", get_operator("detect.characters").describe())
    assert isinstance(node["rp_cast"], nuke.File_Knob)
    node["rp_cast"].setValue("[getenv CAST_DIR]/sh010")
    assert rushes_nuke.panel.values(node)["cast"] == f"{tmp_path}/cast/sh010"


@pytest.fixture()
def windows(monkeypatch):
    """The plug-in's path handling as on Windows (backslash separators)."""
    windows_os = types.SimpleNamespace(path=ntpath, sep="\\", altsep="/")
    monkeypatch.setattr(reads, "os", windows_os)
    monkeypatch.setattr(rushes_nuke.nk, "os", windows_os)


def test_paths_handed_to_nuke_use_forward_slashes_on_windows(script, windows):
    nuke._reset()  # an unsaved script: results go beside the plate
    source = nuke._read(r"C:\shows\sh010\plates\up.####.png", 1001, 1002, 40, 32, name="small")
    plate = reads.plate(source)
    assert reads.output_folder(plate, "gan.upscale") == "C:/shows/sh010/plates/rushes/small_gan_upscale"
    nuke.root()["name"].setValue(r"C:\shows\sh010\comp\sh010_comp_v001.nk")  # saved: beside the script
    assert reads.output_folder(plate, "gan.upscale") == "C:/shows/sh010/comp/rushes/small_gan_upscale"
    frames = {"kind": "Frames", "operator": "gan.upscale", "width": 80, "height": 64,
              "source": r"C:\shows\sh010\plates\up.####.png",
              "outputs": [{"path": "up.####.png", "kind": "image sequence", "frame_range": [1001, 1003]}],
              "annotations": {"version": 1, "sets": [{"source": {
                  "path": r"C:\shows\sh010\plates\up.####.png", "rate": None, "first_frame": 1001, "width": 80,
                  "height": 64, "start_timecode": None}, "items": [
                      {"type": "Media", "path": "up.####.png", "role": "plate", "first": 1001, "last": 1002,
                       "colorspace": ""}]}]}}
    (up,), status = rushes_nuke.apply.result_nodes(
        plate, {"out_dir": r"C:\shows\sh010\comp\rushes\small_gan_upscale", "result": frames})
    assert up["file"].value() == "C:/shows/sh010/comp/rushes/small_gan_upscale/up.####.png"
    assert (up["first"].value(), up["last"].value()) == (1001, 1002) and up.Class() == "Read"


def test_paths_on_posix_are_left_as_they_are():
    assert rushes_nuke.nk.nuke_path("/shows/a\\b", "up.####.png") == "/shows/a\\b/up.####.png"  # a backslash is a name here

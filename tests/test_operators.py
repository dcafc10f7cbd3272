import pytest

from rushes import Operator, ParameterError, UnknownOperatorError, discover, get_operator
from rushes.detect.shots import DetectShots


def test_builtin_operator_is_discovered_through_the_entry_point_group():
    from importlib.metadata import entry_points

    names = {ep.value for ep in entry_points(group="rushes")}
    assert "rushes.builtin" in names
    assert discover()["detect.shots"] is DetectShots


def test_third_party_operator_package_is_discovered(plugin_package):
    plugin_package("studio_ops", '''
        from rushes import Operator, Param
        from rushes.hookspecs import hookimpl

        class Slate(Operator):
            name = "studio.slate"
            summary = "Find the slate"
            inputs = ("movie",)
            result = "Cuts"
            output_stem = "slate"
            params = (Param("frames", int, 24, "Frames", "how many", min=1, max=100),)

        @hookimpl
        def rushes_operators():
            return [Slate]
    ''')
    ops = discover()
    assert "studio.slate" in ops and "detect.shots" in ops
    assert ops["studio.slate"].resolve_params({"frames": "12"}) == {"frames": 12}


def test_parameters_are_coerced_and_checked():
    values = DetectShots.resolve_params({"threshold": "0.3", "min_shot_length": "12"})
    assert values["threshold"] == 0.3 and values["min_shot_length"] == 12
    assert values["method"] == "transnet"
    with pytest.raises(ParameterError, match="out of range"):
        DetectShots.resolve_params({"threshold": "1.5"})
    with pytest.raises(ParameterError, match="not one of"):
        DetectShots.resolve_params({"method": "magic"})
    with pytest.raises(ParameterError, match="no parameter 'treshold'"):
        DetectShots.resolve_params({"treshold": "0.5"})
    with pytest.raises(ParameterError, match="not a valid int"):
        DetectShots.resolve_params({"min_shot_length": "2.5"})


def test_unknown_operator():
    with pytest.raises(UnknownOperatorError, match="detect.shots"):
        get_operator("detect.shot")


def test_schema_is_json_ready():
    import json

    desc = json.loads(json.dumps(DetectShots.describe()))
    assert desc["name"] == "detect.shots" and desc["result"] == "Cuts"
    method = next(p for p in desc["params"] if p["name"] == "method")
    assert method["choices"] == ["transnet", "fast"] and method["default"] == "transnet"
    assert issubclass(DetectShots, Operator)


def test_frame_range_only_for_operators_that_can(tmp_path, edit_clip, store):
    import rushes

    clip, _ = edit_clip
    with pytest.raises(ParameterError, match="cannot run a frame range"):
        rushes.run("speech.vad", clip, tmp_path / "o", frame_range=(0, 10), models=store)
    assert not (tmp_path / "o").exists()

"""The fake Resolve and the Resolve-side code against fusionscript-stubs (parsed with ast): every fake
method and every Resolve call the actions make exists there with the same parameter names; the
Resolve-side files parse as Python 3.8, open text files as UTF-8, and say what they are for."""
from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

import fake_resolve
from fake_resolve import DAVINCI

STUBS = next(Path(p) / "fusionscript-stubs" / "fusionscript.pyi" for p in sys.path
             if (Path(p) / "fusionscript-stubs" / "fusionscript.pyi").is_file())
CLASSES = ("Resolve", "ProjectManager", "Project", "MediaPool", "Folder", "MediaPoolItem", "Timeline", "TimelineItem")
RESOLVE_SIDE = sorted((DAVINCI / "rushes_resolve").glob("*.py")) + sorted((DAVINCI / "scripts" / "rushes").glob("*.py"))


def stub_signatures() -> dict[str, dict[str, list[list[str]]]]:
    """{class: {method: [parameter names of each definition (overloads)]}} from the stubs."""
    tree = ast.parse(STUBS.read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = found.setdefault(node.name, {})
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    names = [a.arg for a in item.args.args[1:]] + (["*" + item.args.vararg.arg] if item.args.vararg else [])
                    methods.setdefault(item.name, []).append(names)
    return found


STUB = stub_signatures()


def test_the_stubs_are_the_real_api():
    assert set(CLASSES) <= set(STUB)
    assert ["frameId", "color", "name", "note", "duration", "customData"] in STUB["Timeline"]["AddMarker"]
    assert ["subframe_precision"] in STUB["TimelineItem"]["GetLeftOffset"]


@pytest.mark.parametrize("name", CLASSES)
def test_every_fake_method_is_in_the_stubs_with_its_parameters(name):
    fake = getattr(fake_resolve, name)
    methods = [m for m in dir(fake) if m[:1].isupper() and callable(getattr(fake, m))]
    assert methods, name
    for method in methods:
        assert method in STUB[name], f"{name}.{method} is not Resolve API"
        params = inspect.signature(getattr(fake, method)).parameters
        names = [("*" + p.name if p.kind is p.VAR_POSITIONAL else p.name) for p in list(params.values())[1:]]
        assert names in STUB[name][method], f"{name}.{method}{names} vs stubs {STUB[name][method]}"


def calls_in(path: Path) -> set[str]:
    """Names of the CamelCase methods a file calls on objects (Resolve's API is CamelCase)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr[:1].isupper()
            and node.func.attr[1:2].islower()}


def test_every_resolve_call_of_the_actions_is_real_api_and_faked():
    api = {m for methods in STUB.values() for m in methods}
    made = set().union(*(calls_in(p) for p in RESOLVE_SIDE if p.name != "rushes_client.py"))
    # our own classes, and Fusion's app.GetResolve() which the menu tries first (Fusion is outside these stubs)
    ours = {"ResolveActionError", "TimelineClock", "ClipUse", "Worker", "Edition", "WorkerClient", "GetResolve"}
    assert made - ours, made
    assert made - ours <= api, made - ours - api
    faked = {m for name in CLASSES for m in dir(getattr(fake_resolve, name))}
    assert made - ours <= faked, made - ours - faked
    studio_only = {"CreateSubtitlesFromAudio", "TranscribeAudio", "DetectSceneCuts", "AnalyzeForIntellisearch",
                   "GenerateSpeech", "CreateMagicMask", "SmartReframe", "Stabilize"}
    assert not made & studio_only


@pytest.mark.parametrize("path", RESOLVE_SIDE + [DAVINCI / "rushes_resolve" / "rushes_client.py"], ids=lambda p: p.name)
def test_resolve_side_files_run_on_python_3_8_and_write_utf8(path):
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, feature_version=(3, 8))
    doc = ast.get_docstring(tree)
    assert doc and len(doc.splitlines()[0]) > 20, path
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "open":
            mode = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else "r"
            keys = {k.arg for k in node.keywords}
            assert "b" in mode or "encoding" in keys, f"{path.name}:{node.lineno} opens text without an encoding"
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("removeprefix", "removesuffix"), f"{path.name}:{node.lineno} is Python 3.9+"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                top = (getattr(node, "module", None) or alias.name).split(".")[0]
                assert top not in ("rushes", "numpy", "av", "opentimelineio", "zoneinfo", "graphlib"), (path.name, top)

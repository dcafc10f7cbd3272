"""The fake Resolve and the Resolve-side code against fusionscript-stubs (parsed with ast) and the
scripting READMEs of each release (tests/data/resolve_api): every fake method and every Resolve call
the actions make exists there with the same parameter names, every fake method is in a README, and
every call newer than the oldest release rushes takes is gated by the release that has it; the fake
answers as its release; the Resolve-side files parse as Python 3.8, open text files as UTF-8, and say
what they are for."""
from __future__ import annotations

import ast
import inspect
import json
import sys
from pathlib import Path

import pytest

import fake_resolve
from fake_resolve import CLASSES, DAVINCI

STUBS = next(Path(p) / "fusionscript-stubs" / "fusionscript.pyi" for p in sys.path
             if (Path(p) / "fusionscript-stubs" / "fusionscript.pyi").is_file())
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
    made = set().union(*(calls_in(p) for p in RESOLVE_SIDE))
    # our own classes, and Fusion's app.GetResolve() which the menu tries first (Fusion is outside these stubs)
    ours = {"ResolveActionError", "TimelineClock", "ClipUse", "Worker", "Edition", "WorkerClient", "GetResolve", "Canvas",
            "Place"}
    assert made - ours, made
    assert made - ours <= api, made - ours - api
    faked = {m for name in CLASSES for m in dir(getattr(fake_resolve, name))}
    assert made - ours <= faked, made - ours - faked
    studio_only = {"CreateSubtitlesFromAudio", "TranscribeAudio", "DetectSceneCuts", "AnalyzeForIntellisearch",
                   "GenerateSpeech", "CreateMagicMask", "SmartReframe", "Stabilize"}
    assert not made & studio_only


@pytest.mark.parametrize("path", RESOLVE_SIDE + sorted((DAVINCI / "rushes_resolve" / "rushes_hostkit").glob("*.py")),
                         ids=lambda p: p.parent.name + "/" + p.name)
def test_resolve_side_files_run_on_python_3_8_and_write_utf8(path):
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, feature_version=(3, 8))
    doc = ast.get_docstring(tree)
    assert doc and len(doc.splitlines()[0]) > 20, path
    for node in ast.walk(tree):
        low_level = isinstance(node, ast.Call) and getattr(getattr(node.func, "value", None), "id", "") == "os"
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "open" \
                and not low_level:  # os.open makes a file descriptor, not a text file
            mode = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else "r"
            keys = {k.arg for k in node.keywords}
            assert "b" in mode or "encoding" in keys, f"{path.name}:{node.lineno} opens text without an encoding"
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("removeprefix", "removesuffix"), f"{path.name}:{node.lineno} is Python 3.9+"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                top = (getattr(node, "module", None) or alias.name).split(".")[0]
                assert top not in ("rushes", "numpy", "av", "opentimelineio", "zoneinfo", "graphlib"), (path.name, top)


API = fake_resolve.api_table()


def test_the_version_table_is_the_readmes_of_each_release():
    source = API["source"]
    assert source["repository"] == "https://github.com/WheheoHu/bmd_doc" and len(source["commit"]) == 40
    assert source["paths"] == ["_README_API/%s/README.txt" % v.replace(".", "_") for v in API["versions"]]
    assert {"18.5.0", "18.6.0", "18.6.5", "19.0.0", "19.0.2", "19.1.0", "20.0.0", "20.2.0", "21.0.2"} <= set(API["versions"])
    # the calls of the issue, as the READMEs give them
    assert API["since"]["MediaPool.GetSelectedClips"] == "19.0.2"
    assert API["since"]["MediaPoolItem.GetMarkInOut"] == "19.1.0" and API["since"]["MediaPoolItem.SetName"] == "20.2.0"
    assert API["since"]["MediaPoolItem.SetClipProperty"] == "17.4.5"  # the earliest README: there all along
    for method in ("GetStart", "GetDuration", "GetLeftOffset"):
        assert API["parameters"]["TimelineItem." + method] == {"17.4.5": [[]], "19.0.2": [["subframe_precision"]]}
    assert API["formats"]["MediaPool.ImportTimelineFromFile"]["OTIO"] == "18.6.5"
    assert API["formats"]["MediaPool.ImportTimelineFromFile"]["AAF"] == "18.5.0"


@pytest.mark.parametrize("name", CLASSES)
def test_every_fake_method_is_in_a_readme(name):
    fake = getattr(fake_resolve, name)
    for method in (m for m in dir(fake) if m[:1].isupper() and callable(getattr(fake, m))):
        key = "%s.%s" % (name, method)
        assert key in API["since"] or key in API["deprecated"], f"{key} is in no scripting README"


def test_calls_newer_than_the_oldest_supported_release_are_gated():
    from rushes_resolve.context import API_NEEDS, MIN_VERSION

    def release(text):
        return tuple(int(p) for p in text.split("."))

    for call, (version, what) in API_NEEDS.items():
        key, _, extra = call.partition("(")
        extra = extra.rstrip(")")
        if not extra:
            listed = API["since"][key]
        elif extra.isupper():  # a file format
            listed = API["formats"][key][extra]
        else:  # a parameter: the first release whose README lists it
            listed = next(v for v, overloads in API["parameters"][key].items() if any(extra in o for o in overloads))
        assert release(listed) == version, (call, listed)
        assert version > MIN_VERSION + (0,) and what, call
    made = set().union(*(calls_in(p) for p in RESOLVE_SIDE))
    gated = {call.partition("(")[0].split(".")[1] for call in API_NEEDS}
    for method in made:
        firsts = [release(API["since"][c + "." + method]) for c in CLASSES if c + "." + method in API["since"]]
        if firsts and min(firsts) > MIN_VERSION + (0,):  # newer than the oldest release rushes takes on every class
            assert method in gated, f"{method} is called but only there from {min(firsts)}: gate it in API_NEEDS"


def _make_table():
    import runpy
    return runpy.run_path(str(API_TABLE_SCRIPT))


API_TABLE_SCRIPT = fake_resolve.API_TABLE.parent / "make_table.py"
SPEECH_WAV = fake_resolve.API_TABLE.parents[1] / "speech" / "austen-0870.wav"

README_1 = """Basic Resolve API
-----------------
Some commonly used API functions are described below (*).

MediaPool
  ImportTimelineFromFile(filePath, {importOptions}) --> Timeline         # Creates timeline (AAF/EDL) from a file.
  AppendToTimeline(clip1, clip2, ...)             --> [TimelineItem]     # Appends.

TimelineItem
  GetStart()                                      --> int                # Returns the start frame.
  ApplyArriCdlLut()                               --> Bool               # Applies.

Deprecated Resolve API Functions
--------------------------------
Folder
  GetClips()                                      --> {clips...}         # Returns a dict.
"""
README_2 = """DaVinci Resolve API
-------------------
MediaPool
  ImportTimelineFromFile(filePath, {importOptions}) --> Timeline         # Creates timeline (AAF/EDL/OTIO) from a file.
  AppendToTimeline(clip1, clip2, ...)             --> [TimelineItem]     # Appends.
  GetSelectedClips()                              --> [MediaPoolItems]   # Returns the selection.

ProjectManager
  ArchiveProject(projectName,
                 filePath)                        --> Bool               # Archives.

TimelineItem
  GetStart(subframe_precision)                    --> int/float          # Returns the start frame.

List and Dict Data Structures
-----------------------------
Beside primitive data types, Resolve's Python API mainly uses list and dict data structures.
""".replace("\n", "\r\n")  # older copies have Windows line ends


def test_the_table_script_reads_readmes(tmp_path):
    for version, text in (("18_5_0", README_1), ("19_0_2", README_2), ("18_5__B", README_2)):
        folder = tmp_path / "_README_API" / version
        folder.mkdir(parents=True)
        (folder / "README.txt").write_bytes(text.encode("utf-8"))
    out = tmp_path / "table.json"
    assert _make_table()["main"]([str(tmp_path), str(out)]) == 0
    table = json.loads(out.read_text(encoding="utf-8"))
    assert table["versions"] == ["18.5.0", "19.0.2"]  # the beta copy is skipped
    assert table["source"]["paths"] == ["_README_API/18_5_0/README.txt", "_README_API/19_0_2/README.txt"]
    assert table["since"] == {"MediaPool.AppendToTimeline": "18.5.0", "MediaPool.GetSelectedClips": "19.0.2",
                              "MediaPool.ImportTimelineFromFile": "18.5.0", "ProjectManager.ArchiveProject": "19.0.2",
                              "TimelineItem.ApplyArriCdlLut": "18.5.0", "TimelineItem.GetStart": "18.5.0"}
    assert table["parameters"] == {"TimelineItem.GetStart": {"18.5.0": [[]], "19.0.2": [["subframe_precision"]]}}
    assert table["formats"] == {"MediaPool.ImportTimelineFromFile": {"AAF": "18.5.0", "EDL": "18.5.0", "OTIO": "19.0.2"}}
    assert table["deprecated"] == {"Folder.GetClips": "18.5.0"}
    assert table["gone"] == {"TimelineItem.ApplyArriCdlLut": "19.0.2", "Folder.GetClips": "19.0.2"}
    assert _make_table()["main"]([str(tmp_path / "nothing")]) == 2


def test_a_fake_answers_as_its_release():
    old, new = fake_resolve.Resolve(version=(18, 6, 0)), fake_resolve.Resolve(version=(20, 2, 0))
    items = []
    for resolve in (old, new):
        project = resolve.manager.open_project("P")
        timeline = project.new_timeline("T")
        item = fake_resolve.MediaPoolItem(project, str(SPEECH_WAV))
        (placed,) = project.GetMediaPool().AppendToTimeline([{"mediaPoolItem": item, "recordFrame": 86400}])
        items.append((project, placed, item))
    (p_old, t_old, m_old), (p_new, t_new, m_new) = items
    assert p_old.GetMediaPool().GetSelectedClips is None and m_old.SetName is None and m_old.GetMarkInOut is None
    with pytest.raises(TypeError, match="'NoneType' object is not callable"):
        p_old.GetMediaPool().GetSelectedClips()
    assert t_old.GetStart() == 86400
    with pytest.raises(TypeError, match=r"TimelineItem.GetStart\(\) takes 0 argument\(s\) in DaVinci Resolve 18.6.0"):
        t_old.GetStart(False)
    assert t_new.GetStart(False) == 86400 and m_new.SetName("x") and m_new.GetName() == "x"
    assert m_old.SetClipProperty("Clip Name", "y") and m_old.GetName() == "y"


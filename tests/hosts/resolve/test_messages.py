"""Every missing thing is one clear message, never a traceback: no Resolve, an old or free edition,
no project, no timeline, no clips, no worker, a bad parameter; from the menu entry as one console line."""
from __future__ import annotations

import runpy

import pytest

from fake_resolve import DAVINCI, Resolve
from rushes_resolve import actions, menu
from rushes_resolve.context import Edition, ResolveActionError, edition


def test_edition_is_checked_first():
    assert edition(Resolve()).studio is False and not edition(Resolve()).script_ui  # free 19.1: no script UI
    assert edition(Resolve("DaVinci Resolve Studio")).studio
    with pytest.raises(ResolveActionError, match="needs DaVinci Resolve 18.5 or later; this is DaVinci Resolve 18.1"):
        actions.markers_at_cuts(Resolve(version=(18, 1, 4, 9)))
    with pytest.raises(ResolveActionError, match="needs DaVinci Resolve Studio; this is DaVinci Resolve 19.1.3"):
        Edition("DaVinci Resolve", (19, 1, 3)).require_studio("Auto subtitles")
    with pytest.raises(ResolveActionError, match="not connected to DaVinci Resolve"):
        actions.subtitles(None)


@pytest.mark.parametrize("action", ["markers_at_cuts", "subtitles", "upscale_clips", "anonymize_clips", "face_markers",
                                    "run_operator"])
def test_missing_project_timeline_and_clips(action, tmp_path, version, worker):
    run = getattr(actions, action)
    more = {"operator": "speech.vad"} if action == "run_operator" else {}
    resolve = Resolve(version=version)
    with pytest.raises(ResolveActionError, match="^no project is open in DaVinci Resolve$"):
        run(resolve, **more)
    project = resolve.manager.open_project("Feature")
    with pytest.raises(ResolveActionError, match="project 'Feature' has no current timeline: open one on the Edit page"):
        run(resolve, **more)
    project.new_timeline("Empty")
    with pytest.raises(ResolveActionError, match=r"^the rushes worker is not running: no rushes worker running for "
                                                 r".*nobody"):
        run(resolve, out=tmp_path, state_dir=tmp_path / "nobody", start_worker=False, **more)
    missing = {"subtitles": "timeline 'Empty' has no audio clips", "upscale_clips": "no clip chosen",
               "anonymize_clips": "no clip chosen", "run_operator": "timeline 'Empty' has no audio clips"
               }.get(action, "timeline 'Empty' has no video clips")
    with pytest.raises(ResolveActionError, match=missing):
        run(resolve, out=tmp_path, client=worker, **more)
    assert not any(tmp_path.iterdir())  # nothing written for a run that found nothing to run on


def test_scratch_voice_without_a_script_a_worker_or_a_timecode(tmp_path, worker):
    resolve = Resolve()
    project = resolve.manager.open_project("Feature")
    timeline = project.new_timeline("Edit")
    with pytest.raises(ResolveActionError, match="^no script file: give script_path"):
        actions.scratch_voice(resolve)
    with pytest.raises(ResolveActionError, match=r"^no file at 'nowhere.txt': give \"input\", the file "
                                                 r"speech.synthesize reads: text \(.txt .fountain\)$"):
        actions.scratch_voice(resolve, "nowhere.txt", client=worker)
    script = tmp_path / "sc1.txt"
    script.write_text("ANNA: Go.\n", encoding="utf-8")
    with pytest.raises(ResolveActionError, match=r"^the rushes worker is not running: no rushes worker running for .*nobody"):
        actions.scratch_voice(resolve, str(script), state_dir=tmp_path / "nobody", start_worker=False)
    with pytest.raises(ResolveActionError, match="'12:00' is not a timecode of 'Edit'"):
        actions.scratch_voice(resolve, str(script), at="12:00", client=worker)
    with pytest.raises(ResolveActionError, match=r"^speech.synthesize reads a file, text \(.txt .fountain\): give its "
                                                 r"path as \"input\" in the \"run_operator\" section"):
        actions.run_operator(resolve, "speech.synthesize", client=worker)
    with pytest.raises(ResolveActionError, match="marker colour 'Orange' is not one Resolve takes"):
        actions.markers_at_cuts(resolve, color="Orange")
    with pytest.raises(ResolveActionError, match="clip colour 'Cyan' is not one Resolve takes"):
        actions.upscale_clips(resolve, color="Cyan")
    with pytest.raises(ResolveActionError, match="targets 'all' is not one rushes knows"):
        actions.run_operator(resolve, "detect.shots", targets="all")
    with pytest.raises(ResolveActionError, match=r"^run_operator has no option 'colour' \(options: "):
        actions.run_operator(resolve, "detect.shots", colour="Red")
    assert timeline.GetTrackCount("audio") == 1 and resolve.studio_calls == []


def test_a_bad_operator_parameter_is_refused_by_the_worker(worker, tmp_path, face_movie):
    resolve = Resolve()
    project = resolve.manager.open_project("Feature")
    timeline = project.new_timeline("Edit")
    pool = project.GetMediaPool()
    (item,) = pool.ImportMedia([str(face_movie)])
    pool.AppendToTimeline([{"mediaPoolItem": item, "startFrame": 0, "endFrame": 23, "recordFrame": 86400}])
    with pytest.raises(ResolveActionError, match="the rushes worker refused detect.shots on C003 faces.mov: .*threshold"):
        actions.markers_at_cuts(resolve, client=worker, out=tmp_path, threshold=7)
    with pytest.raises(ResolveActionError, match="the rushes worker refused detect.shots on C003 faces.mov: .*colour"):
        actions.run_operator(resolve, "detect.shots", {"colour": "red"}, client=worker, out=tmp_path)
    assert timeline.GetMarkers() == {}


def test_the_menu_entry_prints_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(menu, "LOG", str(tmp_path / "rushes_resolve.log"))
    entry = DAVINCI / "scripts" / "rushes" / "Markers at Cuts.py"
    runpy.run_path(str(entry), init_globals={"resolve": Resolve()})
    assert capsys.readouterr().out == "rushes: no project is open in DaVinci Resolve\n"

    class Broken(Resolve):
        def GetProjectManager(self):
            raise RuntimeError("the bridge went away")

    lines = []
    settings = tmp_path / "settings.json"
    settings.write_text('{"face_markers": {"color": "Pink"}}', encoding="utf-8")
    assert menu.run("face_markers", {"resolve": Broken()}, str(settings), log=lines.append) is None
    assert len(lines) == 1 and lines[0].startswith("rushes: face_markers stopped: RuntimeError: the bridge went away")
    assert "Traceback" not in lines[0] and "Traceback" in (tmp_path / "rushes_resolve.log").read_text(encoding="utf-8")
    menu.run("face_markers", {}, str(settings), log=lines.append)
    assert lines[-1].startswith("rushes: cannot reach DaVinci Resolve: run this from Workspace > Scripts")
    settings.write_text("{not json", encoding="utf-8")
    menu.run("face_markers", {"resolve": Resolve()}, str(settings), log=lines.append)
    assert lines[-1].startswith("rushes: cannot read the rushes settings")

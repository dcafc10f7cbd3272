"""faces.nk and shots.nk: what `rushes run` writes through the Nuke writer hook, read back by a
small parser of Nuke's script text (the Tracker4 tracks table, curves with x<frame> keys)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import nkparse
import nuke_plates

from rushes.runner import run


def tracker_tracks(text: str) -> tuple[dict, list[dict]]:
    """The one Tracker4 of a paste file: its knobs and its tracks (keys per column)."""
    assert text.startswith("set cut_paste_input [stack 0]\nversion 14.0 v1\npush $cut_paste_input\n")
    (cls, knobs), = nkparse.nodes(text)
    assert cls == "Tracker4"
    knobs = dict(knobs)
    assert knobs["inputs"] == "0"
    return knobs, nkparse.tracks(knobs["tracks"])


@pytest.fixture(scope="module")
def faces_run(tmp_path_factory, store):
    """`rushes run detect.faces` (the CLI) on a moving face numbered from 1001."""
    root = tmp_path_factory.mktemp("faces nk")
    truth = nuke_plates.moving_face(root / "plate")
    out = root / "out"
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "run", "detect.faces",
                           str(root / "plate" / "take1.####.png"), "--out", str(out), "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return root, out, truth


def test_faces_nk_keys_are_the_face_centres_with_y_flipped_on_every_frame(faces_run):
    root, out, truth = faces_run
    faces = json.loads((out / "faces.json").read_text())
    assert {"path": "faces.nk", "kind": "nk"} in faces["outputs"]
    knobs, tracks = tracker_tracks((out / "faces.nk").read_text())
    assert len(tracks) == len(faces["tracks"]) == 2  # one track per face track
    height = faces["height"]
    assert (faces["width"], height) == (nuke_plates.WIDTH, nuke_plates.HEIGHT)
    for track, row in zip(faces["tracks"], tracks):
        assert row["name"] == f"face {track['id']}"
        xs, ys = nkparse.curve(row["track_x"]), nkparse.curve(row["track_y"])
        frames = [p["frame"] for p in track["frames"]]
        assert [f for f, _ in xs] == [f for f, _ in ys] == frames == list(range(frames[0], frames[-1] + 1))
        for p, (_, x), (_, y) in zip(track["frames"], xs, ys):
            x0, y0, x1, y1 = p["box"]
            assert x == pytest.approx((x0 + x1) / 2, abs=1e-3)
            assert y == pytest.approx(height - (y0 + y1) / 2, abs=1e-3)  # Nuke's origin is bottom-left
        # enabled on the track's frames only
        assert nkparse.curve(row["enable"]) == [(frames[0] - 1, 0), (frames[0], 1), (frames[-1] + 1, 0)]
        assert len(nkparse.curve(row["error"])) == len(frames)
    astronaut, second = sorted(tracks, key=lambda r: nkparse.curve(r["track_x"])[0][1])
    keys = dict(zip([f for f, _ in nkparse.curve(astronaut["track_x"])],
                    zip([v for _, v in nkparse.curve(astronaut["track_x"])],
                        [v for _, v in nkparse.curve(astronaut["track_y"])])))
    assert sorted(keys) == list(range(1001, 1009))  # the plate's own frame numbers
    for frame, (tx, ty) in truth.items():
        assert keys[frame][0] == pytest.approx(tx, abs=12)
        assert keys[frame][1] == pytest.approx(height - ty, abs=12)
    assert keys[1008][1] > keys[1001][1]  # the face rises in the picture: y grows in Nuke
    assert [f for f, _ in nkparse.curve(second["track_x"])] == list(range(1004, 1009))  # joins later
    assert knobs["reference_frame"] == "1001"


def test_faces_nk_is_versioned_with_its_set(faces_run, store):
    root, out, _ = faces_run
    first = (out / "faces.nk").read_text()
    again = run("detect.faces", root / "plate" / "take1.####.png", out, {"min_track": 6}, models=store)
    assert (out / "versions" / "v001" / "faces.nk").read_text() == first
    assert {p.name for p in again.files} >= {"faces.json", "faces.nk"}
    _, tracks = tracker_tracks((out / "faces.nk").read_text())
    assert len(tracks) == 1  # the second face's 5-frame track is now dropped
    (out / "faces.nk").unlink()
    manifest = (out / ".rushes" / "manifest.jsonl").read_text()
    assert "faces.nk" in manifest  # rushes wrote it and owns it


def test_shots_nk_has_a_frame_range_per_shot(edit_clip, tmp_path, store):
    clip, truth = edit_clip
    result = run("detect.shots", clip, tmp_path / "shots", {"method": "fast"}, models=store)
    cuts = json.loads((tmp_path / "shots" / "shots.json").read_text())
    parsed = nkparse.nodes((tmp_path / "shots" / "shots.nk").read_text())
    assert [cls for cls, _ in parsed] == ["FrameRange"] * len(cuts["shots"]) and len(parsed) > 3
    for shot, (_, knobs) in zip(cuts["shots"], parsed):
        knobs = dict(knobs)
        assert (int(knobs["first_frame"]), int(knobs["last_frame"])) == (shot["start"], shot["end"] - 1)
        assert knobs["label"].endswith(f"{shot['start']}-{shot['end'] - 1}") and knobs["inputs"] == "0"
    assert "shots.nk" in [p.name for p in result.files]


def test_the_parser_refuses_a_key_without_its_frame_and_text_is_never_tcl():
    """What the checks above rely on: a key with no x<frame> is an error, not a guess."""
    import rushes_nuke.nk as nk

    with pytest.raises(nkparse.NkSyntaxError, match="no x<frame>"):
        nkparse.curve(nkparse.nodes("NoOp {\n label {curve x1001 1 2}\n}\n")[0][1][0][1])
    assert nk.curve([(1001, 1.5), (1005, 2)]) == "{curve x1001 1.5 x1005 2}"
    tricky = 'shot "A" [exec rm -rf] $HOME {x}\nline 2'
    (cls, knobs), = nkparse.nodes("StickyNote {\n label %s\n}\n" % nk.quote(tricky))
    assert dict(knobs)["label"] == tricky
    assert nk.escape("[laughs] $5") == "\\[laughs\\] \\$5"

"""faces.nk and shots.nk: what `rushes run` writes through the Nuke writer hook (the nodes of the
result's annotations), read back by a small parser of Nuke's script text (the Tracker4 tracks
table, curves with x<frame> keys)."""
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
    assert text.startswith("set cut_paste_input [stack 0]\nversion 14.0 v1\n")
    (cls, knobs), = nkparse.nodes(text)
    assert cls == "Tracker4"
    knobs = dict(knobs)
    # no `inputs`: it takes the node selected when pasting (the plate's Read)
    assert "inputs" not in knobs and ("push", "cut_paste_input") in nkparse.commands(text)
    return knobs, nkparse.tracks(knobs["tracks"])


def keyed(value) -> list[tuple[int, float]]:
    """The keys of a keyed knob's value as a .nk holds it: `{{curve K x<frame> v ...}}`."""
    (inner,) = value
    return nkparse.curve(inner)


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


def test_shots_nk_has_a_noop_keyed_on_every_cut_on_the_reads_frames(edit_clip, tmp_path, store):
    """The cuts are Markers: one NoOp, its `marker` knob keyed on each cut (the keyframe buttons
    jump from cut to cut), on the frames of a Read of the movie (from 1)."""
    clip, truth = edit_clip
    result = run("detect.shots", clip, tmp_path / "shots", {"method": "fast"}, models=store)
    cuts = json.loads((tmp_path / "shots" / "shots.json").read_text())
    assert cuts["media"]["first_frame"] == 0  # a movie without timecode: rushes counts from 0
    ((cls, knobs),) = nkparse.nodes((tmp_path / "shots" / "shots.nk").read_text())
    knobs = dict(knobs)
    assert cls == "NoOp" and "inputs" not in knobs and len(cuts["cuts"]) > 3
    # a Read of a movie counts from 1: movie frame 0 is Read frame 1
    assert keyed(knobs["marker"]) == [(cut + 1, k) for k, cut in enumerate(cuts["cuts"], 1)]
    assert knobs["ranges"] == "0"  # no ranges
    listed = knobs["label"].splitlines()
    assert listed[0] == f"rushes: {len(cuts['cuts'])} marker(s), 0 range(s)"
    assert listed[2] == f"cut 1: {cuts['cuts'][0] + 1} - confidence {cuts['confidence'][0]:.2f}"
    user = [nkparse.user_knob(v) for k, v in nkparse.nodes((tmp_path / "shots" / "shots.nk").read_text())[0][1]
            if k == "addUserKnob"]
    assert [(kind, name) for kind, name, _ in user] == [(20, "rushes"), (3, "marker"), (3, "ranges"),
                                                          (26, "rushes_list")]
    assert user[-1][2]["T"].splitlines() == listed[2:2 + len(cuts["cuts"])]  # every cut, the label's first ones
    assert "shots.nk" in [p.name for p in result.files]


# -- movies: keys on the frames of a Read of the movie (1..N), with and without start timecode ---

@pytest.fixture(scope="module", params=[None, "01:00:00:00"], ids=["no timecode", "timecode 01:00:00:00"])
def movie_faces(request, tmp_path_factory, store):
    """detect.faces on the moving face as a movie (8 pictures), as `rushes run` writes it."""
    root = tmp_path_factory.mktemp("movie nk")
    movie = root / "take1.mov"
    truth = nuke_plates.moving_face_movie(movie, request.param)
    out = run("detect.faces", movie, root / "faces", {}, models=store)
    return movie, truth, out, {None: 0, "01:00:00:00": 90000}[request.param]


def astronaut_keys(tracks: list[dict]) -> dict[int, tuple[float, float]]:
    """frame -> (x, y) of the track that starts left in the picture (the astronaut's)."""
    row = min(tracks, key=lambda r: nkparse.curve(r["track_x"])[0][1])
    xs, ys = nkparse.curve(row["track_x"]), nkparse.curve(row["track_y"])
    assert [f for f, _ in xs] == [f for f, _ in ys]
    return {f: (x, y) for (f, x), (_, y) in zip(xs, ys)}


def test_faces_nk_of_a_movie_keys_the_frames_a_read_of_it_shows(movie_faces):
    movie, truth, out, first = movie_faces
    faces = json.loads((out.out_dir / "faces.json").read_text())
    assert faces["media"]["first_frame"] == first  # rushes' numbering: the start timecode, or 0
    assert min(p["frame"] for t in faces["tracks"] for p in t["frames"]) == first
    knobs, tracks = tracker_tracks((out.out_dir / "faces.nk").read_text())
    keys = astronaut_keys(tracks)
    assert sorted(keys) == list(range(1, 9))  # the Read's frames: picture k of the movie is frame k + 1
    for k, (tx, ty) in enumerate(truth):
        assert keys[k + 1][0] == pytest.approx(tx, abs=12)
        assert keys[k + 1][1] == pytest.approx(nuke_plates.HEIGHT - ty, abs=12)
    second = max(tracks, key=lambda r: nkparse.curve(r["track_x"])[0][1])
    assert [f for f, _ in nkparse.curve(second["track_x"])] == list(range(4, 9))  # joins at the fourth picture
    assert knobs["reference_frame"] == "1"


def test_the_plugin_keys_a_movie_read_by_the_same_rule(movie_faces, script):
    """The in-Nuke path on the same faces.json: a Read of the movie as Nuke makes one (1..8) gets
    faces.nk's keys; with the Read offset by 1000 in the comp, the keys move with it."""
    import nuke
    import rushes_nuke.apply
    import rushes_nuke.reads

    movie, _, out, _ = movie_faces
    faces = json.loads((out.out_dir / "faces.json").read_text())
    _, farm = tracker_tracks((out.out_dir / "faces.nk").read_text())
    for frame_mode, frame, shift in (("expression", "", 0), ("offset", "1000", 1000)):
        nuke._reset(str(script))
        read = nuke._read(movie, 1, 8, nuke_plates.WIDTH, nuke_plates.HEIGHT, name="take1", frame_mode=frame_mode,
                          frame=frame)
        plate = rushes_nuke.reads.plate(read)
        assert plate.movie and plate.offset == shift
        (tracker,), _ = rushes_nuke.apply.result_nodes(plate, {"result": faces, "out_dir": str(out.out_dir)})
        assert tracker.Class() == "Tracker4" and tracker.input(0) is read
        rows = nkparse.tracks(tracker["tracks"].value())
        assert len(rows) == len(farm)
        for mine, theirs in zip(rows, farm):
            for column in ("track_x", "track_y", "error"):
                assert nkparse.curve(mine[column]) == [(f + shift, v) for f, v in nkparse.curve(theirs[column])]


def test_a_frame_range_of_a_movie_keys_the_reads_frames_of_that_range(movie_faces, tmp_path, store):
    """Run on pictures 3..6 only (rushes frames first+2 .. first+5): keys on Read frames 3..6."""
    movie, truth, _, first = movie_faces
    out = run("detect.faces", movie, tmp_path / "range", {"min_track": 2}, models=store,
              media={"frame_range": [first + 2, first + 6]})
    faces = json.loads((out.out_dir / "faces.json").read_text())
    assert faces["first_frame"] == first + 2 and faces["media"]["first_frame"] == first
    _, tracks = tracker_tracks((out.out_dir / "faces.nk").read_text())
    keys = astronaut_keys(tracks)
    assert sorted(keys) == [3, 4, 5, 6]
    for frame, (x, _) in keys.items():
        assert x == pytest.approx(truth[frame - 1][0], abs=12)


def test_a_result_with_nothing_to_show_writes_a_paste_file_without_nodes(movie_faces, tmp_path, store):
    """One shot, no cut: no annotations, so shots.nk is the paste header alone (pasting it adds nothing)."""
    movie, _, _, first = movie_faces
    run("detect.shots", movie, tmp_path / "shots", {"method": "fast"}, models=store)
    cuts = json.loads((tmp_path / "shots" / "shots.json").read_text())
    assert [(s["start"], s["end"]) for s in cuts["shots"]] == [(first, first + 8)] and cuts["annotations"]["sets"] == []
    text = (tmp_path / "shots" / "shots.nk").read_text()
    assert text == "set cut_paste_input [stack 0]\nversion 14.0 v1\n" and nkparse.nodes(text) == []


# -- Tracker4 boxes -----------------------------------------------------------------------------

# A track row as Nuke 12 saved it (a public script): the track at (2224, 1860) on frame 1001, then
# error_min/max, pattern_x/y/r/t, search_x/y/r/t and the key_* curves; key_search_x..t and
# key_track_x..t are the search and pattern boxes in absolute pixels.
NUKE_ROW = ('{ {curve K x1001 1} "track 1" {curve x1001 2224} {curve x1001 1860} {curve K x1001 0} '
            '{curve K x1001 0} 1 0 0 {curve x1001 0} 0 0.00150307 -72 -72 72 72 -50 -50 50 50 {curve} '
            '{curve x1001 2102} {curve x1001 1738} {curve x1001 2345} {curve x1001 1981} {curve x1001 2152} '
            '{curve x1001 1788} {curve x1001 2295} {curve x1001 1931} {curve x1001 71.5} {curve x1001 71.5} }')


def boxes(row: dict, centre: tuple[float, float]) -> tuple[list[float], list[float]]:
    """A track's pattern and search boxes in pixels, read as Nuke does: the pattern relative to the
    track centre, the search area a margin around the pattern."""
    cx, cy = centre
    px, py, pr, pt = (float(row[c]) for c in ("pattern_x", "pattern_y", "pattern_r", "pattern_t"))
    sx, sy, sr, st = (float(row[c]) for c in ("search_x", "search_y", "search_r", "search_t"))
    pattern = [cx + px, cy + py, cx + pr, cy + pt]
    return pattern, [pattern[0] + sx, pattern[1] + sy, pattern[2] + sr, pattern[3] + st]


def test_boxes_are_read_as_nuke_saves_them():
    import rushes_nuke.nk as nk

    header = "{ 1 31 1 }\n{ " + " ".join("{ %s }" % c for c in nk.TRACK_COLUMNS) + " }\n{\n " + NUKE_ROW + "\n}"
    (row,) = nkparse.tracks(nkparse.nodes("Tracker4 {\n tracks { %s }\n}\n" % header)[0][1][0][1])
    pattern, search = boxes(row, (2224, 1860))
    keyed = lambda *names: [nkparse.curve(row[n])[0][1] for n in names]  # noqa: E731
    assert pattern == pytest.approx(keyed("key_track_x", "key_track_y", "key_track_r", "key_track_t"), abs=1)
    assert search == pytest.approx(keyed("key_search_x", "key_search_y", "key_search_r", "key_search_t"), abs=1)


def test_faces_nk_search_area_is_a_margin_around_the_face_pattern(movie_faces):
    _, _, out, _ = movie_faces
    faces = json.loads((out.out_dir / "faces.json").read_text())
    _, tracks = tracker_tracks((out.out_dir / "faces.nk").read_text())
    for track, row in zip(faces["tracks"], tracks):
        sizes = sorted((p["box"][2] - p["box"][0], p["box"][3] - p["box"][1]) for p in track["frames"])
        width, height = sorted(w for w, _ in sizes)[len(sizes) // 2], sorted(h for _, h in sizes)[len(sizes) // 2]
        centre = nkparse.curve(row["track_x"])[0][1], nkparse.curve(row["track_y"])[0][1]
        pattern, search = boxes(row, centre)
        # the pattern is the face; the search area twice its size around it
        assert pattern[2] - pattern[0] == pytest.approx(width, abs=2)
        assert pattern[3] - pattern[1] == pytest.approx(height, abs=2)
        assert search[2] - search[0] == pytest.approx(2 * (pattern[2] - pattern[0]), abs=1)
        assert search[3] - search[1] == pytest.approx(2 * (pattern[3] - pattern[1]), abs=1)
        assert search[0] < pattern[0] < centre[0] < pattern[2] < search[2]
        assert search[1] < pattern[1] < centre[1] < pattern[3] < search[3]


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

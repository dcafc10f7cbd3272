"""Results Blender has never heard of, drawn from their annotations in a real headless Blender.

One Blender process runs scenarios/annotations.py through a worker the extension starts. The
worker alone can import a studio's package (tests/fixtures/studio.py): `studio.breakdown` returns
a `Breakdown`, a result kind nothing under hosts/ names, whose annotations use all five types (a
marker, a range, two tracks linked as a skeleton, a caption, a matte). It must appear as a marker,
a colour strip, a text strip with the speaker, tracking tracks in the movie's clip with empties
parented like the skeleton, and a matte image strip, each on the scene frame the strip shows.
detect.characters on a trimmed strip of the same movie (a real portrait matched against a cast
still, a stranger) gives a colour strip per appearance, and on an .otio edit of two of its clips,
each clip's appearances land on the strip playing its file. Undo, save, reload and removal by tag.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import OpenImageIO as oiio
import pytest

from fixtures import studio
from pictures import panning

RUSHES = str(Path(sys.executable).with_name("rushes"))
PHOTOS = Path(__file__).resolve().parents[2] / "data" / "photos"
SIZE, STEP, SHOT = 256, 2, 12
# Eileen Collins (astronaut.png, her portrait is the cast still), then a man the cast does not hold
SHOTS = [("astronaut.png", 90, 0, SHOT), ("obama3.jpg", 125, 30, SHOT)]
SCENE_FPS, TAKE_START, KEY, CAST_START, CAST_TRIM, EDIT_START = 24, 101, 2, 501, 3, 1001
EDIT = {"her": (2, 8), "him": (14, 8)}  # clip name: (first source frame, frames)


@pytest.fixture(scope="module")
def observed(blender_python, extension_zip, store, tmp_path_factory, run_scenario):
    tmp = tmp_path_factory.mktemp("blender annotations")
    movie = panning(tmp / "scene 4 take 1.mp4", SHOTS, SIZE, STEP)
    cast = tmp / "cast é"
    cast.mkdir()
    (cast / "Eileen Collins.png").write_bytes((PHOTOS / "astronaut.png").read_bytes())
    site = studio.write(tmp / "studio site")
    edit = tmp / "cut 2.otio"
    write_edit(edit, movie)
    for model in ("blazeface", "face-identity"):  # converted here: the worker only reads the cache
        store.ensure(model)
    args = {"zip": str(extension_zip), "movie": str(movie), "cast": str(cast), "out": str(tmp / "results"),
            "blend": str(tmp / "breakdown.blend"), "scene_fps": SCENE_FPS, "take_start": TAKE_START, "key": KEY,
            "cast_start": CAST_START, "cast_trim": CAST_TRIM, "edit": str(edit), "edit_start": EDIT_START,
            "prefs": {"mode": "WORKER", "executable": RUSHES, "state_dir": str(tmp / "worker state"),
                      "output_dir": str(tmp / "default out")}}
    # the studio package is visible to the worker the extension starts, never to Blender
    data = run_scenario(blender_python, "annotations", args, tmp,
                        env={"PYTHONPATH": str(site), "RUSHES_CACHE": str(store.cache_dir)})
    data.update(out=Path(args["out"]), movie=movie)
    return data


def write_edit(path: Path, movie: Path) -> None:
    import opentimelineio as otio

    tl = otio.schema.Timeline(name="cut 2")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    for name, (start, length) in EDIT.items():
        track.append(otio.schema.Clip(
            name=name, media_reference=otio.schema.ExternalReference(target_url=movie.as_uri()),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, 25),
                                                 otio.opentime.RationalTime(length, 25))))
    otio.adapters.write_to_file(tl, str(path))


@pytest.fixture(scope="module")
def breakdown(observed) -> dict:
    doc = json.loads((observed["out"] / "breakdown" / "breakdown.json").read_text())
    assert doc["kind"] == "Breakdown"
    return doc


def _scene(frame: int) -> int:
    """The scene frame showing source frame `frame` of the take (placed at TAKE_START, not trimmed,
    not retimed: one scene frame per source frame)."""
    return TAKE_START + frame


def test_the_studio_kind_runs_through_the_worker_and_is_drawn(observed, breakdown):
    assert observed["link"] == "started worker" and "studio_breakdown" in observed["operators"]
    assert observed["breakdown"]["result"] == ["FINISHED"]
    assert observed["take"] == [TAKE_START, TAKE_START + 2 * SHOT, 1]
    types = sorted({a["type"] for s in breakdown["annotations"]["sets"] for a in s["items"]})
    assert types == ["Caption", "Marker", "Media", "Range", "Track"]
    # nothing of the extension names the kind: it is drawn from the annotations alone
    extension = Path(__file__).resolve().parents[3] / "hosts" / "blender"
    assert not [p for p in extension.rglob("*") if p.is_file() and b"Breakdown" in p.read_bytes()]


def test_the_marker_is_on_the_key_frame(observed, breakdown):
    assert breakdown["key"] == KEY
    assert observed["breakdown"]["markers"] == [["key frame", _scene(KEY)]]


def test_the_range_is_a_blue_colour_strip_over_the_action(observed):
    (strip,) = observed["breakdown"]["colour"]
    name, start, end, channel, _, run, rgb, alpha = strip
    # Range(first + 1, last - 1): the frames after the first up to the one before the last
    assert [name, start, end] == ["action", _scene(1), _scene(2 * SHOT - 1)]
    assert channel > 1 and run and rgb == pytest.approx([0.2, 0.4, 0.9]) and alpha == 0


def test_the_caption_is_a_text_strip_with_the_speaker(observed):
    (text,) = observed["breakdown"]["texts"]
    assert text[4] == "DIRECTOR: Action!" and text[1:3] == [_scene(0), _scene(2)]
    assert text[3] > 1 and text[5]


def test_the_matte_is_an_image_strip_on_the_key_frame_multiplying_the_picture(observed):
    (image,) = observed["breakdown"]["images"]
    name, start, end, channel, _, run, blend, path = image
    assert [start, end] == [_scene(KEY), _scene(KEY) + 1] and channel > 1 and run
    assert blend == "MULTIPLY"
    assert Path(path) == observed["out"] / "breakdown" / "breakdown" / "matte.png"
    matte = oiio.ImageBuf(path).get_pixels(oiio.UINT8)  # the studio's matte: the top-left quarter
    assert matte.shape[:2] == (SIZE, SIZE)
    assert matte[: SIZE // 2, : SIZE // 2].min() == 255 and matte[SIZE // 2:].max() == 0
    # strips of one channel never overlap
    made = observed["breakdown"]
    rows = [r[:4] for r in made["colour"] + made["texts"] + made["images"]]
    for i, a in enumerate(rows):
        assert not [b for b in rows[i + 1:] if b[3] == a[3] and b[1] < a[2] and a[1] < b[2]], a


def test_the_tracks_are_tracking_tracks_in_the_movies_clip(observed, breakdown):
    clips = observed["breakdown"]["clips"]
    (name,) = clips
    clip = clips[name]
    assert name == observed["movie"].name and clip["tagged"] and clip["fake_user"]
    assert clip["frame_start"] == TAKE_START  # lined up with the strip on the timeline
    assert sorted(clip["tracks"]) == ["hand", "shoulder"]
    items = {a["name"]: a for s in breakdown["annotations"]["sets"] for a in s["items"] if a["type"] == "Track"}
    for track, markers in clip["tracks"].items():
        live = [m for m in markers if not m[3]]
        assert len(live) == 2 * SHOT and markers[-1][3] and markers[-1][0] == live[-1][0] + 1
        for (frame, x, y, _, _), (f, px, py) in zip(live, items[track]["points"]):
            assert frame == f + 1  # clip frame 1 is source frame 0
            assert x == pytest.approx(px / SIZE, abs=1e-6) and y == pytest.approx(1 - py / SIZE, abs=1e-6)
    # the hand moves 2 px a frame to the right at a quarter of the height; its 8 px box sets the pattern
    hand = [m for m in clip["tracks"]["hand"] if not m[3]]
    assert [round(m[1] * SIZE) for m in hand] == [64 + 2 * i for i in range(2 * SHOT)]
    assert all(m[4] == pytest.approx(8 / SIZE, abs=1e-6) for m in hand)


def test_the_skeleton_is_empties_parented_like_the_tracks(observed):
    empties = observed["breakdown"]["empties"]
    assert sorted(empties) == ["hand", "shoulder"]
    assert empties["hand"]["parent"] == "shoulder" and empties["shoulder"]["parent"] is None
    assert all(e["tagged"] and e["action"] for e in empties.values())
    # the picture seen from the front: x right, z up, one unit its height, origin bottom-left
    for i in range(2 * SHOT):
        frame = str(_scene(i))
        assert empties["shoulder"]["world"][frame] == pytest.approx([0.25, 0.0, 0.5], abs=1e-5)
        assert empties["hand"]["world"][frame] == pytest.approx([(64 + 2 * i) / SIZE, 0.0, 0.75], abs=1e-5)


def test_one_undo_takes_the_whole_breakdown_away_and_redo_brings_it_back(observed):
    undone, redone = observed["breakdown_undone"], observed["breakdown_redone"]
    assert undone == {"markers": [], "colour": [], "texts": [], "images": [], "clips": {}, "empties": {}}
    drawn = {k: v for k, v in observed["breakdown"].items() if k != "result"}
    assert redone == drawn


def test_characters_are_colour_strips_on_the_part_of_the_strip_shown(observed):
    assert observed["characters"]["result"] == ["FINISHED"]
    doc = json.loads((observed["out"] / "characters" / "characters.json").read_text())
    (only,) = doc["annotations"]["sets"]
    ranges = only["items"]
    assert [(r["type"], r["name"], r["start"], r["end"]) for r in ranges] == [
        ("Range", "Eileen Collins", 0, SHOT), ("Range", "unknown 1", SHOT, 2 * SHOT)]
    start, end, channel = observed["cast_take"]
    assert [start, end] == [CAST_START + CAST_TRIM, CAST_START + 2 * SHOT]
    made = observed["characters"]["colour"]
    # the trim hides the first CAST_TRIM frames of her appearance
    assert [c[:4] for c in made] == [["Eileen Collins", start, CAST_START + SHOT, channel + 1],
                                     ["unknown 1", CAST_START + SHOT, end, channel + 1]]
    assert made[0][6] == pytest.approx([0.2, 0.7, 0.3]) and made[1][6] == pytest.approx([0.7, 0.6, 0.9])
    assert all(c[5] and c[7] == 0 for c in made)


def _edit(observed) -> tuple[list, list]:
    doc = json.loads((observed["out"] / "edit characters" / "characters.json").read_text())
    sets = doc["annotations"]["sets"]
    assert len(sets) == 2 and {Path(s["source"]["path"]) for s in sets} == {observed["movie"]}
    return [(r["name"], r["start"], r["end"]) for s in sets for r in s["items"]], observed["edit"]["colour"]


def test_an_edits_clips_land_on_the_strip_playing_their_file(observed):
    assert observed["edit"]["result"] == ["FINISHED"]
    ranges, made = _edit(observed)
    assert ranges == [("unknown 1", 2, 10), ("unknown 2", 14, 22)]  # no cast: two strangers
    # the job read the .otio, not a strip: each clip's set found the strip playing its file
    assert [[c[0], c[2] - c[1]] for c in made] == [[name, b - a] for name, a, b in ranges]
    assert all(c[3] > 1 and c[5] and c[6] == pytest.approx([0.7, 0.6, 0.9]) for c in made)


def test_an_edits_clips_land_on_the_frames_of_the_strip_that_show_them(observed):
    ranges, made = _edit(observed)
    assert [c[:4] for c in made] == [[name, EDIT_START + a, EDIT_START + b, 2] for name, a, b in ranges]


def test_saved_reloaded_and_removed(observed):
    reloaded, drawn = observed["reloaded"], observed["breakdown"]
    assert reloaded["markers"] == drawn["markers"] and reloaded["texts"] == drawn["texts"]
    assert reloaded["images"] == drawn["images"] and reloaded["clips"] == drawn["clips"]
    assert reloaded["empties"] == drawn["empties"]
    assert reloaded["colour"] == sorted(drawn["colour"] + observed["characters"]["colour"],
                                        key=lambda row: (row[1], row[0]))
    removed = observed["removed"]
    assert {k: removed[k] for k in ("markers", "colour", "texts", "images", "clips", "empties", "actions")} == {
        "markers": [], "colour": [], "texts": [], "images": [], "clips": {}, "empties": {}, "actions": []}
    assert [m[0] for m in removed["movies"]] == ["take", "cast take"]  # the user's strips stay
    assert removed["edit"] == []

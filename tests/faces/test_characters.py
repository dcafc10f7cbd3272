"""Face identity and detect.characters on real photographs: descriptors, grouping, cast search, outputs, bad input."""
import csv
import io
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from rushes import schemas
from rushes.errors import MediaError, ParameterError
from rushes.faces.blazeface import BlazeFace
from rushes.faces.characters import cast_name
from rushes.faces.identity import FaceEncoder, confidence, distances, group, pick_frames
from rushes.media import color, encode_movie, read_image
from rushes.results import Characters, FacePosition
from rushes.runner import run

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
SIZE = 256
# the movie: (photo, left, top of the first 256x256 window, frames); the window pans 2 px a frame
SHOTS = [("astronaut.png", 90, 0, 12), ("obama3.jpg", 125, 30, 12), ("biden.jpg", 40, 10, 12),
         ("astronaut.png", 110, 0, 10)]


@pytest.fixture(scope="module")
def models(store):
    return BlazeFace(store.ensure("blazeface"), "short"), FaceEncoder(store.ensure("face-identity"))


def rgb8(name: str) -> np.ndarray:
    pixels, meta = read_image(PHOTOS / name)
    return color.to_display_rgb8(pixels, meta)


@pytest.fixture(scope="module")
def described(models):
    detector, encoder = models
    out = {}
    for name in ("astronaut.png", "camera.png", "obama.jpg", "obama3.jpg", "biden.jpg"):
        picture = rgb8(name)
        faces = detector.detect(picture, 0.8, 24)
        assert len(faces) == 1, name
        out[name] = encoder.describe(picture, [faces[0].box])[0]
    return out


def test_one_person_in_two_photographs_matches_and_different_people_do_not(described):
    names = list(described)
    d = distances(np.stack([described[n] for n in names]), np.stack([described[n] for n in names]))
    assert d.shape == (5, 5) and np.allclose(np.diag(d), 0, atol=1e-5)
    same = d[names.index("obama.jpg"), names.index("obama3.jpg")]
    assert same < 0.45  # two different official portraits of one man (0.33 measured)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i < j and {a, b} != {"obama.jpg", "obama3.jpg"}:
                assert d[i, j] > 0.6, (a, b, d[i, j])  # dlib's threshold separates everyone else
    assert confidence(same) > 0.95 and confidence(0.6) == pytest.approx(0.5) and confidence(0.8) < 0.05


def test_descriptors_survive_a_second_take_of_the_same_photograph(models, described):
    """Cropped, scaled by 0.7, darkened: still the same person, far closer than anyone else."""
    detector, encoder = models
    picture = rgb8("astronaut.png")[20:400, 60:440]
    buf = oiio.ImageBuf(oiio.ImageSpec(picture.shape[1], picture.shape[0], 3, oiio.UINT8))
    buf.set_pixels(oiio.ROI(), np.ascontiguousarray(picture))
    small = oiio.ImageBufAlgo.resize(buf, roi=oiio.ROI(0, 266, 0, 266, 0, 1, 0, 3)).get_pixels(oiio.UINT8)
    take = (small.astype(np.float32) * 0.75).astype(np.uint8)
    faces = detector.detect(take, 0.8, 24)
    assert len(faces) == 1
    d = float(np.linalg.norm(encoder.describe(take, [faces[0].box])[0] - described["astronaut.png"]))
    assert d < 0.3, d


def test_grouping_puts_tracks_of_one_person_together(described):
    rows = [described[n] for n in ("obama.jpg", "biden.jpg", "obama3.jpg", "astronaut.png", "camera.png")]
    assert group(np.stack(rows)) == [0, 1, 0, 2, 3]
    assert group(np.stack(rows), threshold=0.1) == [0, 1, 2, 3, 4]  # a strict threshold keeps them apart
    assert group(np.stack(rows), threshold=2.0) == [0, 0, 0, 0, 0]
    assert group(np.zeros((0, 128))) == []


def test_track_frames_are_the_best_of_spread_stretches():
    positions = [FacePosition(f, [0, 0, 1, 1], [], score=0.5 + 0.01 * (f % 5), detected=f % 7 != 3)
                 for f in range(40)]
    picked = pick_frames(positions, 8)
    assert len(picked) == 8 and all(p.detected for p in picked)
    frames = [p.frame for p in picked]
    assert frames == sorted(frames) and frames[0] < 5 and frames[-1] >= 35
    assert pick_frames(positions[:3], 8) == [p for p in positions[:3] if p.detected]


@pytest.mark.parametrize("still, name", [("Eileen Collins.png", "Eileen Collins"), ("Eileen Collins 2.jpg", "Eileen Collins"),
                                         ("Eileen_Collins_2.jpg", "Eileen Collins"), ("R2D2.png", "R2D2"),
                                         ("Anna 12.tif", "Anna")])
def test_cast_names_come_from_still_names(still, name):
    assert cast_name(Path(still)) == name


def write_movie(path: Path, shots) -> None:
    def pictures():
        for name, left, top, frames in shots:
            photo = rgb8(name)
            for i in range(frames):
                x = left + 2 * i
                window = np.ascontiguousarray(photo[top:top + SIZE, x:x + SIZE])
                assert window.shape == (SIZE, SIZE, 3), name
                yield window

    encode_movie(pictures(), path, Fraction(25), "h264")


def cast_folder(root: Path, stills: dict[str, str]) -> Path:
    root.mkdir()
    for target, source in stills.items():
        shutil.copyfile(PHOTOS / source, root / target)
    return root


@pytest.fixture(scope="module")
def scene(tmp_path_factory, store):
    tmp = tmp_path_factory.mktemp("characters")
    movie = tmp / "scene 1 take 2.mp4"
    write_movie(movie, SHOTS)
    # the cast: her portrait, and another photograph of him than the one the movie shows
    cast = cast_folder(tmp / "cast", {"Eileen Collins.png": "astronaut.png", "Barack Obama.jpg": "obama.jpg"})
    out = run("detect.characters", movie, tmp / "out", {"cast": str(cast)}, models=store)
    return movie, cast, out


def test_cast_members_are_found_in_their_shots_and_a_stranger_is_unknown_1(scene):
    movie, cast, out = scene
    result: Characters = out.result
    assert result.inputs[0]["shots"] == [[0, 12], [12, 24], [24, 36], [36, 46]]
    names = [c.name for c in result.characters]
    assert names == ["Barack Obama", "Eileen Collins", "unknown 1"]
    eileen, obama, stranger = (result.character(n) for n in ("Eileen Collins", "Barack Obama", "unknown 1"))
    assert [(a.shot, a.start_frame, a.end_frame) for a in eileen.appearances] == [(1, 0, 12), (4, 36, 46)]
    assert [(a.shot, a.start_frame, a.end_frame) for a in obama.appearances] == [(2, 12, 24)]
    assert [(a.shot, a.start_frame, a.end_frame) for a in stranger.appearances] == [(3, 24, 36)]
    assert eileen.cast and obama.cast and not stranger.cast
    assert eileen.stills == ["Eileen Collins.png"] and eileen.frames == 22
    # her own portrait matches closely; his other photograph still well within the threshold
    assert all(a.distance < 0.3 and a.confidence > 0.99 for a in eileen.appearances)
    assert 0.2 < obama.appearances[0].distance < 0.5 and obama.appearances[0].confidence > 0.8
    assert stranger.appearances[0].confidence == 1.0  # alone in its group
    assert [a.track for a in eileen.appearances + obama.appearances + stranger.appearances] == [1, 4, 2, 3]
    assert result.notes == []
    assert [m["id"] for m in out.envelope["models"]] == ["blazeface", "face-identity"]
    assert out.envelope["media"]["rate"] == {"num": 25, "den": 1} and out.envelope["media"]["frame_range"] == [0, 46]


def test_results_are_written_as_json_csv_and_otio_markers_named_by_character(scene):
    import json

    import opentimelineio as otio

    movie, cast, out = scene
    assert sorted(p.name for p in out.files) == ["characters.csv", "characters.json", "characters.nk",
                                                   "characters.otio"]
    doc = json.loads((out.out_dir / "characters.json").read_text())
    schemas.validate(doc)
    assert doc["kind"] == "Characters" and doc["cast"] == str(cast)
    assert Characters.from_json(doc).to_json() == out.result.to_json()

    rows = list(csv.DictReader(io.StringIO((out.out_dir / "characters.csv").read_text())))
    assert [(r["character"], r["shot"], r["start_frame"], r["end_frame"], r["cast"]) for r in rows] == [
        ("Barack Obama", "2", "12", "24", "yes"), ("Eileen Collins", "1", "0", "12", "yes"),
        ("Eileen Collins", "4", "36", "46", "yes"), ("unknown 1", "3", "24", "36", "no")]
    assert rows[1]["start_timecode"] == "00:00:00:00" and rows[2]["end_timecode"] == "00:00:01:21"

    tl = otio.adapters.read_from_file(str(out.out_dir / "characters.otio"))
    clips = list(tl.find_clips())
    assert [c.name for c in clips] == [f"scene 1 take 2 shot {n:03d}" for n in range(1, 5)]
    assert [(c.source_range.start_time.value, c.source_range.duration.value) for c in clips] == [
        (0, 12), (12, 12), (24, 12), (36, 10)]
    assert Path(clips[0].media_reference.target_url.removeprefix("file://")).name == "scene%201%20take%202.mp4"
    marks = [(c.name[-3:], m.name, m.marked_range.start_time.value, m.marked_range.duration.value, m.color)
             for c in clips for m in c.markers]
    assert marks == [("001", "Eileen Collins", 0, 12, "GREEN"), ("002", "Barack Obama", 12, 12, "GREEN"),
                     ("003", "unknown 1", 24, 12, "YELLOW"), ("004", "Eileen Collins", 36, 10, "GREEN")]
    assert clips[1].markers[0].metadata["rushes"]["confidence"] == out.result.character("Barack Obama").appearances[0].confidence


def test_an_edit_is_searched_clip_by_clip_and_one_person_is_one_character_across_clips(scene, tmp_path, store):
    import opentimelineio as otio

    movie, _, _ = scene
    tl = otio.schema.Timeline(name="cut")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    # clip names a spreadsheet would take for formulas: the CSV must keep them as text
    for name, (start, length) in {"@astro": (2, 8), "+stranger": (26, 8), "-astro again": (38, 6)}.items():
        track.append(otio.schema.Clip(
            name=name, media_reference=otio.schema.ExternalReference(target_url=movie.as_uri()),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, 25),
                                                 otio.opentime.RationalTime(length, 25))))
    edit = tmp_path / "cut.otio"
    otio.adapters.write_to_file(tl, str(edit))
    out = run("detect.characters", edit, tmp_path / "out", {"min_track": 3}, models=store)  # no cast
    result = out.result
    assert [(i["clip"], i["first_frame"], i["frame_count"], i["shots"]) for i in result.inputs] == [
        ("@astro", 2, 8, [[2, 10]]), ("+stranger", 26, 8, [[26, 34]]), ("-astro again", 38, 6, [[38, 44]])]
    assert [c.name for c in result.characters] == ["unknown 1", "unknown 2"]
    first, second = result.characters
    assert [(a.input, a.start_frame, a.end_frame) for a in first.appearances] == [(0, 2, 10), (2, 38, 44)]
    assert [(a.input, a.start_frame, a.end_frame) for a in second.appearances] == [(1, 26, 34)]
    assert all(a.distance < 0.3 for a in first.appearances) and result.cast == ""
    rows = list(csv.DictReader(io.StringIO((out.out_dir / "characters.csv").read_text())))
    assert [(r["character"], r["clip"]) for r in rows] == [
        ("unknown 1", "'@astro"), ("unknown 1", "'-astro again"), ("unknown 2", "'+stranger")]
    assert result.summary() == "no cast, 2 unknown face(s), in 3 input(s)"


@pytest.fixture(scope="module")
def empty_movie(tmp_path_factory):
    movie = tmp_path_factory.mktemp("no faces") / "coffee.mp4"
    write_movie(movie, [("coffee.png", 0, 0, 6)])
    return movie


def test_bad_casts_are_refused_in_one_line_naming_the_still_or_folder(empty_movie, tmp_path, store):
    empty = tmp_path / "empty cast"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a still\n")
    with pytest.raises(ParameterError) as err:
        run("detect.characters", empty_movie, tmp_path / "a", {"cast": str(empty)}, models=store)
    assert "no stills" in err.value.line() and str(empty) in err.value.line() and "\n" not in err.value.line()

    faceless = cast_folder(tmp_path / "faceless", {"Eileen Collins.png": "astronaut.png", "Mr Coffee.png": "coffee.png"})
    with pytest.raises(MediaError) as err:
        run("detect.characters", empty_movie, tmp_path / "b", {"cast": str(faceless)}, models=store)
    assert "Mr Coffee.png" in err.value.line() and "no face" in err.value.line() and "\n" not in err.value.line()

    with pytest.raises(ParameterError, match="does not exist"):
        run("detect.characters", empty_movie, tmp_path / "c", {"cast": str(tmp_path / "nobody")}, models=store)


def test_a_movie_without_faces_gives_an_empty_result_and_disagreeing_stills_a_warning(empty_movie, tmp_path, store):
    cast = cast_folder(tmp_path / "cast", {"Eileen Collins.png": "astronaut.png", "Eileen Collins 2.jpg": "biden.jpg"})
    out = run("detect.characters", empty_movie, tmp_path / "out", {"cast": str(cast)}, models=store)
    result = out.result
    assert [(c.name, c.appearances, c.stills) for c in result.characters] == [
        ("Eileen Collins", [], ["Eileen Collins 2.jpg", "Eileen Collins.png"])]
    assert len(result.notes) == 1 and result.notes[0].startswith("warning: cast stills")
    assert "Eileen Collins" in result.notes[0] and "two different people" in result.notes[0]
    assert result.inputs[0]["shots"] == [[0, 6]]
    assert (out.out_dir / "characters.csv").read_text().count("\n") == 1  # the header only
    assert result.summary() == "0 of 1 in the cast found, 0 unknown face(s), in 1 input(s)"


def test_a_still_named_like_a_formula_or_over_two_lines_stays_text_on_one_line(scene, tmp_path, store):
    """Two of the three cast members are in the scene; one still's name is a spreadsheet formula,
    another's has a newline in it."""
    movie, _, _ = scene
    formula = '=HYPERLINK("evil.example","Eileen")'
    cast = cast_folder(tmp_path / "cast", {f"{formula}.png": "astronaut.png", "Barack\nObama.jpg": "obama.jpg",
                                           "Camera Man.png": "camera.png"})
    out = run("detect.characters", movie, tmp_path / "out", {"cast": str(cast)}, models=store)
    result = out.result
    assert [(c.name, c.cast, len(c.appearances)) for c in result.characters] == [
        (formula, True, 2), ("Barack Obama", True, 1), ("Camera Man", True, 0), ("unknown 1", False, 1)]
    assert result.character("Barack Obama").stills == ["Barack\nObama.jpg"]  # the file's own name
    assert result.summary() == f"2 of 3 in the cast found ({formula}, Barack Obama), 1 unknown face(s), in 1 input(s)"
    rows = list(csv.DictReader(io.StringIO((out.out_dir / "characters.csv").read_text())))
    assert [(r["character"], r["cast"], r["shot"]) for r in rows] == [
        ("'" + formula, "yes", "1"), ("'" + formula, "yes", "4"), ("Barack Obama", "yes", "2"), ("unknown 1", "no", "3")]


@pytest.mark.parametrize("text, cell", [("=1+2", "'=1+2"), ("+1", "'+1"), ("-A1", "'-A1"), ("@SUM(A1)", "'@SUM(A1)"),
                                        ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Anna", "Anna"), ("a=b", "a=b"),
                                        ("", "")])
def test_csv_text_cells_that_a_spreadsheet_would_run_start_with_a_quote(text, cell):
    from rushes.interchange.spreadsheet import csv_text

    written = csv_text(["name", "frames"], [[text, 12], [text, -3]])
    assert list(csv.reader(io.StringIO(written))) == [["name", "frames"], [cell, "12"], [cell, "-3"]]


def test_what_in_a_cast_folder_is_named_like_a_still_but_is_none_is_left_out_with_why(empty_movie, tmp_path, store):
    import os

    cast = cast_folder(tmp_path / "cast", {"Eileen Collins.png": "astronaut.png"})
    os.symlink(tmp_path / "gone.jpg", cast / "Ghost.jpg")
    (cast / "Folder.png").mkdir()
    os.mkfifo(cast / "Pipe.jpg")
    shutil.copyfile(PHOTOS / "obama.jpg", cast / ".Hidden.jpg")
    out = run("detect.characters", empty_movie, tmp_path / "out", {"cast": str(cast)}, models=store)
    assert [c.name for c in out.result.characters] == ["Eileen Collins"]
    assert out.result.notes == ["cast: left out .Hidden.jpg: a hidden file (its name starts with a dot)",
                                "cast: left out Folder.png: is a folder, not a file",
                                "cast: left out Ghost.jpg: broken symbolic link: its target does not exist",
                                "cast: left out Pipe.jpg: is not a regular file (a FIFO)"]

    (cast / "Eileen Collins.png").unlink()
    with pytest.raises(ParameterError) as err:
        run("detect.characters", empty_movie, tmp_path / "again", {"cast": str(cast)}, models=store)
    assert "no stills" in err.value.line() and "left out Pipe.jpg: is not a regular file (a FIFO)" in err.value.line()
    assert not (tmp_path / "again").exists()

"""detect.pose on real photographs of people moved along a known path: landmarks where they are, two people,
bad input, the models' source."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rushes import schemas
from rushes.errors import ModelError
from rushes.modelstore import ModelStore
from rushes.media import color, read_image, write_image
from rushes.pose.blazepose import EDGES, LANDMARKS, PARENT, BlazePose
from rushes.results import PoseTracks
from rushes.runner import run

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "tests" / "data" / "photos"
CHECKED = ("nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder")
HEIGHT = 300  # the person's picture is scaled to this height in a 640 x 400 plate
PATH = [(10 + 12 * k, 10 + 6 * k) for k in range(12)]  # top-left corner of the picture in each frame


def person(name: str) -> np.ndarray:
    pixels, meta = read_image(PHOTOS / name)
    rgb8 = color.to_display_rgb8(pixels, meta)
    h, w = rgb8.shape[:2]
    return color.scale_rgb8(rgb8, (round(w * HEIGHT / h), HEIGHT))


def plate(pictures: list[tuple[np.ndarray, tuple[int, int]]], size=(640, 400)) -> np.ndarray:
    frame = np.full((size[1], size[0], 3), 60, np.uint8)
    for pic, (x, y) in pictures:
        frame[y:y + pic.shape[0], x:x + pic.shape[1]] = pic
    return frame


def save(frame: np.ndarray, path: Path) -> Path:
    write_image(path, frame.astype(np.float32) / 255.0, fmt="uint8")
    return path


@pytest.fixture(scope="module")
def pose(store):
    return BlazePose(store.ensure("blazepose"))


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """obama3.jpg moved along PATH, as a PNG sequence take.1001-1012, and the still at the origin."""
    folder = tmp_path_factory.mktemp("walk")
    pic = person("obama3.jpg")
    for k, corner in enumerate(PATH):
        save(plate([(pic, corner)]), folder / f"take.{1001 + k:04d}.png")
    return folder, plate([(pic, (0, 0))])


def reference(pose: BlazePose, frame: np.ndarray) -> np.ndarray:
    rois = pose.detect(frame)
    assert len(rois) == 1
    found = pose.landmarks(frame, rois[0])
    assert found is not None
    return found.landmarks


@pytest.mark.parametrize("smoothing", [True, False])
def test_landmarks_follow_a_person_moved_along_a_known_path(store, pose, walk, tmp_path, smoothing):
    folder, still = walk
    ref = reference(pose, still)
    # the reference itself is where the photograph shows the face: nose below the eyes, eyes apart
    nose, leye, reye = (ref[LANDMARKS.index(n), :2] for n in ("nose", "left_eye", "right_eye"))
    assert reye[0] < nose[0] < leye[0] and nose[1] > max(leye[1], reye[1])
    out = run("detect.pose", folder / "take.####.png", tmp_path / "out", {"smoothing": smoothing}, models=store)
    result = out.result
    assert isinstance(result, PoseTracks) and len(result.people) == 1
    frames = result.people[0].frames
    assert [f.frame for f in frames] == list(range(1001, 1013))
    checked = [LANDMARKS.index(n) for n in CHECKED]
    within = 0
    errors = []
    for f, (x, y) in zip(frames, PATH):
        got = np.array(f.landmarks)[checked, :2]
        error = np.hypot(*(got - (ref[checked, :2] + (x, y))).T)
        errors.append(error.max())
        within += bool((error <= 12).all())
    print("largest error a frame (px):", np.round(errors, 1))
    assert within >= 0.9 * len(PATH), errors
    # world landmarks are metres about the hips: shoulders some 25-50 cm apart, above the hips
    w = np.array(frames[0].world)
    shoulders = np.linalg.norm(w[LANDMARKS.index("left_shoulder")] - w[LANDMARKS.index("right_shoulder")])
    assert 0.2 < shoulders < 0.6 and w[LANDMARKS.index("nose"), 1] < -0.3
    # the file on disk is the result, valid against its schema, with a track per visible landmark
    doc = json.loads((tmp_path / "out" / "pose.json").read_text())
    schemas.validate(doc)
    items = doc["annotations"]["sets"][0]["items"]
    ranges = [i for i in items if i["type"] == "Range"]
    assert ranges == [dict(ranges[0], start=1001, end=1013)]
    tracks = {i["name"]: i for i in items if i["type"] == "Track"}
    assert tracks["pose 1 nose"].get("parent") is None
    assert tracks["pose 1 left_eye"]["parent"] == "pose 1 left_eye_inner"
    assert tracks["pose 1 left_shoulder"]["parent"] == "pose 1 nose"
    for name in CHECKED:
        assert len(tracks[f"pose 1 {name}"]["points"]) == len(PATH)
    assert (tmp_path / "out" / "pose.nk").exists()


def test_two_people_in_one_frame_give_two_tracks(store, tmp_path):
    left, right = person("obama3.jpg"), person("biden.jpg")
    frame = plate([(left, (20, 50)), (right, (460, 40))], size=(800, 400))
    result = run("detect.pose", save(frame, tmp_path / "two.png"), tmp_path / "out", models=store).result
    assert len(result.people) == 2
    noses = sorted(p.frames[0].landmarks[0][0] for p in result.people)
    assert noses[0] < 20 + left.shape[1] and noses[1] > 460, noses
    assert {p.id for p in result.people} == {1, 2}


def test_two_people_moving_keep_their_ids(store, tmp_path):
    left, right = person("obama3.jpg"), person("biden.jpg")
    for k in range(4):
        frame = plate([(left, (20 + 6 * k, 50)), (right, (460 - 6 * k, 40))], size=(800, 400))
        save(frame, tmp_path / f"two.{k + 1:04d}.png")
    result = run("detect.pose", tmp_path / "two.####.png", tmp_path / "out", models=store).result
    assert [p.id for p in result.people] == [1, 2]
    for p in result.people:
        assert [f.frame for f in p.frames] == [1, 2, 3, 4]
        noses = [f.landmarks[0][0] for f in p.frames]
        side = "left" if noses[0] < 400 else "right"
        assert all((n < 400) == (side == "left") for n in noses)  # nobody swaps to the other person
        step = np.diff(noses).mean()
        assert abs(step - (6 if side == "left" else -6)) < 2, noses


def test_a_movie_with_a_start_timecode_gives_its_own_frame_numbers(store, tmp_path):
    """A 25 fps movie starting at 01:00:00:00: frames numbered from 90000, the landmarks on the moving person."""
    from fractions import Fraction

    from rushes.media import encode_movie

    pic = person("obama3.jpg")
    frames = [plate([(pic, (10 + 12 * k, 10 + 6 * k))]) for k in range(4)]
    movie = encode_movie(iter(frames), tmp_path / "walk.mov", Fraction(25), "h264", "01:00:00:00")
    result = run("detect.pose", movie, tmp_path / "out", models=store).result
    assert result.first_frame == 90000 and result.rate == 25 and len(result.people) == 1
    noses = np.array([f.landmarks[0][:2] for f in result.people[0].frames])
    assert [f.frame for f in result.people[0].frames] == [90000, 90001, 90002, 90003]
    assert np.abs(np.diff(noses, axis=0) - (12, 6)).max() < 4, noses


def test_no_person_in_a_photograph_without_people(store, tmp_path):
    result = run("detect.pose", PHOTOS / "coffee.png", tmp_path / "out", models=store).result
    assert result.people == [] and result.annotations() == []


def test_skeleton_is_one_tree_over_mediapipe_edges():
    assert len(LANDMARKS) == 33 and len(EDGES) == 35
    edges = {frozenset(e) for e in EDGES}
    extra = [(c, p) for c, p in PARENT.items() if frozenset((c, p)) not in edges]
    assert sorted(extra) == [(9, 0), (11, 0), (12, 0)]  # face joined to the body through the nose
    for child in PARENT:  # every landmark reaches the root
        seen = set()
        while child in PARENT:
            assert child not in seen
            seen.add(child)
            child = PARENT[child]
        assert child == 0


@pytest.mark.parametrize("args, words", [
    (["-p", "min_visibility=2"], "min_visibility"),
    (["-p", "model=giant"], "model"),
])
def test_bad_input_gives_one_line_and_exit_2(tmp_path, args, words):
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "run", "detect.pose", str(PHOTOS / "coffee.png"),
                           "--out", str(tmp_path / "out"), *args], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rushes") and words in lines[0], proc.stderr
    assert not (tmp_path / "out" / "pose.json").exists()


@pytest.mark.parametrize("model", ["lite", "heavy"])
def test_lite_and_heavy_models_find_the_same_face(store, walk, pose, model):
    still = walk[1]
    ref = reference(pose, still)
    other = BlazePose(store.ensure("blazepose"), model)
    got = reference(other, still)
    checked = [LANDMARKS.index(n) for n in CHECKED]
    assert np.hypot(*(got[checked, :2] - ref[checked, :2]).T).max() < 12


def test_models_come_from_the_npm_tarball_or_a_folder_holding_it(store, tmp_path, monkeypatch):
    """The pinned tarball, fetched by `npm pack`, is also taken from a wheelhouse; without npm one line says
    what to do."""
    store.ensure("blazepose")
    tarball = store.cache_dir / "artifacts" / "mediapipe-pose-0.5.1675469404.tgz"
    assert tarball.exists()  # the suite's store fetched it from npm (or a wheelhouse holding it)
    folder = tmp_path / "wheels"
    folder.mkdir()
    (folder / tarball.name).symlink_to(tarball)
    local = ModelStore(tmp_path / "cache", wheelhouse=folder)
    entry = local.ensure("blazepose")
    assert sorted(p.name for p in entry.glob("*.tflite")) == [
        "pose_detection.tflite", "pose_landmark_full.tflite", "pose_landmark_heavy.tflite", "pose_landmark_lite.tflite"]
    assert local.status("blazepose") == "ready"
    monkeypatch.delenv("RUSHES_WHEELHOUSE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ModelError, match="npm is not installed.*--from DIR"):
        ModelStore(tmp_path / "nowhere").ensure("blazepose")


def test_blender_draws_the_skeleton_with_its_own_renderer(store, walk, tmp_path):
    """No host change: the extension's renderer makes a tracking track per landmark in the plate's clip and
    empties parented along the skeleton, the nose's empty where the nose is on each frame."""
    given = os.environ.get("RUSHES_BLENDER_PYTHON")
    python = Path(given) if given else ROOT / ".venv-blender" / "bin" / "python"
    if not python.exists():
        pytest.skip("no Blender Python: `make test` creates .venv-blender with bpy==5.0.1")
    folder, _ = walk
    out = tmp_path / "out"
    run("detect.pose", folder / "take.####.png", out, models=store)
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"extension": str(ROOT / "hosts" / "blender" / "extension"),
                                "result": str(out / "pose.json"), "plate": str(folder / "take.1001.png"),
                                "out_dir": str(out), "observed": str(tmp_path / "observed.json")}))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(python), str(Path(__file__).with_name("blender_render.py")), str(args)],
                          capture_output=True, text=True, timeout=300, env={**env, "HOME": str(tmp_path)})
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    seen = json.loads((tmp_path / "observed.json").read_text())
    items = json.loads((out / "pose.json").read_text())["annotations"]["sets"][0]["items"]
    tracks = {i["name"]: i for i in items if i["type"] == "Track"}
    assert set(seen["tracks"]) == set(tracks), seen["said"]
    assert seen["empties"]["pose 1 left_elbow"]["parent"] == "pose 1 left_shoulder"
    assert seen["empties"]["pose 1 left_shoulder"]["parent"] == "pose 1 nose"
    assert seen["empties"]["pose 1 nose"]["parent"] is None
    height = 400
    nose = {f: (x / height, 0.0, (height - y) / height) for f, x, y in tracks["pose 1 nose"]["points"]}
    drawn = seen["empties"]["pose 1 nose"]["world"]
    for k, frame in enumerate(sorted(drawn, key=int)):  # the scene's first three frames show 1001-1003
        assert np.allclose(drawn[frame], nose[1001 + k], atol=1e-3), (frame, drawn[frame], nose[1001 + k])


def test_a_landmark_never_visible_has_no_track_and_its_children_hang_from_the_next_one_up():
    """left_elbow under min_visibility on every frame: no track; left_wrist's parent is left_shoulder."""
    from rushes.results import PoseFrame, PoseTrack

    def marks(frame: int) -> list[list[float]]:
        return [[10.0 * k + frame, 5.0 * k, 0.0, 0.2 if name == "left_elbow" else 0.9]
                for k, name in enumerate(LANDMARKS)]

    frames = [PoseFrame(f, 0.99, marks(f), [[0.0, 0.0, 0.0]] * 33) for f in (10, 11)]
    result = PoseTracks("plate.mov", 640, 400, 10, 2, None, "blazepose-full", list(LANDMARKS),
                        [list(e) for e in EDGES], {LANDMARKS[c]: LANDMARKS[p] for c, p in PARENT.items()},
                        [PoseTrack(1, frames)], min_visibility=0.5)
    tracks = {a.name: a for a in result.annotations() if hasattr(a, "points")}
    assert "pose 1 left_elbow" not in tracks and len(tracks) == 32
    assert tracks["pose 1 left_wrist"].parent == "pose 1 left_shoulder"
    assert tracks["pose 1 left_wrist"].points == {10: (160.0, 75.0), 11: (161.0, 75.0)}
    assert PoseTracks.from_json(result.to_json()).to_json() == result.to_json()
    result.min_visibility = 0.1
    assert len([a for a in result.annotations() if hasattr(a, "points")]) == 33

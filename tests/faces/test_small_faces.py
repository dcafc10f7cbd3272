"""Small faces in HD frames: detect.faces' default search (the BlazeFace cascade), the pyramid, batched runs.

The frames are real photographs: the faces of the two test portraits, cut out with some of the
photograph around them and scaled to known sizes, pasted at known positions on the two test
photographs without people (scaled to 1920x1080).
"""

import numpy as np
import pytest

from fixtures.faces import PORTRAITS, face_box, paste, photo
from rushes.faces.blazeface import PROPOSE_SCORE, BlazeFace, Cascade, crops, detector, iou, merge
from rushes.faces.operator import DetectFaces
from rushes.media import color, write_image
from rushes.runner import run

DEFAULTS = {p.name: p.default for p in DetectFaces.params}
# face widths (px) and top-left corners of the pasted cut-outs, per frame
LAYOUT = {"astronaut.png": [(20, (300, 700)), (35, (1000, 200)), (100, (1400, 500)), (250, (350, 100))],
          "camera.png": [(20, (1500, 150)), (25, (200, 300)), (150, (700, 450))]}
# six 15 px faces, three of each portrait, spread over a frame (the "portrait" of frame() is the first)
TINY = [(15, (x, y)) for x, y in ((150, 150), (800, 120), (1500, 200), (300, 800), (1000, 700), (1700, 900))]
# what the unbatched graph (converter version 1: batch 1, one tile per network call) found on
# frame("astronaut.png") in the tiled search at min_face=16, min_score=0.8: boxes and scores
UNBATCHED = [[1019.6, 218.39, 1058.07, 256.86, 0.9699], [488.6, 238.83, 760.34, 510.67, 0.9557],
             [1458.83, 555.21, 1562.94, 659.3, 0.9501], [313.74, 712.06, 331.88, 730.2, 0.8903]]


@pytest.fixture(scope="module")
def blaze(store) -> BlazeFace:
    return BlazeFace(store.ensure("blazeface"), "short")


@pytest.fixture(scope="module")
def fast(store) -> Cascade:
    found = detector(store.ensure("blazeface"), DEFAULTS["model"])
    assert isinstance(found, Cascade)  # the default
    return found


@pytest.fixture(scope="module")
def portrait_boxes(blaze) -> dict[str, np.ndarray]:
    """BlazeFace's own box of each portrait's face at full size: what a small copy should give, scaled."""
    out = {}
    for name in PORTRAITS:
        (face,) = blaze.detect(photo(name))
        out[name] = face.box
    return out


def frame(portrait: str, layout: list | None = None) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
    """A 1080p frame with faces pasted at `layout`'s sizes and places (default LAYOUT[portrait]: the
    portrait's; TINY: both portraits in turn); (width, (scale, offset)) of each."""
    background = "coffee.png" if portrait == "astronaut.png" else "rocket.jpg"
    out = color.scale_rgb8(photo(background), (1920, 1080))
    names = [portrait, next(n for n in PORTRAITS if n != portrait)] if layout else [portrait]
    return out, [(size, paste(out, names[k % len(names)], size, x, y))
                 for k, (size, (x, y)) in enumerate(layout or LAYOUT[portrait])]


def truth(portrait: str, placed: list) -> list[np.ndarray]:
    """The tight face boxes of `placed` in the frame (the portraits alternate as in frame())."""
    names = [portrait, next(n for n in PORTRAITS if n != portrait)]
    return [face_box(names[k % 2], *where) for k, (_, where) in enumerate(placed)]


@pytest.mark.parametrize("portrait", sorted(PORTRAITS))
def test_defaults_find_faces_from_20_px_at_their_true_boxes(fast, portrait_boxes, portrait):
    assert DEFAULTS["min_face"] == 15
    picture, placed = frame(portrait)
    found = fast.detect(picture, DEFAULTS["min_score"], DEFAULTS["min_face"])
    assert len(found) == len(placed), [f.box for f in found]
    for size, (scale, offset) in placed:
        expected = portrait_boxes[portrait] * scale + offset
        (face,) = [f for f in found if iou(expected, f.box[None])[0] > 0.3]
        centre = (face.box[:2] + face.box[2:]) / 2
        # a few px for small faces; the part-profile face's box moves ~10% of its size with the scale
        tolerance = max(4.0, 0.12 * size)
        assert np.abs(centre - (expected[:2] + expected[2:]) / 2).max() < tolerance, (size, face.box, expected)
        width = face.box[2] - face.box[0]
        assert abs(width / (expected[2] - expected[0]) - 1) < 0.3, (size, face.box, expected)
        assert face.score >= DEFAULTS["min_score"]
        eyes = face.landmarks[:2]
        assert eyes[0, 0] < eyes[1, 0] and (eyes[:, 1] < centre[1]).all()  # right eye on the left, above the centre


@pytest.mark.parametrize("background", ["coffee.png", "rocket.jpg"])
def test_defaults_find_nothing_on_hd_photographs_without_people(fast, background):
    picture = color.scale_rgb8(photo(background), (1920, 1080))
    assert fast.detect(picture, DEFAULTS["min_score"], DEFAULTS["min_face"]) == []
    # what the full-range model proposes there, the short-range model turns down close up
    fine, _ = fast.levels(1920, 1080, DEFAULTS["min_face"])
    unsure = merge(*fast.full.candidates(color.Pyramid(picture), [fine], PROPOSE_SCORE), (1920, 1080))
    assert unsure and max(d.score for d in unsure) < DEFAULTS["min_score"]
    assert len(fast.short.confirm(picture, unsure, DEFAULTS["min_score"])[2]) == 0


@pytest.mark.parametrize("portrait", sorted(PORTRAITS))
def test_defaults_find_half_of_the_15_px_faces_and_nothing_else(fast, portrait):
    # the full-range model proposes about half of the faces this small (bench/faces.py: 3 of 6)
    picture, placed = frame(portrait, TINY)
    found = fast.detect(picture, DEFAULTS["min_score"], DEFAULTS["min_face"])
    hits = [f for f in found if max(iou(f.box, np.stack(truth(portrait, placed)))) > 0.3]
    assert len(hits) == len(found) and 3 <= len(hits) <= 6, [f.box for f in found]


def test_small_faces_are_proposed_unsure_and_confirmed_close_up(fast):
    picture, placed = frame("camera.png", TINY)
    fine, coarse = fast.levels(1920, 1080, DEFAULTS["min_face"])
    assert fine == pytest.approx(12 / 15) and coarse == pytest.approx([128 / 1920, 0.8 / 9, 0.8 / 3])
    assert fast.levels(1920, 1080, 0) == (0.0, []) and fast.levels(640, 360, 120) == (0.0, [])  # short only
    proposed = merge(*fast.full.candidates(color.Pyramid(picture), [fine], PROPOSE_SCORE), (1920, 1080))
    faces = truth("camera.png", placed)
    seen = [(d, t) for d in proposed for t in faces if iou(t, d.box[None])[0] > 0.3]
    assert len(seen) >= 4 and all(PROPOSE_SCORE <= d.score < DEFAULTS["min_score"] for d, _ in seen)  # unsure
    confirmed = [(merge(*fast.short.confirm(picture, [face], DEFAULTS["min_score"]), (1920, 1080)), expected)
                 for face, expected in seen]
    assert sum(len(found) for found, _ in confirmed) >= len(seen) / 2
    for found, expected in confirmed:
        assert len(found) <= 1 and all(iou(expected, f.box[None])[0] > 0.5 for f in found)


def test_crops_resample_like_the_picture():
    rng = np.random.default_rng(3)
    picture = rng.integers(0, 256, (50, 75, 3), dtype=np.uint8)
    blocks = np.ascontiguousarray(np.kron(picture, np.ones((4, 4, 1), np.uint8)))  # 200 x 300, 4 x 4 blocks
    as_pixels = lambda x: (x.transpose(1, 2, 0) + 1) * 127.5  # noqa: E731
    # the same size: the pixels themselves; reduced 4x over 4 x 4 blocks: the blocks
    same = crops(blocks, np.array([[10, 20]], np.float32), np.array([64], np.float32), 64)[0]
    np.testing.assert_allclose(as_pixels(same), blocks[20:84, 10:74], atol=1e-3)
    reduced = crops(blocks, np.array([[0, 0]], np.float32), np.array([200], np.float32), 50)[0]
    np.testing.assert_allclose(as_pixels(reduced), picture[:50, :50], atol=1e-3)
    # outside the picture is black; doubled, each pixel's centre keeps its value
    edge = as_pixels(crops(blocks, np.array([[-32, 20]], np.float32), np.array([64], np.float32), 64)[0])
    assert np.abs(edge[:, :31]).max() < 1e-3 and np.allclose(edge[:, 33:], blocks[20:84, 1:32], atol=1e-3)
    doubled = as_pixels(crops(picture, np.array([[0, 0]], np.float32), np.array([25], np.float32), 50)[0])
    assert np.abs(doubled[1:-1:2, 1:-1:2].mean() - picture[:24, :24].mean()) < 2


def test_pyramid_levels(blaze):
    # 1080p at min_face 20: fitted to 128 px, then every third up to 1.2x (a 20 px face is 24 input px)
    assert blaze.scales(1920, 1080, 20) == pytest.approx([128 / 1920, 1.2 / 9, 1.2 / 3, 1.2])
    assert blaze.scales(1920, 1080, 0) == pytest.approx([128 / 1920])
    assert blaze.scales(1920, 1080, 40) == pytest.approx([128 / 1920, 0.2, 0.6])  # 0.6 / 9 is too close to the first
    assert blaze.scales(30, 20, 20) == pytest.approx([128 / 30])  # smaller than the input: scaled up only to fit


def test_converted_graph_takes_any_batch_and_size(blaze):
    assert blaze.session.get_inputs()[0].shape == ["batch", 3, "height", "width"]
    x = np.zeros((3, 3, 64, 96), np.float32)
    reg, cls = blaze.session.run(None, {blaze.input: x})
    assert reg.shape == (3, 8 * 12 * 2 + 4 * 6 * 6, 16) and cls.shape == (3, 8 * 12 * 2 + 4 * 6 * 6, 1)


def test_batched_tiles_give_the_unbatched_detections(store, blaze):
    picture, _ = frame("astronaut.png")
    one_by_one = BlazeFace(store.ensure("blazeface"), "short", batch=1)
    assert len(blaze.tiles(picture, 16)[0]) > 64  # more tiles than one batch: the chunks are joined too
    batched = blaze.detect(picture, 0.8, 16, tiled=True)
    single = one_by_one.detect(picture, 0.8, 16, tiled=True)
    assert len(batched) == len(single) == len(UNBATCHED)
    for a, b, (*box, s) in zip(batched, single, UNBATCHED):
        np.testing.assert_allclose(a.box, b.box, atol=1e-3)
        np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-3)
        np.testing.assert_allclose(a.box, box, atol=0.05)  # as the batch-1 graph found them
        assert a.score == pytest.approx(s, abs=1e-3)
    # the whole-level search (the default) finds the same faces
    levels = blaze.detect(picture, 0.8, 20)
    assert len(levels) == len(batched)
    for a in batched:
        assert max(iou(a.box, np.stack([b.box for b in levels]))) > 0.6


def test_a_level_too_large_for_one_run_is_searched_in_parts(blaze, monkeypatch):
    import rushes.faces.blazeface as module

    picture, _ = frame("astronaut.png")
    whole = blaze.detect(picture, DEFAULTS["min_score"], 20)
    monkeypatch.setattr(module, "MAX_INPUT", 400_000)  # the 1.2x level (2304x1296) in 4 x 4 parts
    assert len(module._spans(2304, 3)) == 3 and module._spans(2304, 3)[1][0] < module._spans(2304, 3)[0][1]
    parts = blaze.detect(picture, DEFAULTS["min_score"], 20)
    assert len(parts) == len(whole) == len(LAYOUT["astronaut.png"])
    for a in whole:
        assert max(iou(a.box, np.stack([b.box for b in parts]))) > 0.9


def test_detect_faces_at_its_defaults_finds_a_20_px_face(tmp_path, store):
    picture, placed = frame("camera.png")
    path = tmp_path / "plate 1080.png"
    write_image(path, picture.astype(np.float32) / 255.0, fmt="uint8")
    result = run("detect.faces", path, tmp_path / "out", models=store).result
    assert result.settings["min_face"] == 15 and result.settings["model"] == "cascade"
    assert len(result.tracks) == len(placed)
    centres = sorted(float((t.positions[0].box[0] + t.positions[0].box[2]) / 2) for t in result.tracks)
    expected = sorted(float(offset[0] + scale[0] * (PORTRAITS["camera.png"][0] + PORTRAITS["camera.png"][2]) / 2)
                      for _, (scale, offset) in placed)
    assert np.abs(np.array(centres) - expected).max() < 12, (centres, expected)

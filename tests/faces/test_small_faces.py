"""Small faces in HD frames: BlazeFace at detect.faces' defaults, the pyramid, batched network runs.

The frames are real photographs: the faces of the two test portraits, cut out with some of the
photograph around them and scaled to known sizes, pasted at known positions on the two test
photographs without people (scaled to 1920x1080).
"""
from pathlib import Path

import numpy as np
import pytest

from rushes.faces.blazeface import BlazeFace, iou
from rushes.faces.operator import DetectFaces
from rushes.media import color, read_image, write_image
from rushes.runner import run

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
PORTRAITS = {"astronaut.png": (178, 81, 272, 175), "camera.png": (186, 124, 260, 199)}  # tight face boxes
DEFAULTS = {p.name: p.default for p in DetectFaces.params}
# face widths (px) and top-left corners of the pasted cut-outs, per frame
LAYOUT = {"astronaut.png": [(20, (300, 700)), (35, (1000, 200)), (100, (1400, 500)), (250, (350, 100))],
          "camera.png": [(20, (1500, 150)), (25, (200, 300)), (150, (700, 450))]}
# what the unbatched graph (converter version 1: batch 1, one tile per network call) found on
# frame("astronaut.png") in the tiled search at min_face=16, min_score=0.8: boxes and scores
UNBATCHED = [[1019.6, 218.39, 1058.07, 256.86, 0.9699], [488.6, 238.83, 760.34, 510.67, 0.9557],
             [1458.83, 555.21, 1562.94, 659.3, 0.9501], [313.74, 712.06, 331.88, 730.2, 0.8903]]


def rgb8(name: str) -> np.ndarray:
    pixels, meta = read_image(PHOTOS / name)
    return color.to_display_rgb8(pixels, meta)


@pytest.fixture(scope="module")
def blaze(store) -> BlazeFace:
    return BlazeFace(store.ensure("blazeface"), "short")


@pytest.fixture(scope="module")
def portrait_boxes(blaze) -> dict[str, np.ndarray]:
    """BlazeFace's own box of each portrait's face at full size: what a small copy should give, scaled."""
    out = {}
    for name in PORTRAITS:
        (face,) = blaze.detect(rgb8(name))
        out[name] = face.box
    return out


def frame(portrait: str) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
    """A 1080p frame with the portrait's face pasted at LAYOUT's sizes; (width, (scale, offset)) of each."""
    background = "coffee.png" if portrait == "astronaut.png" else "rocket.jpg"
    out = color.scale_rgb8(rgb8(background), (1920, 1080))
    photo = rgb8(portrait)
    x0, y0, x1, y1 = PORTRAITS[portrait]
    m = 0.6 * (x1 - x0)
    cx0, cy0 = int(max(0, x0 - m)), int(max(0, y0 - m))
    cx1, cy1 = int(min(photo.shape[1], x1 + m)), int(min(photo.shape[0], y1 + m))
    placed = []
    for size, (x, y) in LAYOUT[portrait]:
        scale = size / (x1 - x0)
        cw, ch = round((cx1 - cx0) * scale), round((cy1 - cy0) * scale)
        out[y:y + ch, x:x + cw] = color.scale_rgb8(np.ascontiguousarray(photo[cy0:cy1, cx0:cx1]), (cw, ch))
        sx, sy = cw / (cx1 - cx0), ch / (cy1 - cy0)
        placed.append((size, (np.array([sx, sy, sx, sy]), np.array([x - cx0 * sx, y - cy0 * sy] * 2))))
    return out, placed


@pytest.mark.parametrize("portrait", sorted(PORTRAITS))
def test_defaults_find_faces_from_20_px_at_their_true_boxes(blaze, portrait_boxes, portrait):
    assert DEFAULTS["min_face"] == 20
    picture, placed = frame(portrait)
    found = blaze.detect(picture, DEFAULTS["min_score"], DEFAULTS["min_face"])
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
def test_defaults_find_nothing_on_hd_photographs_without_people(blaze, background):
    picture = color.scale_rgb8(rgb8(background), (1920, 1080))
    assert blaze.detect(picture, DEFAULTS["min_score"], DEFAULTS["min_face"]) == []


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
    whole = blaze.detect(picture, DEFAULTS["min_score"], DEFAULTS["min_face"])
    monkeypatch.setattr(module, "MAX_INPUT", 400_000)  # the 1.2x level (2304x1296) in 4 x 4 parts
    assert len(module._spans(2304, 3)) == 3 and module._spans(2304, 3)[1][0] < module._spans(2304, 3)[0][1]
    parts = blaze.detect(picture, DEFAULTS["min_score"], DEFAULTS["min_face"])
    assert len(parts) == len(whole) == len(LAYOUT["astronaut.png"])
    for a in whole:
        assert max(iou(a.box, np.stack([b.box for b in parts]))) > 0.9


def test_detect_faces_at_its_defaults_finds_a_20_px_face(tmp_path, store):
    picture, placed = frame("camera.png")
    path = tmp_path / "plate 1080.png"
    write_image(path, picture.astype(np.float32) / 255.0, fmt="uint8")
    result = run("detect.faces", path, tmp_path / "out", models=store).result
    assert result.settings["min_face"] == 20
    centres = sorted(float((t.positions[0].box[0] + t.positions[0].box[2]) / 2) for t in result.tracks)
    expected = sorted(float(offset[0] + scale[0] * (PORTRAITS["camera.png"][0] + PORTRAITS["camera.png"][2]) / 2)
                      for _, (scale, offset) in placed)
    assert np.abs(np.array(centres) - expected).max() < 12, (centres, expected)

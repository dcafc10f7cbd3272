"""detect.shots on an edit of real footage with known hard cuts, a dissolve, a fade and a flash."""
import json
from fractions import Fraction

import numpy as np
import OpenImageIO as oiio
import pytest

import rushes
from fixtures import edit
from rushes.detect.shots import enforce_min_length, snap_to_black, transitions_to_cuts
from rushes.media import color


def test_transnet_finds_cuts_and_dissolve_not_flash_or_motion(transnet_cuts, edit_clip):
    _, truth = edit_clip
    cuts = transnet_cuts.result.cuts
    p, r, f = edit.f1(cuts, truth["cuts"])
    assert r == 1.0, cuts  # every hard cut
    dissolve = truth["gradual"][0]
    assert any(abs(c - dissolve) <= 2 for c in cuts), cuts
    flash = truth["flashes"][0]
    assert not any(flash - 2 <= c <= flash + 4 for c in cuts), cuts
    # the fast camera move spans frames 150-200 (after the cut at 150, before the dissolve)
    assert not any(152 < c < 185 for c in cuts), cuts
    # the fade through black is one cut, at the black
    fade = truth["gradual"][1]
    assert sum(abs(c - fade) <= 2 for c in cuts) == 1, cuts
    p_all, r_all, f_all = edit.f1(cuts, truth["cuts"] + truth["gradual"])
    assert f_all == 1.0


def test_fast_method(edit_clip, store, tmp_path):
    clip, truth = edit_clip
    out = rushes.run("detect.shots", clip, tmp_path / "fast", {"method": "fast"}, models=store)
    cuts = out.result.cuts
    p, r, f = edit.f1(cuts, truth["cuts"] + truth["gradual"])
    assert p >= 0.85 and r >= 0.7, cuts
    assert not any(truth["flashes"][0] - 2 <= c <= truth["flashes"][0] + 4 for c in cuts)
    assert out.result.method == "fast"


def test_result_shape(transnet_cuts, edit_clip):
    _, truth = edit_clip
    data = json.loads((transnet_cuts.out_dir / "shots.json").read_text())
    assert data["fps"] == 25.0 and data["frame_count"] == truth["frames"]
    shots = data["shots"]
    assert shots[0]["start"] == 0 and shots[-1]["end"] == truth["frames"]
    assert all(a["end"] == b["start"] for a, b in zip(shots, shots[1:]))
    assert [s["start"] for s in shots[1:]] == data["cuts"]
    assert len(data["confidence"]) == len(data["cuts"]) and all(0.5 < c <= 1 for c in data["confidence"])


def test_cut_frames_follow_the_start_timecode(edit_clip, transnet_cuts, tmp_path, store):
    import av

    clip, truth = edit_clip
    with av.open(str(clip)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    tc_clip = tmp_path / "tc.mov"
    edit._encode(frames[:160], tc_clip, Fraction(25), timecode="01:00:00:00")
    out = rushes.run("detect.shots", tc_clip, tmp_path / "out", models=store)
    assert out.result.first_frame == 90000 and out.result.start_timecode == "01:00:00:00"
    expected = [c + 90000 for c in transnet_cuts.result.cuts if c <= 160 - 6]  # min_shot_length 6
    assert out.result.cuts == expected


def test_linear_exr_sequence_numbers_from_its_first_frame(edit_clip, transnet_cuts, tmp_path, store):
    """Scene-linear half EXR with alpha, first frame 1001: the same cuts, offset to 1001."""
    import av

    clip, _ = edit_clip
    folder = tmp_path / "plates"
    folder.mkdir()
    with av.open(str(clip)) as c:
        for i, f in zip(range(130), c.decode(video=0)):
            srgb = f.to_ndarray(format="rgb24").astype(np.float32) / 255.0
            lin = color.convert(srgb, color.SRGB, color.LINEAR_REC709)
            rgba = np.concatenate([lin, np.ones_like(lin[:, :, :1])], axis=2)
            spec = oiio.ImageSpec(rgba.shape[1], rgba.shape[0], 4, "half")
            path = folder / f"sh010.{1001 + i:04d}.exr"
            o = oiio.ImageOutput.create(str(path))
            o.open(str(path), spec)
            o.write_image(rgba)
            o.close()
    out = rushes.run("detect.shots", folder / "sh010.####.exr", tmp_path / "out", models=store,
                     media={"rate": "25"})
    assert out.result.first_frame == 1001 and out.result.rate == 25
    assert out.result.cuts == [c + 1001 for c in transnet_cuts.result.cuts if c < 125]


def test_post_processing():
    probs = np.zeros(100)
    probs[[9, 10]] = [0.9, 0.6]  # hard cut: last frame of the old shot is the peak
    probs[40:50] = np.linspace(0.55, 0.8, 10)
    assert transitions_to_cuts(probs, 0.5) == [(10, 0.9), (50, pytest.approx(0.8))]
    assert enforce_min_length([(10, 0.9), (13, 0.95), (50, 0.7), (97, 0.8)], 100, 6) == [(13, 0.95), (50, 0.7)]


def test_fade_through_black_is_one_cut_at_the_black():
    luma = np.full(100, 80.0)
    luma[40:60] = np.abs(np.arange(20) - 9.5) * 8  # fade out to black and back up
    assert snap_to_black([(44, 0.4), (56, 0.6)], luma, reach=12) == [(50, 0.6)]
    # a cut next to a long black stretch (a slug) stays where it is
    slug = np.full(100, 80.0)
    slug[30:90] = 0.0
    assert snap_to_black([(30, 0.9)], slug, reach=12) == [(30, 0.9)]


def test_movie_thumbnails_match_scaled_frames(edit_clip):
    from rushes.media import Movie

    clip, _ = edit_clip
    movie = Movie(clip)
    thumbs = [t for _, (_, t) in zip(range(60), movie.thumbnails((64, 36)))]
    assert thumbs[0].shape == (36, 64, 3)
    # the luma of a thumbnail follows the RGB frame's brightness (video range Y')
    rgb = [f for _, f in movie.frames(0, 60, size=(64, 36))]
    corr = np.corrcoef([t[:, :, 0].mean() for t in thumbs], [f.mean() for f in rgb])[0, 1]
    assert corr > 0.95


def test_cancel_stops_the_run_and_writes_nothing(edit_clip, tmp_path, store):
    import threading

    clip, _ = edit_clip
    cancel = threading.Event()
    seen = []

    def progress(fraction, message):
        seen.append(fraction)
        if fraction > 0.1:
            cancel.set()

    out = tmp_path / "cancelled"
    with pytest.raises(rushes.Cancelled):
        rushes.run("detect.shots", clip, out, {"method": "fast"}, progress=progress, cancel_event=cancel,
                   models=store)
    assert max(seen) < 0.5  # stopped within a few frames of the request
    assert not out.exists()

"""detect.faces on real photographs: detection, coordinates, tracking, anonymize, bad input."""
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from rushes.errors import MediaError
from rushes.faces.anonymize import region
from rushes.faces.blazeface import BlazeFace, Detection, iou
from rushes.faces.mtcnn import MTCNN
from rushes.faces.tracking import link
from rushes.media import color, read_image, write_image
from rushes.runner import run

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
# face centres in the photographs, read off the pictures (x, y)
FACES = {"astronaut.png": (226, 125), "camera.png": (222, 160)}


@pytest.fixture(scope="module")
def detectors(store):
    bf = store.ensure("blazeface")
    return {"short": BlazeFace(bf, "short"), "full": BlazeFace(bf, "full"), "mtcnn": MTCNN(store.ensure("mtcnn"))}


def rgb8(name: str) -> np.ndarray:
    pixels, meta = read_image(PHOTOS / name)
    return color.to_display_rgb8(pixels, meta)


def centre(d: Detection) -> np.ndarray:
    return (d.box[:2] + d.box[2:]) / 2


@pytest.mark.parametrize("name", sorted(FACES))
def test_each_detector_finds_the_face_in_a_real_photograph(detectors, name):
    picture = rgb8(name)
    found = {k: det.detect(picture) for k, det in detectors.items()}
    for k, faces in found.items():
        assert len(faces) == 1, (k, name, [f.box for f in faces])
        face = faces[0]
        assert np.abs(centre(face) - FACES[name]).max() < 20, (k, face.box)
        assert 50 < face.box[2] - face.box[0] < 130 and face.score > 0.6
        x0, y0, x1, y1 = face.box
        eyes = face.landmarks[:2]
        assert ((eyes[:, 0] > x0) & (eyes[:, 0] < x1) & (eyes[:, 1] > y0) & (eyes[:, 1] < y1)).all()
        assert eyes[0, 0] < eyes[1, 0]  # the subject's right eye is on the picture's left
    assert len(found["short"][0].landmarks) == 6 and len(found["mtcnn"][0].landmarks) == 5
    # the detectors agree on a clear face
    assert iou(found["short"][0].box, found["mtcnn"][0].box[None])[0] > 0.5
    assert iou(found["full"][0].box, found["mtcnn"][0].box[None])[0] > 0.5


@pytest.mark.parametrize("name", ["coffee.png", "rocket.jpg"])
def test_no_face_in_photographs_without_people(detectors, name):
    picture = rgb8(name)
    for k, det in detectors.items():
        assert det.detect(picture) == [], k
    assert detectors["short"].detect(picture, min_score=0.8, min_face=24) == []  # the operator's default score


def test_small_face_in_a_uhd_anamorphic_frame_at_its_true_position(detectors):
    """A 40-px face in a 4096x1716 frame: lost at the network's 128 px, found by the tiles, in frame pixels."""
    face = rgb8("astronaut.png")
    small = color.scale_rgb8(face, (160, 160))  # the face is ~30 px wide here
    frame = np.full((1716, 4096, 3), 90, np.uint8)
    ox, oy = 2900, 1200
    frame[oy:oy + 160, ox:ox + 160] = small
    expected = np.array([ox + FACES["astronaut.png"][0] * 160 / 512, oy + FACES["astronaut.png"][1] * 160 / 512])
    assert detectors["short"].detect(frame, min_face=0) == []
    found = detectors["short"].detect(frame, min_face=24)
    assert len(found) == 1 and np.abs(centre(found[0]) - expected).max() < 8, [f.box for f in found]


def test_tracking_keeps_ids_through_an_occlusion():
    def det(x, y):
        return Detection(np.array([x, y, x + 50, y + 50], np.float32), np.zeros((6, 2), np.float32), 0.9)

    frames = []
    for f in range(1001, 1031):
        faces = [det(10 + 6 * (f - 1001), 100), det(500 - 4 * (f - 1001), 300)]
        if 1011 <= f <= 1014:
            faces = faces[1:]  # the first face is hidden for 4 frames
        frames.append((f, faces))
    frames.append((1045, [det(200, 100)]))  # far beyond the gap: a new face
    tracks = link(frames, max_gap=8)
    assert [t.id for t in tracks] == [1, 2, 3]
    first = tracks[0]
    assert (first.first_frame, first.end_frame) == (1001, 1031)
    assert [p.frame for p in first.positions] == list(range(1001, 1031))
    hidden = [p for p in first.positions if not p.detected]
    assert [p.frame for p in hidden] == [1011, 1012, 1013, 1014]
    assert hidden[0].box[0] == pytest.approx(10 + 6 * 10, abs=0.01)  # interpolated along the motion
    assert (tracks[1].first_frame, tracks[1].end_frame) == (1001, 1031)
    assert (tracks[2].first_frame, tracks[2].end_frame) == (1045, 1046)
    assert len(link(frames, max_gap=8, min_track=2)) == 2
    smoothed = link(frames, max_gap=8, smooth=2)[0].positions
    assert len(smoothed) == 30 and smoothed[5].box[0] == pytest.approx(40, abs=0.01)


def moving_faces(folder: Path, frames: int = 24, hide: range = range(10, 13)) -> Path:
    """A 640x360 PNG sequence: the astronaut photo's face pans left to right, hidden for a few frames."""
    face = color.scale_rgb8(rgb8("astronaut.png"), (256, 256))
    folder.mkdir()
    for k in range(frames):
        frame = np.full((360, 640, 3), 70, np.uint8)
        x = 20 + 14 * k
        frame[60:316, x:x + 256] = face
        if k in hide:  # a grey card passes in front of the face
            frame[80:220, x + 50:x + 180] = 128
        write_image(folder / f"take1.{1001 + k:04d}.png", frame.astype(np.float32) / 255.0, fmt="uint8")
    return folder


def test_moving_face_clip_one_track_and_anonymized_sequence(tmp_path, store):
    clip = moving_faces(tmp_path / "clip")
    out = run("detect.faces", clip / "take1.####.png", tmp_path / "out", {"anonymize": "pixelate"}, models=store)
    tracks = out.result.tracks
    assert len(tracks) == 1, [(t.first_frame, t.end_frame) for t in tracks]
    positions = tracks[0].positions
    assert [p.frame for p in positions] == list(range(1001, 1025))
    assert [p.frame for p in positions if not p.detected] == [1011, 1012, 1013]
    xs = [(p.box[0] + p.box[2]) / 2 for p in positions]
    assert all(b > a for a, b in zip(xs, xs[1:]))  # follows the pan
    assert (tmp_path / "out" / "faces.json").exists()
    for k in (0, 9, 23):  # (frames 10-12 show the grey card, which a pixelation leaves as it is)
        src, _ = read_image(clip / f"take1.{1001 + k:04d}.png")
        dst, meta = read_image(tmp_path / "out" / f"take1.{1001 + k:04d}.png")
        assert meta["format"] == "uint8" and dst.shape == src.shape
        x0, y0, x1, y1 = region(positions[k].box, 0.15, 640, 360)
        outside = np.ones(src.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(src[outside], dst[outside])
        assert np.abs(src[y0:y1, x0:x1] - dst[y0:y1, x0:x1]).mean() > 0.01


def test_anonymize_linear_exr_keeps_everything_outside_the_faces(tmp_path, store):
    """Half-float scene-linear RGBA with values above 1: faces blurred; all else bit-identical."""
    display = rgb8("astronaut.png").astype(np.float32) / 255.0
    linear = color.convert(display, color.SRGB, color.LINEAR_REC709) * 4.0  # highlights well above 1
    alpha = np.linspace(0.5, 1.0, 512, dtype=np.float32)[None, :, None].repeat(512, 0)
    plate = np.concatenate([linear * alpha, alpha], 2)
    src_path = tmp_path / "plate v1 é.exr"
    write_image(src_path, plate, fmt="half", channels=["R", "G", "B", "A"])
    src, src_meta = read_image(src_path)
    assert src[..., :3].max() > 1.0
    out = run("detect.faces", src_path, tmp_path / "out", {"anonymize": "blur", "margin": 0.1}, models=store)
    (track,) = out.result.tracks
    dst, meta = read_image(tmp_path / "out" / src_path.name)
    assert meta["format"] == "half" and meta["channels"] == ["R", "G", "B", "A"]
    assert np.array_equal(dst[..., 3], src[..., 3])  # alpha untouched
    x0, y0, x1, y1 = region(track.positions[0].box, 0.1, 512, 512)
    outside = np.ones((512, 512), bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(src[outside].view(np.uint32), dst[outside].view(np.uint32))  # bit-identical
    assert np.abs(src[y0:y1, x0:x1, :3] - dst[y0:y1, x0:x1, :3]).mean() > 0.005
    assert np.isfinite(dst).all()


def test_odd_pictures(tmp_path, store):
    # greyscale (1 channel) and 16-bit: the face is still found
    grey, _ = read_image(PHOTOS / "camera.png")
    write_image(tmp_path / "grey16.tif", grey, fmt="uint16")
    assert len(run("detect.faces", tmp_path / "grey16.tif", tmp_path / "o1", models=store).result.tracks) == 1
    # smaller than the network's input: an empty result, not an error
    write_image(tmp_path / "tiny.png", np.full((20, 30, 4), 0.5, np.float32), fmt="uint8")
    for method in ("blazeface", "mtcnn"):
        result = run("detect.faces", tmp_path / "tiny.png", tmp_path / f"o2{method}", {"method": method},
                     models=store).result
        assert result.tracks == [] and (result.width, result.height) == (30, 20)


def test_corrupt_frame_in_a_sequence_stops_or_is_skipped(tmp_path, store):
    clip = moving_faces(tmp_path / "clip", frames=6, hide=range(0))
    (clip / "take1.1003.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(MediaError, match=r"frame 1003: .*--on-bad-frame skip"):
        run("detect.faces", clip / "take1.####.png", tmp_path / "stop", models=store)
    assert not (tmp_path / "stop").exists()
    result = run("detect.faces", clip / "take1.####.png", tmp_path / "skip", media={"on_bad_frame": "skip"},
                 models=store).result
    assert any("frame 1003 skipped" in n for n in result.notes)
    assert len(result.tracks) == 1 and result.tracks[0].positions[2].frame == 1003
    assert not result.tracks[0].positions[2].detected  # bridged like an occlusion


def test_movie_gets_tracks_in_timecode_frames_and_an_anonymized_movie(tmp_path, store):
    import av

    from rushes.media import Movie, encode_movie
    from fractions import Fraction

    clip = moving_faces(tmp_path / "clip", frames=12, hide=range(0))
    pictures = ((read_image(clip / f"take1.{1001 + k:04d}.png")[0] * 255 + 0.5).astype(np.uint8) for k in range(12))
    movie = encode_movie(pictures, tmp_path / "take 1 é.mov", Fraction(24000, 1001), "h264", "01:00:00:00")
    out = run("detect.faces", movie, tmp_path / "out", {"anonymize": "blur", "encode": "h264"}, models=store)
    (track,) = out.result.tracks
    first = Movie(movie).first_frame
    assert first == 86400 and (track.first_frame, track.end_frame) == (first, first + 12)  # 01:00:00:00, 24 fps NDF
    anonymized = tmp_path / "out" / "take 1 é_anonymized.mov"
    assert any(str(anonymized) in n for n in out.result.notes)
    with av.open(str(anonymized)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 12

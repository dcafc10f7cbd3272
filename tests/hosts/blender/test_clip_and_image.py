"""The extension in a real headless Blender's Movie Clip and Image editors, through a worker it starts.

One Blender process runs scenarios/clip_image.py with mode "local worker" and the rushes
executable of this environment: detect.faces on a movie of a real photograph panning (clip
start frame 1001, frame offset 3), gan.upscale of a half-float EXR with alpha and of a PNG, and
a studio's own operator from a package only the worker can import. Checked against the faces
JSON and the written pictures; the worker is gone when Blender quits.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import av
import numpy as np
import OpenImageIO as oiio
import pytest

from pictures import panning

ROOT = Path(__file__).resolve().parents[3]
DOOR = ROOT / "tests" / "data" / "realesrgan" / "door.png"
FACE = (226, 125)  # the face centre in astronaut.png (x, y), as tests/faces reads it
FRAMES, STEP, SIZE = 16, 4, 384
CLIP_START, CLIP_OFFSET = 1001, 3


def linear_exr(path: Path) -> None:
    """door.png as a scene-linear half-float EXR with an alpha ramp."""
    srgb = oiio.ImageBuf(str(DOOR)).get_pixels(oiio.FLOAT)[..., :3]
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    alpha = np.linspace(0.25, 1.0, srgb.shape[1], dtype=np.float32)[None, :, None].repeat(srgb.shape[0], 0)
    spec = oiio.ImageSpec(srgb.shape[1], srgb.shape[0], 4, oiio.HALF)
    spec.channelnames = ("R", "G", "B", "A")
    buf = oiio.ImageBuf(spec)
    buf.set_pixels(oiio.ROI(), np.concatenate([linear, alpha], axis=2).astype(np.float32))
    assert buf.write(str(path))


@pytest.fixture(scope="module")
def observed(blender_python, extension_zip, studio_site, tmp_path_factory, run_scenario):
    tmp = tmp_path_factory.mktemp("blender clip")
    media = tmp / "media é"
    media.mkdir()
    movie, exr, png = media / "astronaut pan.mov", media / "door plate.exr", media / "door.png"
    panning(movie, [("astronaut.png", 0, 0, FRAMES)], SIZE, STEP)
    linear_exr(exr)
    png.write_bytes(DOOR.read_bytes())
    state = tmp / "worker state"
    args = {"zip": str(extension_zip), "faces_movie": str(movie), "exr": str(exr), "png": str(png),
            "out": str(tmp / "results"), "blend": str(tmp / "clip.blend"),
            "clip_start": CLIP_START, "clip_offset": CLIP_OFFSET,
            "prefs": {"mode": "WORKER", "executable": str(Path(sys.executable).with_name("rushes")),
                      "state_dir": str(state), "output_dir": str(tmp / "default out")}}
    # the studio package is visible to the worker the extension starts, not to Blender
    data = run_scenario(blender_python, "clip_image", args, tmp, env={"PYTHONPATH": str(studio_site)})
    data.update(out=Path(args["out"]), state=state, media=media)
    return data


def test_the_extension_started_the_worker_and_stopped_it_with_blender(observed):
    assert observed["link"] == "started worker"
    assert not (observed["state"] / "worker.json").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(observed["worker_pid"], 0)


def test_no_worker_and_no_executable_is_one_clear_line(observed):
    message = observed["unreachable"]
    assert "no rushes worker running" in message and "no such rushes" in message
    assert "rushes serve" in message and "Traceback" not in message and message.count("\n") <= 1


def test_a_studio_operator_appears_and_runs(observed):
    assert "studio_slate" in observed["operators"]
    assert observed["studio"]["result"] == ["FINISHED"]
    assert observed["studio"]["markers"] == [["cut 1", 1 + 7]]  # strip at frame 1, slate of 7 frames
    assert json.loads((observed["out"] / "slate" / "slate.json").read_text())["cuts"] == [7]


def test_face_tracks_follow_the_face(observed):
    faces = json.loads((observed["out"] / "faces" / "faces.json").read_text())
    assert observed["faces"]["result"] == ["FINISHED"] and observed["faces"]["size"] == [SIZE, SIZE]
    (track,) = faces["tracks"]
    (name, markers), = observed["faces"]["tracks"].items()
    assert name == f"face {track['id']}"
    live = [m for m in markers if not m[3]]
    # one marker per frame the clip shows: its offset hides the first CLIP_OFFSET source frames
    assert len(track["frames"]) == FRAMES and len(live) == FRAMES - CLIP_OFFSET
    assert live[0][0] == 1
    for (frame, x, y, _), position, index in zip(live, track["frames"][CLIP_OFFSET:], range(CLIP_OFFSET, FRAMES)):
        assert frame == index - CLIP_OFFSET + 1  # clip frames: source index 0 is clip frame 1 - offset
        x0, y0, x1, y1 = position["box"]
        assert abs(x * SIZE - (x0 + x1) / 2) < 0.5 and abs((1 - y) * SIZE - (y0 + y1) / 2) < 0.5
        # and on the real face, which moves STEP px left per frame (bottom-left origin in Blender)
        assert abs(x * SIZE - (FACE[0] - index * STEP)) < 12 and abs((1 - y) * SIZE - FACE[1]) < 12
    assert markers[-1][3] and markers[-1][0] == live[-1][0] + 1  # the track ends after the last frame


def test_blurred_faces_load_as_a_new_clip(observed):
    blurred = observed["blurred"]
    assert blurred["result"] == ["FINISHED"] and blurred["tagged"] and blurred["tracks"] == 1
    assert Path(blurred["filepath"]).parent == observed["out"] / "faces blurred"
    assert blurred["size"] == [SIZE, SIZE] and blurred["frames"] == FRAMES
    # the face is blurred in the written movie, the rest of the picture is not
    with av.open(blurred["filepath"]) as movie:
        frame = next(movie.decode(video=0)).to_ndarray(format="rgb24").astype(float)
    with av.open(str(observed["media"] / "astronaut pan.mov")) as movie:
        source = next(movie.decode(video=0)).to_ndarray(format="rgb24").astype(float)
    x, y = FACE
    face, corner = (slice(y - 20, y + 20), slice(x - 20, x + 20)), (slice(300, 380), slice(0, 80))
    detail = lambda a: np.abs(np.diff(a, axis=1)).mean()  # noqa: E731
    assert detail(frame[face]) < 0.5 * detail(source[face])
    assert abs(detail(frame[corner]) - detail(source[corner])) < 0.2 * detail(source[corner])


def test_upscaled_exr_is_a_new_float_image(observed):
    up = observed["upscale_exr"]
    assert up["result"] == ["FINISHED"] and up["size"] == [160, 160] and up["float"]
    assert up["original"][:2] == ["plate exr", [40, 40]] and up["original_same"]
    written = oiio.ImageBuf(up["filepath"])
    assert written.spec().format == oiio.HALF and written.nchannels == 4
    assert Path(up["filepath"]).parent == observed["out"] / "upscale exr"
    assert up["name"] != "plate exr"


def test_upscaled_png(observed):
    up = observed["upscale_png"]
    assert up["size"] == [160, 160] and not up["float"] and up["original_same"]
    assert up["original"][1] == [40, 40]


def test_saved_reloaded_and_removed(observed):
    reloaded = observed["reloaded"]
    assert reloaded["tracks"] == observed["faces"]["tracks"]
    assert {observed["upscale_exr"]["name"], observed["upscale_png"]["name"]} <= set(reloaded["images"])
    removed = observed["removed"]
    assert removed["tracks"] == [] and removed["markers"] == []
    assert removed["clips"] == sorted(["astronaut pan.mov", "astronaut pan.mov.001"])  # the blurred clip went
    assert set(removed["images"]) - {"Render Result"} == {"plate exr", "plate png"}
    assert [m[0] for m in removed["movies"]] == ["faces"]

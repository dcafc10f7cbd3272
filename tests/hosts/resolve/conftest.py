"""Resolve tests' shared pieces: rushes_resolve importable from hosts/davinci, the Resolve releases to
run against, one in-process worker, and timecoded test media (cuts, speech, a face) made once from the
shared fixtures."""
from __future__ import annotations

import sys
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from fixtures.worker import serving
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
from fake_resolve import DAVINCI, VERSIONS  # noqa: E402

if str(DAVINCI) not in sys.path:
    sys.path.insert(0, str(DAVINCI))

SPEECH = HERE.parents[1] / "data" / "speech"


@pytest.fixture(autouse=True)
def browser_opened(tmp_path_factory, monkeypatch) -> list:
    """No test finds a worker this machine's user runs, or opens a real browser: the default state
    folder is an empty one, and webbrowser.open records the links the scripts open (returned)."""
    monkeypatch.setenv("RUSHES_STATE", str(tmp_path_factory.mktemp("no_worker_here")))
    opened: list = []
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url) or True)
    return opened


@pytest.fixture(params=VERSIONS, ids=lambda v: ".".join(map(str, v)))
def version(request) -> tuple:
    """Each Resolve release a test runs against (fake_resolve.VERSIONS)."""
    return request.param


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("resolve_media")


@pytest.fixture(scope="module")
def worker(tmp_path_factory, media_root, store):
    """A real rushes worker in this process (port 0, its own state folder) and its client."""
    from rushes.jobs.client import WorkerClient
    state = tmp_path_factory.mktemp("resolve_state")
    with serving(state, allowed_roots=[tmp_path_factory.getbasetemp()], models=store):
        yield WorkerClient.from_state(state)


def _frames(path: Path, count: int) -> list:
    with av.open(str(path)) as c:
        out = []
        for frame in c.decode(video=0):
            out.append(frame.to_ndarray(format="rgb24"))
            if len(out) == count:
                break
    return out


@pytest.fixture(scope="session")
def cut_movies(edit_clip, media_root) -> dict:
    """The edit clip's first 300 frames (hard cuts at 50, 100, 150, 250) at 23.976 with timecode
    10:00:00:00 and at 29.97 with drop-frame timecode 00:59:58;00."""
    from rushes.media import encode_movie

    path, truth = edit_clip
    pictures = _frames(path, 300)
    made = {"truth": [c for c in truth["cuts"] if c < 300]}
    made["23.976"] = encode_movie(iter(pictures), media_root / "A001_C002 cuts.mov", Fraction(24000, 1001), "h264",
                                  "10:00:00:00")
    made["29.97"] = encode_movie(iter(pictures), media_root / "B001_C007 cuts.mov", Fraction(30000, 1001), "h264",
                                 "00:59:58;00")
    return made


def _wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16)


@pytest.fixture(scope="session")
def speech_wav(media_root) -> tuple[Path, list[str]]:
    """Two LibriVox sentences (16 kHz) with 1.5 s of quiet before, between and after: (path, texts)."""
    quiet = np.zeros(24000, np.int16)
    names = ["austen-0870", "austen-0880"]
    parts = [quiet]
    for name in names:
        parts += [_wav(SPEECH / (name + ".wav")), quiet]
    path = media_root / "sc12_t03 dialogue.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.concatenate(parts).tobytes())
    return path, [(SPEECH / (name + ".txt")).read_text(encoding="utf-8").strip() for name in names]


@pytest.fixture(scope="session")
def face_movie(media_root) -> Path:
    """24 frames 320x180 at 23.976, timecode 01:00:00:00: the astronaut's face on frames 6-17 only."""
    from rushes.media import color, encode_movie, read_image

    pixels, meta = read_image(HERE.parents[1] / "data" / "photos" / "astronaut.png")
    face = color.scale_rgb8(color.to_display_rgb8(pixels, meta), (176, 176))
    pictures = []
    for k in range(24):
        frame = np.full((180, 320, 3), 70, np.uint8)
        if 6 <= k < 18:
            x = 20 + 6 * k
            frame[2:178, x:x + 176] = face
        pictures.append(frame)
    return encode_movie(iter(pictures), media_root / "C003 faces.mov", Fraction(24000, 1001), "h264", "01:00:00:00")

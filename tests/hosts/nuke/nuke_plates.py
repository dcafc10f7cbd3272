"""Real-media plates for the Nuke tests, made from the photographs in tests/data/photos."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from rushes.media import color, encode_movie, read_image, write_image

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "photos"
SPEECH = Path(__file__).resolve().parents[2] / "data" / "speech"
FACE_SIZE = 256
# the astronaut's face centre in the photograph (tests/faces), at FACE_SIZE
FACE_CENTRE = (226 * FACE_SIZE / 512, 125 * FACE_SIZE / 512)
WIDTH, HEIGHT = 800, 400


def rgb8(name: str) -> np.ndarray:
    pixels, meta = read_image(PHOTOS / name)
    return color.to_display_rgb8(pixels, meta)


def face_position(k: int) -> tuple[int, int]:
    """Top-left corner of the moving face in frame k: it pans right and rises."""
    return 20 + 12 * k, 120 - 8 * k


def moving_face_frames(frames: int = 8) -> Iterator[tuple[np.ndarray, tuple[float, float]]]:
    """800x400 pictures in which the astronaut's face pans right and up; a second face (the
    photograph mirrored) joins from the fourth. Each with the astronaut's true face centre
    (source pixels, top-left origin)."""
    astronaut = color.scale_rgb8(rgb8("astronaut.png"), (FACE_SIZE, FACE_SIZE))
    mirrored = np.ascontiguousarray(astronaut[:, ::-1])
    for k in range(frames):
        frame = np.full((HEIGHT, WIDTH, 3), 70, np.uint8)
        x, y = face_position(k)
        frame[y:y + FACE_SIZE, x:x + FACE_SIZE] = astronaut
        if k >= 3:
            frame[100:100 + FACE_SIZE, 520:520 + FACE_SIZE] = mirrored
        yield frame, (x + FACE_CENTRE[0], y + FACE_CENTRE[1])


def moving_face(folder: Path, frames: int = 8, first: int = 1001) -> dict[int, tuple[float, float]]:
    """The moving face as a PNG sequence `take1.####.png` numbered from `first`. Returns the
    astronaut's true face centre per file frame."""
    folder.mkdir(parents=True)
    truth = {}
    for k, (frame, centre) in enumerate(moving_face_frames(frames)):
        write_image(folder / f"take1.{first + k:04d}.png", frame.astype(np.float32) / 255.0, fmt="uint8")
        truth[first + k] = centre
    return truth


def moving_face_movie(path: Path, timecode: str | None = None, frames: int = 8) -> list[tuple[float, float]]:
    """The moving face as a 25 fps movie, with a start timecode or none. Returns the astronaut's
    true face centre per picture of the movie, in order."""
    pictures = list(moving_face_frames(frames))
    encode_movie(iter([frame for frame, _ in pictures]), path, Fraction(25), "h264", timecode=timecode)
    return [centre for _, centre in pictures]


def small_plate(folder: Path, frames: int = 2, first: int = 1001) -> Path:
    """A 40x32 sRGB PNG sequence cut from the astronaut photograph (for quick upscales)."""
    folder.mkdir(parents=True)
    face = rgb8("astronaut.png")
    for k in range(frames):
        crop = face[100 + 4 * k:132 + 4 * k, 180:220]
        write_image(folder / f"up.{first + k:04d}.png", crop.astype(np.float32) / 255.0, fmt="uint8")
    return folder / "up.####.png"


def talking_movie(path: Path, timecode: str = "01:00:00:00") -> Path:
    """A 25 fps movie with a real LibriVox sentence as its sound track and its own timecode."""
    import wave

    from fixtures.audio import write_audio  # tests/ is on sys.path (tests/conftest.py)

    with wave.open(str(SPEECH / "austen-0870.wav")) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
    seconds = len(pcm) / rate
    frames = [np.full((32, 32, 3), 40 + (k % 50), np.uint8) for k in range(int(seconds * 25) + 1)]
    write_audio(path, pcm[None], rate, "mono", codec="aac", video_frames=frames, video_rate=Fraction(25),
                timecode=timecode)
    return path

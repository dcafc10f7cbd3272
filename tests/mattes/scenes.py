"""Test plates for mattes.people: a real portrait pasted on a real photograph at a known place."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures import faces  # noqa: E402

# in astronaut.png (512 x 512): her face (fixtures.faces.PORTRAITS) and her torso, read off the picture
FACE = np.array(faces.PORTRAITS["astronaut.png"])
TORSO = np.array((80, 300, 260, 500))


def scene(width: int, height: int, side: int, x: int, background: str = "rocket.jpg", shift: int = 0
          ) -> tuple[np.ndarray, dict[str, tuple[int, int, int, int]]]:
    """A display-referred RGB uint8 frame: `background` scaled to the frame, the whole portrait scaled
    to `side` px pasted with its left edge at `x` + `shift` and its bottom on the frame's (a person
    standing in the shot). Returns the frame and the boxes (x0, y0, x1, y1) of "face", "torso" and
    "portrait" (everything outside the portrait is background)."""
    from rushes.media import color

    frame = color.scale_rgb8(faces.photo(background), (width, height)).copy()
    x, y = x + shift, height - side
    frame[y:, x:x + side] = color.scale_rgb8(faces.photo("astronaut.png"), (side, side))
    k, at = side / 512, np.array([x, y, x, y])
    boxes = {"face": tuple(int(v) for v in FACE * k + at), "torso": tuple(int(v) for v in TORSO * k + at),
             "portrait": (x, y, x + side, height)}
    return frame, boxes


def inside(alpha: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = box
    return float(alpha[y0:y1, x0:x1].mean())


def background_share(alpha: np.ndarray, box: tuple[int, int, int, int], above: float = 0.1) -> float:
    """The share of background pixels (outside `box`) whose alpha is over `above`."""
    x0, y0, x1, y1 = box
    mask = np.ones(alpha.shape, bool)
    mask[y0:y1, x0:x1] = False
    return float((alpha[mask] > above).mean())


def write_exr_sequence(folder: Path, frames: list[np.ndarray], first: int = 1001) -> Path:
    """The frames as a scene-linear half-float EXR sequence plate.####.exr (linear Rec.709, what rushes
    assumes of an unmarked EXR); returns the pattern."""
    from rushes.media import color, write_image

    folder.mkdir(parents=True, exist_ok=True)
    for k, rgb8 in enumerate(frames):
        linear = color.convert(rgb8.astype(np.float32) / 255.0, color.SRGB, color.LINEAR_REC709)
        write_image(folder / f"plate.{first + k:04d}.exr", linear, fmt="half", channels=["R", "G", "B"])
    return folder / "plate.####.exr"

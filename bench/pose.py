"""Pose benchmark: milliseconds per 1080p frame for detect.pose's tracking loop, per landmark model.

The frames are built from a real photograph (tests/data/photos/obama3.jpg, scaled to 900 px high)
moved 8 px a frame across a 1920 x 1080 plate (the real coffee.png scaled up behind it), so the
work is what a shot is: the detector on the first frame, then the landmark model on each frame's
square from the last one's landmarks. Printed per model: ms per frame for the whole loop, the
detector alone and the landmark model alone (crop included), and how far the nose is from where
the moved photograph puts it (px, median and worst), a check that the timed loop tracked.

    .venv/bin/python bench/pose.py [--frames 20] [--threads 0]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "tests" / "data" / "photos"


def picture(name: str, height: int | None = None, size: tuple[int, int] | None = None) -> np.ndarray:
    from rushes.media import color, read_image

    pixels, meta = read_image(PHOTOS / name)
    rgb8 = color.to_display_rgb8(pixels, meta)
    h, w = rgb8.shape[:2]
    return color.scale_rgb8(rgb8, size or (round(w * height / h), height))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="LiteRT threads (0: its default)")
    args = parser.parse_args(argv)

    from rushes.modelstore import ModelStore
    from rushes.pose.blazepose import BlazePose
    from rushes.pose.tracking import follow

    entry = ModelStore().ensure("blazepose", progress=lambda m: print(m, file=sys.stderr))
    person, back = picture("obama3.jpg", 900), picture("coffee.png", size=(1920, 1080))
    frames = []
    for k in range(args.frames):
        frame = back.copy()
        x, y = 200 + 8 * k, 100 + 2 * k
        frame[y:y + person.shape[0], x:x + person.shape[1]] = person
        frames.append((k, frame))
    print(f"{args.frames} frames of 1920x1080, one person 900 px high, moving 8 px a frame")
    for model in ("lite", "full", "heavy"):
        pose = BlazePose(entry, model, threads=args.threads)
        start = time.perf_counter()
        found = follow(pose, frames)
        loop = (time.perf_counter() - start) / args.frames * 1000
        # the first frame's nose, moved with the photograph, against each frame's
        seen = found[0][1] if found else []
        noses = np.array([p.landmarks[0, :2] for _, p, _ in seen])
        expected = noses[0] + np.array([[8 * f, 2 * f] for f, _, _ in seen]) if len(noses) else noses
        miss = np.hypot(*(noses - expected).T) if len(noses) else np.array([np.inf])
        frame = frames[0][1]
        t = time.perf_counter()
        rois = [pose.detect(frame) for _ in range(5)][0]
        detect_ms = (time.perf_counter() - t) / 5 * 1000
        t = time.perf_counter()
        for _ in range(5):
            pose.landmarks(frame, rois[0])
        landmark_ms = (time.perf_counter() - t) / 5 * 1000
        print(f"{model:6s} {loop:7.1f} ms/frame (detector {detect_ms:.1f} ms, landmarks {landmark_ms:.1f} ms); "
              f"{len(found)} person, tracked {len(seen)}/{args.frames} frames, nose off its path "
              f"median {np.median(miss):.1f} px, worst {miss.max():.1f} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())

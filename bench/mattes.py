"""mattes.people benchmark: milliseconds per 1080p frame, stage by stage, on a real photograph scene.

The frame is rocket.jpg scaled to 1920x1080 with the astronaut portrait pasted twice: large (a
540 px tall shot) and small (a 216 px one, a ~40 px face), standing on the frame's bottom. Timed
per frame: the whole-picture MODNet pass with its guided upsampling (people=frame), the face
search, each person crop, the temporal step, and the full operator path (people=crops) as
`mattes.people` runs it; plus the flicker over the frames (the small person moved 1 px a frame).

    .venv/bin/python bench/mattes.py [--frames 3] [--threads 0]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "mattes"))

import scenes  # noqa: E402


def frame(shift: int) -> np.ndarray:
    from rushes.media import color

    picture, _ = scenes.scene(1920, 1080, 540, 200)
    small = color.scale_rgb8(scenes.faces.photo("astronaut.png"), (216, 216))
    x = 1400 + shift
    picture[1080 - 216:, x:x + 216] = small
    return picture


def main() -> None:
    from rushes.faces.blazeface import detector
    from rushes.mattes.matte import Carry, Modnet, grey, people_matte, refine
    from rushes.modelstore import ModelStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    store = ModelStore()
    net = Modnet(store.ensure("modnet") / "modnet.onnx", threads=args.threads)
    faces = detector(store.ensure("blazeface"), threads=args.threads)
    carry = Carry(0.5)
    times: dict[str, list[float]] = {"whole picture (MODNet + guided upsampling)": [], "face search": [],
                                     "people=crops (whole picture + crops)": [], "refine + temporal": []}
    crops = 0
    for k in range(args.frames):
        rgb8 = frame(k)
        t = time.perf_counter()
        net.matte(rgb8)
        times["whole picture (MODNet + guided upsampling)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        boxes = [d.box for d in faces.detect(rgb8, 0.7, 20)]
        times["face search"].append(time.perf_counter() - t)
        t = time.perf_counter()
        alpha, crops = people_matte(net, rgb8, boxes, False)
        times["people=crops (whole picture + crops)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        carry.step(grey(rgb8), refine(alpha, 0.0, 0, 0.0))
        times["refine + temporal"].append(time.perf_counter() - t)
    print(f"mattes.people, 1920x1080, {args.frames} frame(s), {crops} person crop(s) a frame")
    for name, values in times.items():
        print(f"  {name:45s} {1000 * float(np.median(values)):8.0f} ms/frame")
    total = sum(float(np.median(v)) for k, v in times.items() if k != "whole picture (MODNet + guided upsampling)")
    print(f"  {'operator path (search + crops + temporal)':45s} {1000 * total:8.0f} ms/frame")
    after, before = carry.flicker()
    if after is not None:
        print(f"  flicker (static matte): {after:.4f} with the temporal filter, {before:.4f} without")


if __name__ == "__main__":
    main()

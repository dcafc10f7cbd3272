"""Face detection benchmark: rushes BlazeFace at its defaults, its earlier search, rushes' and the reference MTCNN.

"Before" is the search rushes had until issue 17 (square tiles of 128 px, halving levels down to
8 x min_face) at min_face 16, the setting that found faces near 17 px; it runs batched here (the
detections are the unbatched ones: see tests/faces/test_small_faces.py), so its time is, if
anything, better than it was.

Side by side in one run, on the same 1080p frames built from real photographs: the faces of the
two test portraits (astronaut.png, camera.png), each cut out with some of its photograph around
it and scaled so that the face is 15, 17, 20, 25, 35, 50, 100, 150 and 250 px wide, placed at
known positions on the two real photographs without people (coffee.png, rocket.jpg, scaled up),
plus those two backgrounds alone. For each detector: faces found (recall against the placed
faces, IoU >= 0.3), false detections, faces found by size, IoU agreement with the reference
MTCNN, milliseconds per 1080p frame; then the speed-up and whether issue 17's targets are met,
and the time tracking adds. The detectors take turns frame by frame, so that they see the same
load on a shared machine.

The reference is facenet-pytorch 2.6.0's MTCNN (min face 12), imported from the pinned wheel the
model store already holds, without installing it: its module-level imports of torchvision (only
`batched_nms`) and PIL (unused for arrays) are replaced by a torch NMS and an empty module, so
its detection code runs unchanged.

    .venv/bin/python bench/faces.py [--repeat 1]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import types
import zipfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fixtures import faces  # noqa: E402
from fixtures.faces import BACKGROUNDS, PORTRAITS  # noqa: E402

SIZES = (15, 17, 20, 25, 35, 50, 100, 150, 250)  # face widths placed, px
FRAMES_PER_SIZE = 2  # of three faces each: six faces of each size
REFERENCE = "facenet-pytorch MTCNN, min face 12 (reference)"
DEFAULTS = "rushes BlazeFace, defaults"


def reference_mtcnn(wheel: Path, min_face: int = 12):
    """facenet_pytorch.models.mtcnn.MTCNN from the wheel, with torchvision's batched_nms stood in for."""
    folder = Path(tempfile.mkdtemp(prefix="rushes-facenet-"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(folder)

    def batched_nms(boxes, scores, idxs, iou_threshold):  # torchvision semantics: per idx, greedy, by score
        if boxes.numel() == 0:
            return torch.empty((0,), dtype=torch.int64)
        offsets = idxs.to(boxes) * (boxes.max() + 1)
        b = boxes + offsets[:, None]
        order = scores.argsort(descending=True)
        keep = []
        area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        while order.numel():
            i = order[0]
            keep.append(i)
            rest = order[1:]
            w = (torch.minimum(b[i, 2], b[rest, 2]) - torch.maximum(b[i, 0], b[rest, 0])).clamp(min=0)
            h = (torch.minimum(b[i, 3], b[rest, 3]) - torch.maximum(b[i, 1], b[rest, 1])).clamp(min=0)
            inter = w * h
            order = rest[inter / (area[i] + area[rest] - inter) <= iou_threshold]
        return torch.stack(keep) if keep else torch.empty((0,), dtype=torch.int64)

    stubs = {"torchvision": None, "torchvision.ops": None, "torchvision.ops.boxes": {"batched_nms": batched_nms},
             "torchvision.transforms": None, "torchvision.transforms.functional": {}, "PIL": None,
             "PIL.Image": {}}
    for name, attrs in stubs.items():
        module = types.ModuleType(name)
        module.__path__ = []
        for k, v in (attrs or {}).items():
            setattr(module, k, v)
        sys.modules.setdefault(name, module)
    for name in ("facenet_pytorch", "facenet_pytorch.models", "facenet_pytorch.models.utils"):
        package = types.ModuleType(name)
        package.__path__ = [str(folder / name.replace(".", "/"))]
        sys.modules[name] = package
    from facenet_pytorch.models.mtcnn import MTCNN  # noqa: E402

    return MTCNN(min_face_size=min_face, device="cpu", keep_all=True)


def reference_boxes(ref, frame: np.ndarray) -> list[np.ndarray]:
    boxes, _ = ref.detect(frame)  # None when there is no face
    return [] if boxes is None else [b[:4] for b in boxes]


def scenes(rng: np.random.Generator) -> list[tuple[np.ndarray, list[np.ndarray], list[int]]]:
    """(1080p frame, placed face boxes, their widths): for each of SIZES, FRAMES_PER_SIZE frames
    with three faces of that size (one in each third of the frame, the portraits taking turns, at
    random positions: how a face lands on the pixel grid changes its score), on the two
    backgrounds in turn; then each background alone."""
    from rushes.media import color

    portraits = {name: faces.photo(name) for name in PORTRAITS}
    names = list(PORTRAITS)
    backgrounds = [color.scale_rgb8(faces.photo(name), (1920, 1080)) for name in BACKGROUNDS]
    out = []
    for size in SIZES:
        for k in range(FRAMES_PER_SIZE):
            frame = backgrounds[k % 2].copy()
            truth = [place(frame, portraits[names[(k + column) % 2]], names[(k + column) % 2], size, column, rng)
                     for column in range(3)]
            out.append((frame, truth, [size] * 3))
    out.extend((b.copy(), [], []) for b in backgrounds)
    return out


def place(frame: np.ndarray, picture: np.ndarray, portrait: str, size: int, column: int,
          rng: np.random.Generator) -> np.ndarray:
    """Paste the portrait's face (fixtures.faces.paste) at a `size` px wide face, somewhere in one
    third of the frame; returns the face box in the frame."""
    cw, ch = faces.cut_out_size(portrait, picture, size)
    x = 640 * column + 20 + int(rng.integers(0, max(1, 600 - cw)))
    y = 20 + int(rng.integers(0, max(1, 1040 - ch)))
    return faces.face_box(portrait, *faces.paste(frame, portrait, size, x, y, picture))


def score(found: list[np.ndarray], truth: list[np.ndarray]) -> tuple[list[bool], int]:
    """Which placed faces were found (IoU >= 0.3), and how many detections match no face."""
    from rushes.faces.blazeface import iou

    hits = [bool(found) and float(iou(t, np.stack(found)).max()) >= 0.3 for t in truth]
    false = sum(1 for f in found if not truth or iou(f, np.stack(truth)).max() < 0.3)
    return hits, false


def main() -> int:
    from rushes.faces.blazeface import BlazeFace, Detection, detector, iou
    from rushes.faces.mtcnn import MTCNN
    from rushes.faces.operator import DetectFaces
    from rushes.faces.tracking import link
    from rushes.modelstore import ModelStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="times each frame is timed (the mean is kept)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    defaults = {p.name: p.default for p in DetectFaces.params}
    min_score, min_face = defaults["min_score"], defaults["min_face"]
    store = ModelStore()
    bf_dir = store.ensure("blazeface")
    ref = reference_mtcnn(store.artifact(store.manifest("mtcnn"), lambda m: None), 12)
    fast = detector(bf_dir, defaults["model"])
    blaze = BlazeFace(bf_dir, "short")
    ours = MTCNN(store.ensure("mtcnn"), min_face=12)
    runs = {
        DEFAULTS: lambda f: [d.box for d in fast.detect(f, min_score, min_face)],
        "rushes BlazeFace cascade, min face 12": lambda f: [d.box for d in fast.detect(f, min_score, 12)],
        "rushes BlazeFace short only, min face 20": lambda f: [d.box for d in blaze.detect(f, min_score, 20)],
        "rushes BlazeFace short only, min face 14": lambda f: [d.box for d in blaze.detect(f, min_score, 14)],
        "BlazeFace before: tiles, min face 16": lambda f: [d.box for d in blaze.detect(f, min_score, 16, tiled=True)],
        "rushes MTCNN, min face 12": lambda f: [d.box for d in ours.detect(f)],
        REFERENCE: lambda f: reference_boxes(ref, f),
    }
    frames = scenes(np.random.default_rng(7))
    total = sum(len(t) for _, t, _ in frames)
    for fn in runs.values():
        fn(frames[0][0])  # warm up
    elapsed = {name: 0.0 for name in runs}
    boxes: dict[str, list] = {name: [] for name in runs}
    for frame, _, _ in frames:
        for name, fn in runs.items():  # in turn, so that each sees the same load
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                found = fn(frame)
                elapsed[name] += time.perf_counter() - t0
            boxes[name].append([np.asarray(b, np.float32) for b in found])
    load = os.getloadavg()[0]
    print(f"\n{len(frames)} frames 1920x1080: {total} faces placed ({min(SIZES)}-{max(SIZES)} px wide), "
          f"{len(BACKGROUNDS)} without faces; {os.cpu_count()} cores, load average {load:.1f} at the end")
    print(f"BlazeFace defaults: model={defaults['model']} min_score={min_score} min_face={min_face}")
    sizes = " ".join(f"{s:>4}" for s in SIZES)
    print(f"{'detector':<48} {'recall':>6} {'false':>5} {'IoU vs ref':>10} {'ms/frame':>9}   found by face px: {sizes}")
    rows = {}
    for name in runs:
        hits, false, by_size = [], 0, {s: 0 for s in SIZES}
        ious = []
        for (_, truth, widths), mine, theirs in zip(frames, boxes[name], boxes[REFERENCE]):
            h, f = score(mine, truth)
            hits += h
            false += f
            for hit, w in zip(h, widths):
                by_size[w] += hit
            ious += [float(iou(t, np.stack(mine)).max()) for t in theirs if mine]
        ms = elapsed[name] / len(frames) / args.repeat * 1000
        rows[name] = (sum(hits) / total, false, ms)
        agree = f"{np.mean(ious):.3f}" if ious else "-"
        found = " ".join(f"{by_size[s]:>4}" for s in SIZES)
        print(f"{name:<48} {sum(hits) / total:6.3f} {false:5d} {agree:>10} {ms:9.1f}   {'':>17} {found}")
    (recall, false, ms), (ref_recall, ref_false, ref_ms) = rows[DEFAULTS], rows[REFERENCE]
    speed = ref_ms / ms
    checks = {"recall >= reference": recall >= ref_recall, "false <= reference": false <= ref_false,
              "<= 250 ms/frame": ms <= 250, ">= 4x reference": speed >= 4}
    print(f"BlazeFace defaults vs reference: {speed:.2f}x faster; "
          + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in checks.items()))
    # tracking cost: link the detections of a 96-frame pan against the detection time
    per_frame = [(k, [Detection(b, np.zeros((6, 2), np.float32), 0.9) for b in boxes[DEFAULTS][k % len(frames)]])
                 for k in range(96)]
    t0 = time.perf_counter()
    for _ in range(10):
        link(per_frame)
    track_ms = (time.perf_counter() - t0) / 10 / 96 * 1000
    print(f"tracking: {track_ms:.3f} ms/frame = {100 * track_ms / ms:.2f}% of BlazeFace detection (target < 5%)")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "core"))
    raise SystemExit(main())

"""Face detection benchmark: rushes BlazeFace, rushes MTCNN and facenet-pytorch's own MTCNN.

Side by side in one run, on the same 1080p frames built from real photographs (the test
photographs, each face scaled to a few sizes and placed at known positions on real backgrounds):
faces found (recall against the placed faces), false detections, IoU agreement with the
reference MTCNN, and milliseconds per 1080p frame; then the time tracking adds.

The reference is facenet-pytorch 2.6.0's MTCNN, imported from the pinned wheel the model store
already holds, without installing it: its module-level imports of torchvision (only
`batched_nms`) and PIL (unused for arrays) are replaced by a torch NMS and an empty module, so
its detection code runs unchanged.

    .venv/bin/python bench/faces.py [--frames 6]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import types
import zipfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "tests" / "data" / "photos"


def reference_mtcnn(wheel: Path):
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

    return MTCNN(device="cpu", keep_all=True)


def reference_boxes(ref, frame: np.ndarray) -> list[np.ndarray]:
    boxes, _ = ref.detect(frame)  # None when there is no face
    return [] if boxes is None else [b[:4] for b in boxes]


def scenes(count: int, rng: np.random.Generator):
    """1080p frames: a real photo as background, 1-3 faces cut from the portraits, scaled 60-240 px."""
    from rushes.media import color, read_image

    def load(name):
        pixels, meta = read_image(PHOTOS / name)
        return color.to_display_rgb8(pixels, meta)

    portraits = {"astronaut.png": ((178, 81, 272, 175), load("astronaut.png")),
                 "camera.png": ((186, 124, 260, 199), load("camera.png"))}
    backgrounds = [load("coffee.png"), load("rocket.jpg")]
    for n in range(count):
        frame = color.scale_rgb8(backgrounds[n % 2], (1920, 1080))
        truth = []
        for k in range(1 + n % 3):
            name = list(portraits)[(n + k) % 2]
            (fx0, fy0, fx1, fy1), photo = portraits[name]
            face = int(rng.integers(60, 240))  # face width in the frame
            scale = face / (fx1 - fx0)
            size = int(photo.shape[1] * scale)
            picture = color.scale_rgb8(photo, (size, size))
            x = 40 + k * 620 + int(rng.integers(0, max(1, 560 - size)))
            y = int(rng.integers(0, max(1, 1080 - size)))
            part = picture[: 1080 - y, : 1920 - x]
            frame[y:y + part.shape[0], x:x + part.shape[1]] = part
            truth.append(np.array([x + fx0 * scale, y + fy0 * scale, x + fx1 * scale, y + fy1 * scale]))
        yield frame, truth


def score(found: list[np.ndarray], truth: list[np.ndarray]) -> tuple[int, int]:
    from rushes.faces.blazeface import iou

    hits = sum(1 for t in truth if found and iou(t, np.stack(found)).max() >= 0.3)
    false = sum(1 for f in found if iou(f, np.stack(truth)).max() < 0.3)
    return hits, false


def main() -> int:
    from rushes.faces.blazeface import BlazeFace, Detection
    from rushes.faces.mtcnn import MTCNN
    from rushes.faces.tracking import link
    from rushes.modelstore import ModelStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(2)
    store = ModelStore()
    bf_dir, mt_dir = store.ensure("blazeface"), store.ensure("mtcnn")
    ref = reference_mtcnn(store.artifact(store.manifest("mtcnn"), lambda m: None))
    blaze = BlazeFace(bf_dir, "short")
    ours = MTCNN(mt_dir, min_face=20)
    runs = {
        "rushes BlazeFace (short, tiled)": lambda f: [d.box for d in blaze.detect(f, 0.8, 40)],
        "rushes MTCNN": lambda f: [d.box for d in ours.detect(f)],
        "facenet-pytorch MTCNN (reference)": lambda f: reference_boxes(ref, f),
    }
    frames = list(scenes(args.frames, np.random.default_rng(7)))
    total = sum(len(t) for _, t in frames)
    rows, boxes = {}, {}
    for name, fn in runs.items():
        fn(frames[0][0])  # warm up
        hits = false = 0
        elapsed = 0.0
        found_all = []
        for frame, truth in frames:
            t0 = time.perf_counter()
            found = fn(frame)
            elapsed += time.perf_counter() - t0
            found = [np.asarray(b, np.float32) for b in found]
            found_all.append(found)
            h, f = score(found, truth)
            hits, false = hits + h, false + f
        rows[name] = (hits, false, elapsed / len(frames) * 1000)
        boxes[name] = found_all
    ref_name = "facenet-pytorch MTCNN (reference)"
    print(f"\n{len(frames)} frames 1920x1080, {total} faces placed (60-240 px wide), 2 threads")
    print(f"{'detector':<36} {'recall':>8} {'false':>6} {'IoU vs ref':>11} {'ms/frame':>9}")
    for name, (hits, false, ms) in rows.items():
        ious = []
        for mine, theirs in zip(boxes[name], boxes[ref_name]):
            from rushes.faces.blazeface import iou

            for t in theirs:
                if mine:
                    ious.append(float(iou(t, np.stack(mine)).max()))
        agree = f"{np.mean(ious):.3f}" if ious else "-"
        print(f"{name:<36} {hits / total:8.3f} {false:6d} {agree:>11} {ms:9.1f}")
    bf_ms, ref_ms = rows["rushes BlazeFace (short, tiled)"][2], rows[ref_name][2]
    met = rows["rushes BlazeFace (short, tiled)"][0] >= rows[ref_name][0]
    print(f"BlazeFace speed-up over reference MTCNN: {ref_ms / bf_ms:.2f}x (target >= 3x) -> "
          f"{'met' if ref_ms / bf_ms >= 3 and met else 'NOT met'}; recall {'>=' if met else '<'} reference")
    # tracking cost: link the detections of a 96-frame pan against the detection time
    per_frame = [(k, [Detection(b, np.zeros((6, 2), np.float32), 0.9) for b in boxes["rushes BlazeFace (short, tiled)"][k % len(frames)]])
                 for k in range(96)]
    t0 = time.perf_counter()
    for _ in range(10):
        link(per_frame)
    track_ms = (time.perf_counter() - t0) / 10 / 96 * 1000
    print(f"tracking: {track_ms:.3f} ms/frame = {100 * track_ms / bf_ms:.2f}% of BlazeFace detection (target < 5%)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "core"))
    raise SystemExit(main())

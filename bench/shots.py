"""Shot detection benchmark: F1 (±2 frames) and frames per second, side by side in one run.

Builds an edit with known transitions from real footage (TransNetV2's sample clip, see
tests/fixtures/edit.py: 7 hard cuts, a cross-dissolve, a fade through black, a 2-frame white
flash and a fast camera move), scaled to 1080p, and runs on the same file:
rushes TransNetV2 (ONNX Runtime), rushes fast, PySceneDetect ContentDetector and
AdaptiveDetector (scenedetect==0.7.2 from PyPI, default settings).

    make bench            # or: .venv/bin/python bench/shots.py [--size 1920x1080] [--repeat 1]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures import edit  # noqa: E402

import rushes  # noqa: E402
from rushes.modelstore import ModelStore  # noqa: E402


def run_rushes(clip: Path, out: Path, method: str, store: ModelStore) -> list[int]:
    return rushes.run("detect.shots", clip, out / method, {"method": method}, models=store).result.cuts


def run_pyscenedetect(clip: Path, detector_name: str) -> list[int]:
    from scenedetect import AdaptiveDetector, ContentDetector, SceneManager, open_video

    detector = ContentDetector() if detector_name == "content" else AdaptiveDetector()
    video = open_video(str(clip))
    manager = SceneManager()
    manager.add_detector(detector)
    manager.detect_scenes(video)
    return [start.get_frames() for start, _ in manager.get_scene_list()[1:]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the edit N times (longer clip)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    store = ModelStore()
    sample = store.path("transnetv2", "sample.mp4")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = tmp / "edit.mp4"
        print(f"building a {args.size} edit from {sample.name} ...", flush=True)
        truth = edit.build(sample, clip, size=size, repeat=args.repeat)
        gt = truth["cuts"] + truth["gradual"]
        n = truth["frames"]
        print(f"{n} frames, {len(truth['cuts'])} hard cuts, {len(truth['gradual'])} gradual, "
              f"{len(truth['flashes'])} flash, 1 fast camera move\n", flush=True)
        rows = []
        runs = [
            ("rushes transnet (onnx)", lambda: run_rushes(clip, tmp, "transnet", store)),
            ("rushes fast", lambda: run_rushes(clip, tmp, "fast", store)),
            ("PySceneDetect ContentDetector", lambda: run_pyscenedetect(clip, "content")),
            ("PySceneDetect AdaptiveDetector", lambda: run_pyscenedetect(clip, "adaptive")),
        ]
        # Warm the model cache and ONNX Runtime once so the timing is of the detection itself.
        store.ensure("transnetv2")
        for name, fn in runs:
            t0 = time.perf_counter()
            cuts = fn()
            seconds = time.perf_counter() - t0
            p, r, f = edit.f1(cuts, gt)
            rows.append((name, p, r, f, n / seconds, cuts))
        print(f"{'method':<32} {'precision':>9} {'recall':>7} {'F1':>6} {'fps':>8}")
        for name, p, r, f, fps, _ in rows:
            print(f"{name:<32} {p:9.3f} {r:7.3f} {f:6.3f} {fps:8.1f}")
        by = {name: (f, fps) for name, _, _, f, fps, _ in rows}
        best_psd = max(by["PySceneDetect ContentDetector"][0], by["PySceneDetect AdaptiveDetector"][0])
        print()
        print(f"transnet F1 - best PySceneDetect F1: {by['rushes transnet (onnx)'][0] - best_psd:+.3f}  (target >= +0.05)")
        print(f"fast fps / ContentDetector fps:      {by['rushes fast'][1] / by['PySceneDetect ContentDetector'][1]:.2f}x"
              f"  (target >= 2x at F1 >= ContentDetector's: "
              f"{by['rushes fast'][0]:.3f} vs {by['PySceneDetect ContentDetector'][0]:.3f})")
        print("\ntruth:", gt)
        for name, *_, cuts in rows:
            print(f"{name}: {cuts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

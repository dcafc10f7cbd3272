"""Jobs benchmark: the same work in-process, through the local worker, and on Ray (local, 2 CPUs).

Prints wall time, overhead per frame against in-process, and Ray's speed-up, side by side in
one run, for two jobs:
- gan.upscale (compact model, one network thread: CPU-bound and not multi-threaded) on a
  sequence of real frames; Ray splits it into frame chunks;
- detect.shots (fast) on N copies of the test edit (real footage, 320x180, 480 frames each);
  Ray runs one task per file. Its decoding already uses FFmpeg's own threads.

    .venv/bin/python bench/jobs.py [--frames 24] [--copies 6]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures import edit  # noqa: E402

import rushes  # noqa: E402
from rushes.jobs.client import WorkerClient  # noqa: E402
from rushes.jobs.ray_backend import run_on_ray  # noqa: E402
from rushes.jobs.server import make_server  # noqa: E402
from rushes.jobs.spec import JobSpec  # noqa: E402
from rushes.modelstore import ModelStore  # noqa: E402


def measure(label: str, frames: int, runs: dict) -> None:
    times = {name: fn() for name, fn in runs.items()}
    base = times["in-process"]
    print(f"\n{label}")
    print(f"{'backend':<22} {'wall s':>8} {'ms/frame':>9} {'overhead/frame':>15} {'speed-up':>9}")
    for name, seconds in times.items():
        print(f"{name:<22} {seconds:8.2f} {seconds / frames * 1000:9.2f} "
              f"{(seconds - base) / frames * 1000:+12.2f} ms {base / seconds:8.2f}x")
    print(f"worker overhead: {100 * (times['local worker'] - base) / base:+.1f}% of in-process; "
          f"ray speed-up with 2 workers: {base / times['ray (local, 2 CPUs)']:.2f}x")


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    import av
    import numpy as np
    import OpenImageIO as oiio
    import ray

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--copies", type=int, default=6)
    args = parser.parse_args()
    store = ModelStore()
    sample = store.path("transnetv2", "sample.mp4")
    store.ensure("realesrgan")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server = make_server("127.0.0.1", 0, state_dir=tmp / "state", models=store)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = WorkerClient.from_state(tmp / "state")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)

        def via_worker(specs):
            ids = [client.submit(spec.to_json()) for spec in specs]
            states = [client.wait(i)["state"] for i in ids]
            assert states == ["done"] * len(ids), states

        # 1. gan.upscale on a sequence of real frames
        plates = tmp / "plates"
        plates.mkdir()
        with av.open(str(sample)) as c:
            for i, f in zip(range(args.frames), c.decode(video=0)):
                path = plates / f"sh010.{1001 + i:04d}.png"
                out = oiio.ImageOutput.create(str(path))
                out.open(str(path), oiio.ImageSpec(160, 90, 3, "uint8"))
                out.write_image(f.to_ndarray(format="rgb24"))
                out.close()
        seq = str(plates / "sh010.####.png")
        params = {"threads": 1}
        spec = lambda name: JobSpec("gan.upscale", seq, str(tmp / name), params)  # noqa: E731
        run_on_ray([JobSpec("gan.upscale", seq, str(tmp / "warm"), params, (1001, 1002))], chunk_frames=1)
        measure(f"gan.upscale realesr-animevideov3, {args.frames} frames 160x90 -> x4, 1 network thread", args.frames, {
            "in-process": lambda: timed(lambda: rushes.run("gan.upscale", seq, tmp / "a", params, models=store)),
            "local worker": lambda: timed(lambda: via_worker([spec("b")])),
            "ray (local, 2 CPUs)": lambda: timed(lambda: run_on_ray([spec("c")], chunk_frames=args.frames // 2)),
        })

        # 2. detect.shots on a batch of files
        first = tmp / "take_0.mp4"
        truth = edit.build(sample, first)
        inputs = [first] + [tmp / f"take_{i}.mp4" for i in range(1, args.copies)]
        for p in inputs[1:]:
            shutil.copy(first, p)
        shots = {"method": "fast"}
        specs = lambda name: [JobSpec("detect.shots", str(p), str(tmp / name / p.stem), shots) for p in inputs]  # noqa: E731
        measure(f"detect.shots fast, {len(inputs)} files x {truth['frames']} frames", truth["frames"] * len(inputs), {
            "in-process": lambda: timed(lambda: [rushes.run("detect.shots", p, tmp / "d" / p.stem, shots,
                                                            models=store) for p in inputs]),
            "local worker": lambda: timed(lambda: via_worker(specs("e"))),
            "ray (local, 2 CPUs)": lambda: timed(lambda: run_on_ray(specs("f"))),
        })
        ray.shutdown()
        server.shutdown()
        server.worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

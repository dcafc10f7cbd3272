"""Jobs benchmark: the same batch in-process, through the local worker, and on Ray (local, 2 CPUs).

Prints wall time, overhead per frame against in-process, and Ray's speed-up, side by side in
one run. The batch is N copies of the test edit (real footage, 320x180, 480 frames each) run
through detect.shots with the fast method (CPU-bound; decoding uses FFmpeg's own threads).

    .venv/bin/python bench/jobs.py [--copies 6] [--method fast]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--method", default="fast", choices=("fast", "transnet"))
    args = parser.parse_args()
    store = ModelStore()
    sample = store.path("transnetv2", "sample.mp4")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        first = tmp / "take_0.mp4"
        truth = edit.build(sample, first)
        inputs = [first] + [tmp / f"take_{i}.mp4" for i in range(1, args.copies)]
        for p in inputs[1:]:
            shutil.copy(first, p)
        frames = truth["frames"] * len(inputs)
        params = {"method": args.method}
        times = {}

        t0 = time.perf_counter()
        for p in inputs:
            rushes.run("detect.shots", p, tmp / "local" / p.stem, params, models=store)
        times["in-process"] = time.perf_counter() - t0

        server = make_server("127.0.0.1", 0, state_dir=tmp / "state", models=store)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = WorkerClient.from_state(tmp / "state")
        t0 = time.perf_counter()
        ids = [client.submit({"operator": "detect.shots", "input": str(p), "out": str(tmp / "worker" / p.stem),
                              "params": params}) for p in inputs]
        states = [client.wait(i, poll=0.05)["state"] for i in ids]
        times["local worker"] = time.perf_counter() - t0
        server.shutdown()
        server.worker.stop()
        assert states == ["done"] * len(ids), states

        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        specs = [JobSpec("detect.shots", str(p), str(tmp / "ray" / p.stem), params) for p in inputs]
        run_on_ray(specs[:2])  # start the Ray workers and import rushes in them before timing
        t0 = time.perf_counter()
        results = run_on_ray(specs)
        times["ray (local, 2 CPUs)"] = time.perf_counter() - t0
        ray.shutdown()
        assert all(r["state"] == "done" for r in results)

    base = times["in-process"]
    print(f"{len(inputs)} x {truth['frames']} frames, detect.shots method={args.method}\n")
    print(f"{'backend':<22} {'wall s':>8} {'ms/frame':>9} {'overhead/frame':>15} {'speed-up':>9}")
    for name, seconds in times.items():
        per = seconds / frames * 1000
        over = (seconds - base) / frames * 1000
        print(f"{name:<22} {seconds:8.2f} {per:9.3f} {over:+12.3f} ms {base / seconds:8.2f}x")
    print(f"\nworker overhead: {100 * (times['local worker'] - base) / base:+.1f}% of in-process (target < 5%)")
    print(f"ray speed-up with 2 workers: {base / times['ray (local, 2 CPUs)']:.2f}x (target >= 1.6x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

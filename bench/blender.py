"""Blender extension benchmark: main-thread cost per tick while a job runs, and mapping large results.

Prints, side by side in one run, each measure with its target and the ratio to it:
  - tick: main-thread time of `Job.tick()` while detect.shots runs on the whole 5,301-frame
    sample movie in the local worker (median and worst; target < 10 ms each);
  - subtitles: 2,000 subtitles mapped into text strips (target < 1 s);
  - face tracks: 20 face tracks over 1,000 frames mapped into tracking tracks (target < 1 s).

    .venv/bin/python bench/blender.py            (runs itself again in .venv-blender's Blender)
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK_MS, MAP_S = 10.0, 1.0


def outside_blender() -> int:
    """Build the zip, find the sample movie, then measure inside a headless Blender."""
    blender = os.environ.get("RUSHES_BLENDER_PYTHON") or str(ROOT / ".venv-blender" / "bin" / "python")
    rushes = str(Path(sys.executable).with_name("rushes"))
    with tempfile.TemporaryDirectory(prefix="rushes-bench-blender ") as tmp:
        subprocess.run([rushes, "hosts", "package", "blender", "--out", tmp, "--blender", blender], check=True,
                       capture_output=True)
        movie = subprocess.run([rushes, "models", "path", "transnetv2", "sample.mp4"], check=True,
                               capture_output=True, text=True).stdout.strip()
        args = {"zip": str(next(Path(tmp).glob("rushes-*.zip"))), "movie": movie, "rushes": rushes,
                "tmp": tmp}
        env = {**os.environ, "BLENDER_USER_RESOURCES": os.path.join(tmp, "user"), "RUSHES_BENCH": json.dumps(args)}
        return subprocess.run([blender, __file__], env=env).returncode


def inside_blender() -> None:
    import bpy

    args = json.loads(os.environ["RUSHES_BENCH"])
    bpy.ops.extensions.package_install_files(filepath=args["zip"], repo="user_default", enable_on_install=True)
    from bl_ext.user_default.rushes import jobs, link, render

    prefs = bpy.context.preferences.addons["bl_ext.user_default.rushes"].preferences
    prefs.mode, prefs.executable, prefs.state_dir = "WORKER", args["rushes"], os.path.join(args["tmp"], "state")
    the_link = link.connect(prefs)
    rows = []

    # 1. ticks while a real job runs: what the modal timer does ten times a second
    job_id = the_link.client.submit({"operator": "detect.shots", "input": args["movie"],
                                     "out": os.path.join(args["tmp"], "shots")})
    job = jobs.Job(the_link.client, job_id, "detect.shots", "bench", lambda result: "mapped")
    ticks = []
    while True:
        start = time.perf_counter()
        finished = job.tick()
        took = (time.perf_counter() - start) * 1000
        if finished:
            break
        ticks.append(took)
        time.sleep(0.1)
    rows.append((f"tick while detect.shots runs ({len(ticks)} ticks), median", statistics.median(ticks), TICK_MS, "ms"))
    rows.append(("tick while detect.shots runs, worst", max(ticks), TICK_MS, "ms"))

    # 2. 2,000 subtitles into text strips (a long transcript, timed on the scene's clock)
    scene = bpy.context.scene
    subs = [{"type": "Caption", "start": i * 50, "end": i * 50 + 40, "text": f"line {i}\nsecond line"}
            for i in range(2000)]
    transcript = {"annotations": {"version": 1, "sets": [{"source": {"path": "", "rate": {"num": 25, "den": 1},
                                                                     "first_frame": 0}, "items": subs}]}}
    start = time.perf_counter()
    made = render.apply_result(transcript, render.Target(scene), "bench", args["tmp"])
    rows.append((f"2,000 subtitles -> text strips ({made})", time.perf_counter() - start, MAP_S, "s"))

    # 3. 20 face tracks over 1,000 frames into tracking tracks
    clip = bpy.data.movieclips.load(args["movie"])
    w, h = clip.size
    boxes = {t: [[f, 10 + t, 10 + f % 50, 40 + t, 40 + f % 50] for f in range(1000)] for t in range(1, 21)}
    tracks = [{"type": "Track", "name": f"face {t}", "points": [[f, (x0 + x1) / 2, (y0 + y1) / 2]
                                                               for f, x0, y0, x1, y1 in rows], "boxes": rows}
              for t, rows in boxes.items()]
    faces = {"annotations": {"version": 1, "sets": [{"source": {"path": args["movie"], "rate": None, "first_frame": 0,
                                                                "width": w, "height": h}, "items": tracks}]}}
    start = time.perf_counter()
    made = render.apply_result(faces, render.Target(scene, clip=clip), "bench", args["tmp"])
    rows.append((f"20 face tracks x 1,000 frames -> tracks ({made})", time.perf_counter() - start, MAP_S, "s"))
    link.disconnect()

    print(f"{'measure':70} {'value':>10} {'target':>8} {'ratio':>7}")
    for name, value, target, unit in rows:
        print(f"{name[:70]:70} {value:>8.3f}{unit:>2} {target:>6.1f}{unit:>2} {value / target:>6.2f}x"
              f"  {'ok' if value < target else 'OVER'}")


if __name__ == "__main__":
    if os.environ.get("RUSHES_BENCH"):
        inside_blender()
    else:
        sys.exit(outside_blender())

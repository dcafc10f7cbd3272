"""Report benchmark: the extra seconds a result's page takes, side by side with the run it belongs to.

Builds an edit from real footage (tests/fixtures/edit.py, repeated to about 5,000 frames, 1080p by
default), runs detect.shots on it (fast and TransNetV2: every run writes its page), then makes the
page again on its own in a fresh folder, timed: its share of the run is the ratio (goal: under 5 %).
Then a thousand-shot reel: the same movie with a cut every few frames, its page alone (goal: under a
minute, page responsive: every picture lazy).

    .venv/bin/python bench/report.py [--size 1920x1080] [--frames 5000] [--methods fast,transnet]
    .venv/bin/python bench/report.py --size 320x180 --frames 480 --methods fast   # a smoke run
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures import edit  # noqa: E402

import rushes  # noqa: E402
from rushes.modelstore import ModelStore  # noqa: E402
from rushes.outputs import OutputFolder  # noqa: E402
from rushes.report import Report  # noqa: E402


def page_alone(doc: dict, folder: Path, stem: str) -> tuple[float, int]:
    """Seconds to lay out, decode, write the pictures, the sheet and the page of `doc` into `folder`."""
    folder.mkdir(parents=True)
    start = time.perf_counter()
    output = OutputFolder(folder, "bench.report")
    report = Report(doc, folder, stem)
    report.write(output)
    output.write_set({})
    output.finish("done")
    return time.perf_counter() - start, len(report.layout.pictures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--frames", type=int, default=5000, help="about this many frames (whole edits of 480)")
    parser.add_argument("--methods", default="fast,transnet")
    parser.add_argument("--reel-shots", type=int, default=1000, help="shots of the thousand-shot reel")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    store = ModelStore()
    sample = store.path("transnetv2", "sample.mp4")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = tmp / "edit.mp4"
        repeat = max(1, round(args.frames / 480))
        print(f"building a {args.size} edit of {repeat * 480} frames from {sample.name} ...", flush=True)
        truth = edit.build(sample, clip, size=size, repeat=repeat)
        frames = truth["frames"]
        print(f"{frames} frames\n")
        print(f"{'run':<22} {'run s':>8} {'page s':>8} {'page/run':>9} {'pictures':>9}")
        for method in args.methods.split(","):
            out = tmp / method
            start = time.perf_counter()
            rushes.run("detect.shots", clip, out, {"method": method}, models=store)
            run_s = time.perf_counter() - start
            doc = json.loads((out / "shots.json").read_text(encoding="utf-8"))
            page_s, pictures = page_alone(doc, tmp / f"{method}-page", "shots")
            # the run's own time includes its page: the page's share is of the rest
            print(f"detect.shots {method:<9} {run_s - page_s:8.2f} {page_s:8.2f} {page_s / (run_s - page_s):9.1%} "
                  f"{pictures:9d}", flush=True)
            shutil.rmtree(out)

        # a thousand-shot reel: the same result with a cut every few frames
        shots = min(args.reel_shots, frames)
        step = frames / shots
        cuts = [round(k * step) for k in range(1, shots)]
        doc["cuts"] = cuts
        doc["annotations"]["sets"][0]["items"] = [{"type": "Marker", "frame": c, "name": f"cut {n}", "note": "",
                                                   "color": "red"} for n, c in enumerate(cuts, 1)]
        page_s, pictures = page_alone(doc, tmp / "reel-page", "shots")
        html = (tmp / "reel-page" / "shots.html").read_text(encoding="utf-8")
        lazy = html.count('loading="lazy"') == html.count("<img ")
        print(f"\n{shots}-shot reel: page {page_s:.2f} s for {pictures} pictures ({'every picture lazy' if lazy else 'NOT all lazy'}, "
              f"{len(html.encode()) / 1e6:.1f} MB of HTML)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

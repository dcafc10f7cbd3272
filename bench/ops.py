"""Discovery benchmark: how long listing operators takes, the cost every host pays on each refresh.

Prints, side by side in one run, the wall time (median of N fresh processes) of `rushes ops`,
`rushes ops --json`, `rushes hosts`, `python -c "import rushes.cli"` and the bare interpreter;
the target for `rushes ops` (< 0.5 s on a 2-core machine) and whether it is met; the heavy
libraries a listing imports (should be none); and the 10 largest cumulative entries of
`python -X importtime -m rushes.cli ops`.

    .venv/bin/python bench/ops.py [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.5
HEAVY = ("torch", "onnxruntime", "av", "OpenImageIO", "PyOpenColorIO", "ctranslate2", "faster_whisper")


def wall(cmd: list[str], runs: int) -> float:
    """Median wall time of `runs` fresh processes (after one warm-up, so the disk cache is warm)."""
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def importtime_top(n: int) -> list[tuple[int, int, str]]:
    """(cumulative us, self us, module) of the n slowest imports of `rushes ops`, by cumulative time."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "rushes.cli", "ops"], check=True,
                          capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        rows.append((int(cumulative), int(own), name.rstrip()))
    return sorted(rows, reverse=True)[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per command (median is printed)")
    args = parser.parse_args()
    py = sys.executable
    script = Path(py).with_name("rushes")  # the installed console script, as users run it
    rushes_cmd = [str(script)] if script.exists() else [py, "-m", "rushes.cli"]
    commands = {
        "rushes ops": rushes_cmd + ["ops"],
        "rushes ops --json": rushes_cmd + ["ops", "--json"],
        "rushes hosts": rushes_cmd + ["hosts"],
        'python -c "import rushes.cli"': [py, "-c", "import rushes.cli"],
        "python -c pass (interpreter)": [py, "-c", "pass"],
    }
    print(f"{os.cpu_count()} CPU(s), median of {args.runs} fresh processes each\n")
    print(f"{'command':<32} {'wall s':>7}")
    times = {}
    for label, cmd in commands.items():
        times[label] = wall(cmd, args.runs)
        print(f"{label:<32} {times[label]:7.3f}")
    met = times["rushes ops"] < TARGET_S
    print(f"\ntarget: rushes ops < {TARGET_S} s -> {'met' if met else 'NOT met'} ({times['rushes ops']:.3f} s)")

    check = (f"import sys, rushes.operators as o; o.discover(); "
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([py, "-c", check], check=True, capture_output=True, text=True).stdout.strip()
    print(f"heavy libraries imported by discover(): {loaded}")

    print("\nslowest imports of `rushes ops` (python -X importtime), cumulative:")
    print(f"{'cumulative ms':>13} {'self ms':>8}  module")
    for cumulative, own, name in importtime_top(10):
        print(f"{cumulative / 1000:13.1f} {own / 1000:8.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

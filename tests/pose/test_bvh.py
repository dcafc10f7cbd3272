"""pose.bvh: world landmarks solved to joint rotations, checked by forward kinematics here and by
Blender's own BVH importer in real bpy (the angles at elbows and knees are the landmarks')."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rushes.pose import bvh
from rushes.runner import run

from test_pose import person, plate, save

ROOT = Path(__file__).resolve().parents[2]
ANGLES = {"left elbow": ("LeftArm", "LeftForeArm", "LeftHand", "left_shoulder", "left_elbow", "left_wrist"),
          "right elbow": ("RightArm", "RightForeArm", "RightHand", "right_shoulder", "right_elbow", "right_wrist"),
          "left knee": ("LeftUpLeg", "LeftLeg", "LeftFoot", "left_hip", "left_knee", "left_ankle"),
          "right knee": ("RightUpLeg", "RightLeg", "RightFoot", "right_hip", "right_knee", "right_ankle")}


def angle(a, b, c) -> float:
    u, v = np.subtract(b, a), np.subtract(c, b)
    return float(np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1))))


@pytest.fixture(scope="module")
def three_people(store, tmp_path_factory):
    """detect.pose on three frames, a different real photograph in each (three poses), unsmoothed."""
    folder = tmp_path_factory.mktemp("three")
    for k, name in enumerate(("obama3.jpg", "biden.jpg", "obama.jpg")):
        save(plate([(person(name), (200, 40))]), folder / f"pose.{k + 1:04d}.png")
    out = tmp_path_factory.mktemp("out")
    result = run("detect.pose", folder / "pose.####.png", out, {"smoothing": False}, models=store).result
    return result, out / "pose.bvh"


def test_euler_angles_rebuild_each_rotation():
    rng = np.random.default_rng(7)
    for _ in range(50):
        q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        q *= np.sign(np.linalg.det(q))
        z, x, y = np.radians(bvh.zxy_degrees(q))
        rz = np.array([[np.cos(z), -np.sin(z), 0], [np.sin(z), np.cos(z), 0], [0, 0, 1]])
        rx = np.array([[1, 0, 0], [0, np.cos(x), -np.sin(x)], [0, np.sin(x), np.cos(x)]])
        ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
        assert np.allclose(rz @ rx @ ry, q, atol=1e-9)


def test_solved_rotations_point_every_bone_along_its_landmarks(three_people):
    result, _ = three_people
    for frame in (f for p in result.people for f in p.frames):
        named = bvh.points(np.array(frame.world))
        local = bvh.solve(named)
        world: dict[str, np.ndarray] = {}
        for joint, (parent, at, to, rest) in bvh.JOINTS.items():
            world[joint] = (world[parent] if parent else np.eye(3)) @ local[joint]
            got = world[joint] @ np.array(rest, float)
            want = (named[to] - named[at]) / np.linalg.norm(named[to] - named[at])
            assert got @ want > np.cos(np.radians(0.5)), joint


def test_blender_imports_the_bvh_with_the_landmarks_angles(three_people, tmp_path):
    given = os.environ.get("RUSHES_BLENDER_PYTHON")
    python = Path(given) if given else ROOT / ".venv-blender" / "bin" / "python"
    if not python.exists():
        pytest.skip("no Blender Python: `make test` creates .venv-blender with bpy==5.0.1")
    result, path = three_people
    text = path.read_text()
    assert text.startswith("HIERARCHY\nROOT Hips") and "Frames: 3\n" in text
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"bvh": str(path), "observed": str(tmp_path / "observed.json")}))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(python), str(Path(__file__).with_name("bvh_import.py")), str(args)],
                          capture_output=True, text=True, timeout=300, env={**env, "HOME": str(tmp_path)})
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    seen = json.loads((tmp_path / "observed.json").read_text())
    assert set(seen["bones"]) == set(bvh.JOINTS)
    frames = [f for p in result.people for f in p.frames]
    assert len(frames) == 3 and len(seen["frames"]) == 3
    measured = []
    for k, frame in enumerate(sorted(frames, key=lambda f: f.frame)):
        heads = seen["frames"][str(k + 1)]
        named = bvh.points(np.array(frame.world))
        for what, (a, b, c, la, lb, lc) in ANGLES.items():
            want = angle(named[la], named[lb], named[lc])
            got = angle(heads[a], heads[b], heads[c])
            measured.append((k, what, round(want, 1), round(got, 1)))
            assert abs(got - want) < 1.0, measured
    # three different photographs: the poses differ (the file is not one pose repeated)
    elbows = [m[2] for m in measured if m[1] == "left elbow"]
    assert max(elbows) - min(elbows) > 3, measured

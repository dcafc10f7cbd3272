"""pose.bvh: each person's world landmarks solved to joint rotations on a T-posed skeleton (Biovision BVH).

Bone lengths are each person's median over their frames; the rest pose is a T-pose (Y up, the
character facing +Z, their left towards +X, centimetres). Per frame each joint turns so that its
bone points where the landmarks say: hips and chest take a full orientation from two directions
(up the spine, across the hips or shoulders), limbs the shortest turn onto their bone's direction
(no twist: landmarks do not say it). The root stays at the origin: world landmarks are measured
about the hips, and the person's place in the plate is in the 2D tracks. Several people are
several roots in one file; a frame where a person is not seen holds their nearest seen pose.
"""
from __future__ import annotations

import numpy as np

from ..results import PoseTracks
from .blazepose import LANDMARKS

L = {name: k for k, name in enumerate(LANDMARKS)}
CM = 100.0

# joint: (parent, where it sits, where its bone points, rest direction of that bone)
# "hips" and "chest" are the mid-points of the hips and shoulders
JOINTS = {
    "Hips": (None, "hips", "chest", (0, 1, 0)),
    "Chest": ("Hips", "chest", "nose", (0, 1, 0)),
    "Head": ("Chest", "nose", "eyes", (0, 1, 0)),
    "LeftArm": ("Chest", "left_shoulder", "left_elbow", (1, 0, 0)),
    "LeftForeArm": ("LeftArm", "left_elbow", "left_wrist", (1, 0, 0)),
    "LeftHand": ("LeftForeArm", "left_wrist", "left_index", (1, 0, 0)),
    "RightArm": ("Chest", "right_shoulder", "right_elbow", (-1, 0, 0)),
    "RightForeArm": ("RightArm", "right_elbow", "right_wrist", (-1, 0, 0)),
    "RightHand": ("RightForeArm", "right_wrist", "right_index", (-1, 0, 0)),
    "LeftUpLeg": ("Hips", "left_hip", "left_knee", (0, -1, 0)),
    "LeftLeg": ("LeftUpLeg", "left_knee", "left_ankle", (0, -1, 0)),
    "LeftFoot": ("LeftLeg", "left_ankle", "left_foot_index", (0, 0, 1)),
    "RightUpLeg": ("Hips", "right_hip", "right_knee", (0, -1, 0)),
    "RightLeg": ("RightUpLeg", "right_knee", "right_ankle", (0, -1, 0)),
    "RightFoot": ("RightLeg", "right_ankle", "right_foot_index", (0, 0, 1)),
}
# the second direction a joint's full orientation is taken from (across the body, subject's right to left)
ACROSS = {"Hips": ("right_hip", "left_hip"), "Chest": ("right_shoulder", "left_shoulder")}


def points(world: np.ndarray) -> dict[str, np.ndarray]:
    """Named points in BVH axes (Y up, facing +Z) from MediaPipe world landmarks (y down, z away), in cm."""
    p = world * np.array([1.0, -1.0, -1.0]) * CM
    named = {name: p[..., k, :] for name, k in L.items()}
    named["hips"] = (named["left_hip"] + named["right_hip"]) / 2
    named["chest"] = (named["left_shoulder"] + named["right_shoulder"]) / 2
    named["eyes"] = (named["left_eye"] + named["right_eye"]) / 2
    return named


def _frame(up: np.ndarray, across: np.ndarray) -> np.ndarray:
    """Orthonormal columns (x: across, y: up, z: forward) from an up and an across direction."""
    y = up / max(np.linalg.norm(up), 1e-9)
    x = across - y * (across @ y)
    if np.linalg.norm(x) < 1e-9:  # across along up (a degenerate frame): any direction across will do
        x = np.cross(y, [0.0, 0, 1]) if abs(y[2]) < 0.9 else np.cross(y, [1.0, 0, 0])
    x = x / np.linalg.norm(x)
    return np.column_stack([x, y, np.cross(x, y)])


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The shortest rotation taking direction a onto direction b."""
    if np.linalg.norm(a) < 1e-9 or np.linalg.norm(b) < 1e-9:  # a bone of no length: nowhere to point it
        return np.eye(3)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    v, c = np.cross(a, b), float(a @ b)
    if c < -0.999999:  # opposite: half a turn about any axis across a
        axis = np.cross(a, [1.0, 0, 0]) if abs(a[0]) < 0.9 else np.cross(a, [0, 1.0, 0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1 + c)


def zxy_degrees(r: np.ndarray) -> tuple[float, float, float]:
    """(Z, X, Y) Euler angles in degrees of R = Rz Rx Ry, the order of the BVH channels written."""
    x = np.arcsin(np.clip(r[2, 1], -1, 1))
    y = np.arctan2(-r[2, 0], r[2, 2])
    z = np.arctan2(-r[0, 1], r[1, 1])
    return tuple(float(np.degrees(a)) for a in (z, x, y))


def solve(named: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each joint's rotation relative to its parent for one frame's named points."""
    world_rot: dict[str, np.ndarray] = {}
    local: dict[str, np.ndarray] = {}
    for joint, (parent, at, to, rest) in JOINTS.items():
        parent_rot = world_rot[parent] if parent else np.eye(3)
        bone = named[to] - named[at]
        if joint in ACROSS:
            a, b = ACROSS[joint]
            observed = _frame(bone, named[b] - named[a])
            rest_frame = _frame(np.array(rest, float), np.array([1.0, 0, 0]))
            rot = observed @ rest_frame.T
        else:
            rot = _swing(parent_rot @ np.array(rest, float), bone) @ parent_rot
        world_rot[joint] = rot
        local[joint] = parent_rot.T @ rot
    return local


def _offsets(named: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each joint's rest offset from its parent (median lengths along the T-pose) and its end site."""
    def length(a: str, b: str) -> float:
        return float(np.median(np.linalg.norm(named[b] - named[a], axis=-1)))

    half_hips, half_shoulders = length("right_hip", "left_hip") / 2, length("right_shoulder", "left_shoulder") / 2
    spine = length("hips", "chest")
    out: dict[str, np.ndarray] = {"Hips": np.zeros(3), "Chest": np.array([0, spine, 0])}
    for joint, (parent, at, to, rest) in JOINTS.items():
        if joint in ("Hips", "Chest"):
            continue
        p_at = JOINTS[parent][1]
        if joint.endswith("Arm") and "Fore" not in joint:
            out[joint] = np.array([half_shoulders if joint.startswith("Left") else -half_shoulders, 0, 0])
        elif joint.endswith("UpLeg"):
            out[joint] = np.array([half_hips if joint.startswith("Left") else -half_hips, 0, 0])
        else:
            out[joint] = np.array(JOINTS[parent][3], float) * length(p_at, at)
    for joint, (_, at, to, rest) in JOINTS.items():
        out[joint + ".end"] = np.array(rest, float) * length(at, to)
    return out


def _hierarchy(prefix: str, offsets: dict[str, np.ndarray], joint: str, depth: int) -> list[str]:
    pad = "\t" * depth
    off = " ".join(f"{v:.4f}" for v in offsets[joint])
    channels = ("6 Xposition Yposition Zposition Zrotation Xrotation Yrotation" if depth == 0
                else "3 Zrotation Xrotation Yrotation")
    lines = [f"{pad}{'ROOT' if depth == 0 else 'JOINT'} {prefix}{joint}", f"{pad}{{", f"{pad}\tOFFSET {off}",
             f"{pad}\tCHANNELS {channels}"]
    children = [j for j, spec in JOINTS.items() if spec[0] == joint]
    for child in children:
        lines += _hierarchy(prefix, offsets, child, depth + 1)
    if not children:  # a leaf's bone ends at an end site (where its landmark points)
        end = " ".join(f"{v:.4f}" for v in offsets[joint + ".end"])
        lines += [f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {end}", f"{pad}\t}}"]
    lines.append(f"{pad}}}")
    return lines


def to_bvh(result: PoseTracks) -> str:
    """One BVH holding a skeleton per person (joints named p<id>_<Joint>), a motion frame per source frame."""
    order = list(JOINTS)
    rate = float(result.rate) if result.rate else 24.0
    lines = ["HIERARCHY"]
    motion: list[list[float]] = [[] for _ in range(max(result.frame_count, 1))]
    for person in result.people:
        if not person.frames:
            continue
        seen = np.array([f.frame for f in person.frames])
        world = np.array([f.world for f in person.frames], float)
        named_all = points(world)
        prefix = f"p{person.id}_" if len(result.people) > 1 else ""
        lines += _hierarchy(prefix, _offsets(named_all), "Hips", 0)
        solved = [solve({k: v[i] for k, v in named_all.items()}) for i in range(len(seen))]
        for n in range(len(motion)):
            frame = result.first_frame + n
            i = int(np.argmin(np.abs(seen - frame)))  # nearest seen frame (held outside the person's span)
            motion[n] += [0.0, 0.0, 0.0]
            for joint in order_depth_first(order):
                motion[n] += zxy_degrees(solved[i][joint])
    lines += ["MOTION", f"Frames: {len(motion)}", f"Frame Time: {1.0 / rate:.6f}"]
    lines += [" ".join(f"{v:.4f}" for v in row) for row in motion]
    return "\n".join(lines) + "\n"


def order_depth_first(order: list[str], joint: str = "Hips") -> list[str]:
    """The joints in the order the hierarchy lists them (its channels come in this order)."""
    out = [joint]
    for child in (j for j in order if JOINTS[j][0] == joint):
        out += order_depth_first(order, child)
    return out

"""Following people through frames with BlazePose: each person's next square from this frame's
landmarks, the detector only where someone is lost (and every DETECT_EVERY frames, for people who
walk in); One-Euro smoothing of each person's landmarks afterwards."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

from ..faces.blazeface import iou
from ..results import PoseFrame, PoseTrack
from .blazepose import BlazePose, Person, Roi

DETECT_EVERY = 30  # frames between detector passes while everyone is tracked
SAME_PERSON_IOU = 0.5  # two tracks whose landmark boxes overlap this much follow one person: the newer goes
# One-Euro filter (Casiez et al. 2012) with the settings of MediaPipe's pose_landmark_filtering graph:
# speed measured in person-sizes (the square's side) per second, so a far and a near person are
# smoothed alike; cut-off MIN_CUTOFF Hz at rest (jitter goes), rising by BETA Hz per size/s (a
# moving limb is followed without lag); the speed itself low-passed at D_CUTOFF Hz. World
# landmarks (metres) use MediaPipe's world settings with a size of 1 m.
MIN_CUTOFF, BETA, D_CUTOFF = 0.05, 80.0, 1.0
WORLD_MIN_CUTOFF, WORLD_BETA = 0.1, 40.0


def landmark_box(person: Person) -> np.ndarray:
    xy = person.landmarks[:, :2]
    return np.concatenate([xy.min(0), xy.max(0)]).astype(np.float32)


@dataclass
class _Open:
    id: int
    roi: Roi
    box: np.ndarray
    last: int
    seen: list[tuple[int, Person, float]] = field(default_factory=list)  # frame, person, square side


def follow(pose: BlazePose, pictures: Iterable[tuple[int, np.ndarray]], max_gap: int = 8,
           progress=lambda k, frame: None) -> list[tuple[int, list[tuple[int, Person, float]]]]:
    """(id, [(frame, person, size)]) for every person, ids from 1 in order of appearance."""
    active: list[_Open] = []
    lost: list[_Open] = []
    done: list[_Open] = []
    next_id, since_detect, lost_one = 1, 0, True
    for k, (frame, rgb8) in enumerate(pictures):
        progress(k, frame)
        still: list[_Open] = []
        for t in active:
            p = pose.landmarks(rgb8, t.roi)
            if p is None:
                lost.append(t)
                lost_one = True
                continue
            box = landmark_box(p)
            if any(iou(box, o.box[None])[0] > SAME_PERSON_IOU for o in still):
                done.append(t)  # two squares drifted onto one person: the older track keeps it
                continue
            t.seen.append((frame, p, t.roi.side))
            t.roi, t.box, t.last = p.next_roi, box, frame
            still.append(t)
        active = still
        if lost_one or since_detect >= DETECT_EVERY:
            since_detect, lost_one = 0, False
            for roi in pose.detect(rgb8):
                if any(iou(roi.box(), o.roi.box()[None])[0] > 0.3 for o in active):
                    continue  # someone already followed
                p = pose.landmarks(rgb8, roi)
                if p is None:
                    continue
                box = landmark_box(p)
                if any(iou(box, o.box[None])[0] > SAME_PERSON_IOU for o in active):
                    continue
                lost = [t for t in lost if frame - t.last <= max_gap + 1 or done.append(t)]
                back = max(lost, key=lambda t: iou(box, t.box[None])[0], default=None)
                if back is not None and iou(box, back.box[None])[0] > 0.2:
                    lost.remove(back)  # the same person, back after a few frames: same id
                    t = back
                else:
                    t = _Open(next_id, roi, box, frame)
                    next_id += 1
                t.seen.append((frame, p, roi.side))
                t.roi, t.box, t.last = p.next_roi, box, frame
                active.append(t)
        else:
            since_detect += 1
    everyone = sorted(done + lost + active, key=lambda t: t.id)
    return [(t.id, t.seen) for t in everyone if t.seen]


def _one_euro(values: np.ndarray, seconds: np.ndarray, size: np.ndarray, min_cutoff: float = MIN_CUTOFF,
              beta: float = BETA) -> np.ndarray:
    """Causal One-Euro filter along axis 0 of values [n, ...]; `size` [n] scales the speed."""
    out = values.copy()
    speed = np.zeros_like(values[0])
    for i in range(1, len(values)):
        dt = max(float(seconds[i] - seconds[i - 1]), 1e-6)
        alpha = lambda cutoff: 1.0 / (1.0 + 1.0 / (2 * np.pi * cutoff * dt))  # noqa: E731
        raw_speed = (values[i] - out[i - 1]) / dt / size[i]
        speed = speed + alpha(D_CUTOFF) * (raw_speed - speed)
        a = alpha(min_cutoff + beta * np.abs(speed))
        out[i] = out[i - 1] + a * (values[i] - out[i - 1])
    return out


def tracks(found: list[tuple[int, list[tuple[int, Person, float]]]], fps: float | None,
           smoothing: bool) -> Iterator[PoseTrack]:
    """PoseTracks' people; each unbroken run of frames smoothed on its own (a gap restarts the filter)."""
    for pid, seen in found:
        frames = np.array([f for f, _, _ in seen])
        marks = np.stack([p.landmarks for _, p, _ in seen])
        world = np.stack([p.world for _, p, _ in seen])
        if smoothing and fps:
            starts = [0] + [i for i in range(1, len(frames)) if frames[i] != frames[i - 1] + 1] + [len(frames)]
            size = np.array([s for _, _, s in seen])
            for a, b in zip(starts, starts[1:]):
                t = frames[a:b] / fps
                marks[a:b, :, :3] = _one_euro(marks[a:b, :, :3], t, size[a:b])
                world[a:b] = _one_euro(world[a:b], t, np.ones(b - a), WORLD_MIN_CUTOFF, WORLD_BETA)
        yield PoseTrack(pid, [PoseFrame(int(f), round(float(p.score), 4),
                                        [[round(float(v), 2) for v in m[:3]] + [round(float(m[3]), 4)] for m in mk],
                                        [[round(float(v), 4) for v in w] for w in wl])
                              for f, (_, p, _), mk, wl in zip(frames, seen, marks, world)])

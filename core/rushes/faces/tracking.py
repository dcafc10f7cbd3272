"""Linking per-frame face detections into tracks with stable ids.

Each open track predicts its box in the next frame from its last box and a smoothed velocity
(constant-velocity motion model); detections are matched to predictions greedily by IoU. A
track that finds no detection stays open for `max_gap` frames, so a face hidden for a few frames
(a hand, a passing actor, a blink of the detector) keeps its id; the frames in between are
filled by linear interpolation and marked `detected: false`. Optional smoothing is a centred
moving average over the track.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..results import FacePosition, FaceTrack
from .blazeface import Detection, iou


@dataclass
class _Open:
    id: int
    frames: list[int] = field(default_factory=list)
    found: list[Detection] = field(default_factory=list)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(4, np.float32))

    def predict(self, frame: int) -> np.ndarray:
        return self.found[-1].box + self.velocity * (frame - self.frames[-1])


def link(per_frame: list[tuple[int, list[Detection]]], max_gap: int = 8, min_iou: float = 0.2,
         min_track: int = 1, smooth: int = 0) -> list[FaceTrack]:
    """Tracks from (frame number, detections) in frame order; ids count from 1 in order of appearance."""
    open_: list[_Open] = []
    closed: list[_Open] = []
    next_id = 1
    for frame, detections in per_frame:
        still = []
        for t in open_:
            (still if frame - t.frames[-1] <= max_gap + 1 else closed).append(t)
        open_ = still
        pairs = []
        for ti, t in enumerate(open_):
            if detections:
                overlap = iou(t.predict(frame), np.stack([d.box for d in detections]))
                pairs += [(float(o), ti, di) for di, o in enumerate(overlap) if o >= min_iou]
        used_t, used_d = set(), set()
        for _, ti, di in sorted(pairs, reverse=True):
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            t, d = open_[ti], detections[di]
            step = (d.box - t.found[-1].box) / (frame - t.frames[-1])
            t.velocity = step if len(t.found) == 1 else 0.5 * t.velocity + 0.5 * step
            t.frames.append(frame)
            t.found.append(d)
        for di, d in enumerate(detections):
            if di not in used_d:
                open_.append(_Open(next_id, [frame], [d]))
                next_id += 1
    tracks = []
    for t in sorted(closed + open_, key=lambda t: t.id):
        positions = _fill(t)
        if len(positions) >= min_track:
            tracks.append(FaceTrack(t.id, _smooth(positions, smooth) if smooth else positions))
    for n, track in enumerate(tracks, 1):  # ids stay dense after short tracks are dropped
        track.id = n
    return tracks


def _position(frame: int, box: np.ndarray, points: np.ndarray, score: float, detected: bool) -> FacePosition:
    return FacePosition(frame, [round(float(v), 2) for v in box],
                        [[round(float(x), 2), round(float(y), 2)] for x, y in points], round(float(score), 4), detected)


def _fill(t: _Open) -> list[FacePosition]:
    out = []
    for k, (frame, d) in enumerate(zip(t.frames, t.found)):
        if k:
            prev_frame, prev = t.frames[k - 1], t.found[k - 1]
            for f in range(prev_frame + 1, frame):
                a = (f - prev_frame) / (frame - prev_frame)
                out.append(_position(f, (1 - a) * prev.box + a * d.box, (1 - a) * prev.landmarks + a * d.landmarks,
                                     min(prev.score, d.score), False))
        out.append(_position(frame, d.box, d.landmarks, d.score, True))
    return out


def _smooth(positions: list[FacePosition], radius: int) -> list[FacePosition]:
    boxes = np.array([p.box for p in positions], np.float64)
    points = np.array([p.landmarks for p in positions], np.float64)
    out = []
    for k, p in enumerate(positions):
        lo, hi = max(0, k - radius), min(len(positions), k + radius + 1)
        out.append(_position(p.frame, boxes[lo:hi].mean(0), points[lo:hi].mean(0), p.score, p.detected))
    return out

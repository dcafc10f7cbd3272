"""Face identity: 128-d dlib ResNet descriptors of aligned faces, one per face track, grouped into people.

A face found by rushes' own detector (BlazeFace or MTCNN) is given to dlib as a rectangle; dlib's
5-point shape predictor finds the eye corners and the nose base, `dlib.get_face_chip` cuts a
150x150 chip aligned the way the descriptor network was trained, and the network gives a 128-d
vector. Two faces of one person lie within Euclidean distance 0.6 of each other (dlib's own
threshold; 99.38 % on LFW). A track's descriptor is the mean over up to eight of its detected
frames, the best scored of equal stretches of the track, so one blurred or turned frame does not
decide. Tracks are grouped into people by average-linkage agglomerative clustering at the same
threshold.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from ..results import FacePosition

TOLERANCE = 0.6  # dlib: same person below this Euclidean distance
RESNET = "dlib_face_recognition_resnet_model_v1.dat"
SHAPE = "shape_predictor_5_face_landmarks.dat"


class FaceEncoder:
    """The descriptor network and its 5-point alignment, loaded once per process (rushes.modelstore.loaded)."""

    def __init__(self, model_dir: Path):
        from ..modelstore.loaded import load_weights

        def load():
            import dlib

            return dlib.shape_predictor(str(model_dir / SHAPE)), dlib.face_recognition_model_v1(str(model_dir / RESNET))

        self.shape, self.net = load_weights([model_dir / SHAPE, model_dir / RESNET], ("dlib-face-identity",), load)

    def describe(self, rgb8: np.ndarray, boxes: Sequence[Sequence[float]]) -> np.ndarray:
        """Descriptors [n, 128] of the faces in `boxes` ((x0, y0, x1, y1) source pixels) of one
        display-referred RGB uint8 picture."""
        import dlib

        if not len(boxes):
            return np.zeros((0, 128), np.float32)
        picture = np.ascontiguousarray(rgb8[..., :3], dtype=np.uint8)
        shapes = dlib.full_object_detections()
        for x0, y0, x1, y1 in boxes:
            shapes.append(self.shape(picture, dlib.rectangle(int(round(x0)), int(round(y0)),
                                                             int(round(x1)), int(round(y1)))))
        return np.array(self.net.compute_face_descriptor(picture, shapes, 0), np.float32).reshape(len(boxes), 128)


def pick_frames(positions: Sequence[FacePosition], count: int = 8) -> list[FacePosition]:
    """Up to `count` detected positions spread over a track: the best scored of each of `count`
    equal stretches of it (frames the tracker bridged are never used)."""
    found = [p for p in positions if p.detected] or list(positions)
    if len(found) <= count:
        return found
    edges = np.linspace(0, len(found), count + 1).round().astype(int)
    return [max(found[a:b], key=lambda p: p.score) for a, b in zip(edges, edges[1:]) if b > a]


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between every row of `a` [n, 128] and every row of `b` [m, 128]: [n, m]."""
    a = np.asarray(a, np.float64).reshape(-1, 128)
    b = np.asarray(b, np.float64).reshape(-1, 128)
    return np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0))


def group(descriptors: np.ndarray, threshold: float = TOLERANCE) -> list[int]:
    """People among face descriptors [n, 128]: average-linkage agglomerative clustering, merging
    while the mean distance between two groups is below `threshold`. Returns a label per row,
    numbered from 0 in order of first row."""
    n = len(descriptors)
    d = distances(descriptors, descriptors)
    groups: list[list[int]] = [[i] for i in range(n)]
    while len(groups) > 1:
        best, pair = threshold, None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                mean = float(d[np.ix_(groups[i], groups[j])].mean())
                if mean < best:
                    best, pair = mean, (i, j)
        if pair is None:
            break
        i, j = pair
        groups[i] = sorted(groups[i] + groups.pop(j))
    groups.sort(key=min)
    labels = [0] * n
    for label, members in enumerate(groups):
        for i in members:
            labels[i] = label
    return labels


def confidence(distance: float, threshold: float = TOLERANCE) -> float:
    """How sure a match at `distance` is, 0-1: 0.5 at the threshold, 0.97 at 0.2 below it, 0.03 at
    0.2 above it (a logistic in the distance)."""
    return 1.0 / (1.0 + math.exp((distance - threshold) / 0.057))

"""BlazePose GHUM (MediaPipe Pose) on LiteRT: the person detector, the region of interest, the landmark model.

The .tflite files come unchanged from the pinned mediapipe wheel (models/blazepose.toml) and run
in LiteRT (ai-edge-litert), which needs no TensorFlow. Pre- and post-processing follow
MediaPipe's pose graphs (pose_detection_cpu, pose_detection_to_roi, pose_landmark_by_roi_cpu,
pose_landmarks_to_roi):

- the detector sees the frame letterboxed to 224 x 224 in [-1, 1]; SSD anchors (strides 8, 16,
  32, 32, 32, two anchors a cell) decode a box and four keypoints; sigmoid scores; weighted NMS.
- the region of interest is a rotated square centred on keypoint 0 (hip centre), turned so that
  keypoint 1 (the body's scale point, above the head) is straight up, of side 2.5 x their distance.
- the landmark model sees that square resampled to 256 x 256 in [0, 1] and gives 39 landmarks
  (33 of the body, then hip centre and scale point for the next frame's square), each x, y, z and
  raw visibility/presence, a 64 x 64 heatmap a landmark (refines x, y) and 39 world landmarks in
  metres, origin at the hips.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..faces.blazeface import grid_anchors, weighted_nms

DETECTOR_SIZE, LANDMARK_SIZE = 224, 256
STRIDES = (8, 16, 32, 32, 32)
MIN_DETECTION = 0.5  # pose_detection_cpu's min_score_thresh
NMS_IOU = 0.3
ROI_SCALE = 1.25  # RectTransformationCalculator in both ROI graphs (the box is 2 x the keypoint distance first)
MIN_PRESENCE = 0.5  # below this the landmark model says no person is in the square: the track is lost
HEATMAP_KERNEL, HEATMAP_MIN = 7, 0.5  # RefineLandmarksFromHeatmapCalculator's kernel_size, min_confidence_to_refine
N_BODY = 33
MODELS = {"lite": "pose_landmark_lite.tflite", "full": "pose_landmark_full.tflite",
          "heavy": "pose_landmark_heavy.tflite"}

LANDMARKS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
# mediapipe.python.solutions.pose_connections.POSE_CONNECTIONS, as the wheel ships it
EDGES = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12), (11, 13), (13, 15),
    (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16), (16, 18), (16, 20), (16, 22), (18, 20),
    (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28), (27, 29), (28, 30), (29, 31),
    (30, 32), (27, 31), (28, 32),
)
# each landmark's parent in a tree rooted at the nose: MediaPipe's edges where they form one, and
# nose -> shoulders and nose -> mouth corners where MediaPipe's face and body are not joined
PARENT = {1: 0, 2: 1, 3: 2, 7: 3, 4: 0, 5: 4, 6: 5, 8: 6, 9: 0, 10: 9, 11: 0, 12: 0, 13: 11, 15: 13, 17: 15,
          19: 15, 21: 15, 14: 12, 16: 14, 18: 16, 20: 16, 22: 16, 23: 11, 24: 12, 25: 23, 27: 25, 29: 27, 31: 27,
          26: 24, 28: 26, 30: 28, 32: 28}


@dataclass
class Roi:
    """A rotated square in source pixels: centre, side, rotation (radians, counter-clockwise on screen)."""

    cx: float
    cy: float
    side: float
    rotation: float

    def box(self) -> np.ndarray:
        """The axis-aligned box around the square (x0, y0, x1, y1)."""
        half = self.side / 2 * (abs(np.cos(self.rotation)) + abs(np.sin(self.rotation)))
        return np.array([self.cx - half, self.cy - half, self.cx + half, self.cy + half], np.float32)

    def matrix(self, size: int) -> np.ndarray:
        """2 x 3 affine from a size x size crop's pixel centres to source pixels."""
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        k = self.side / size
        return np.array([[c * k, -s * k, self.cx - (c - s) * self.side / 2],
                         [s * k, c * k, self.cy - (s + c) * self.side / 2]], np.float64)


def roi_from(centre: np.ndarray, scale_point: np.ndarray) -> Roi:
    """AlignmentPointsRectsCalculator (target angle 90 degrees) then RectTransformationCalculator (1.25, square)."""
    dx, dy = scale_point - centre
    rotation = np.pi / 2 - np.arctan2(-dy, dx)
    rotation = (rotation + np.pi) % (2 * np.pi) - np.pi
    return Roi(float(centre[0]), float(centre[1]), float(2 * np.hypot(dx, dy) * ROI_SCALE), float(rotation))


def warp(rgb8: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """A size x size float32 RGB crop (0-255) sampled bilinearly at matrix @ (u + 0.5, v + 0.5); zeros outside."""
    h, w = rgb8.shape[:2]
    v, u = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    x = matrix[0, 0] * u + matrix[0, 1] * v + matrix[0, 2] - 0.5
    y = matrix[1, 0] * u + matrix[1, 1] * v + matrix[1, 2] - 0.5
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = (x - x0)[..., None].astype(np.float32), (y - y0)[..., None].astype(np.float32)
    out = np.zeros((size, size, 3), np.float32)
    for dy_, wy in ((0, 1 - fy), (1, fy)):
        for dx_, wx in ((0, 1 - fx), (1, fx)):
            xi, yi = x0 + dx_, y0 + dy_
            inside = ((xi >= 0) & (xi < w) & (yi >= 0) & (yi < h))[..., None]
            px = rgb8[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)].astype(np.float32)
            out += np.where(inside, px, 0.0) * wx * wy
    return out


@dataclass
class Person:
    """One person in one frame: 33 landmarks [x, y (source px), z (source px, towards the camera < 0),
    visibility 0-1], 33 world landmarks [x, y, z] in metres (origin between the hips), the
    landmark model's presence score, and the square the next frame is searched in."""

    landmarks: np.ndarray
    world: np.ndarray
    score: float
    next_roi: Roi


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80, 80)))


class BlazePose:
    """The detector and one landmark model (lite, full or heavy), each a LiteRT interpreter."""

    def __init__(self, model_dir: Path, model: str = "full", threads: int = 0):
        from ai_edge_litert.interpreter import Interpreter

        kwargs = {"num_threads": threads} if threads else {}
        self.detector = Interpreter(str(Path(model_dir) / "pose_detection.tflite"), **kwargs)
        self.landmarker = Interpreter(str(Path(model_dir) / MODELS[model]), **kwargs)
        for net in (self.detector, self.landmarker):
            net.allocate_tensors()
        self.anchors = grid_anchors(DETECTOR_SIZE, DETECTOR_SIZE, STRIDES, 1.0) / DETECTOR_SIZE
        outs = {d["name"]: d["index"] for d in self.landmarker.get_output_details()}
        # Identity: landmarks [195], _1: presence [1], _2: segmentation, _3: heatmap [64, 64, 39], _4: world [117]
        self._lm_out = [outs[n] for n in ("Identity", "Identity_1", "Identity_3", "Identity_4")]
        douts = {d["name"]: d["index"] for d in self.detector.get_output_details()}
        self._det_out = [douts["Identity"], douts["Identity_1"]]

    def detect(self, rgb8: np.ndarray, min_score: float = MIN_DETECTION) -> list[Roi]:
        """The square of every person the detector finds, best first."""
        h, w = rgb8.shape[:2]
        scale = max(w, h) / DETECTOR_SIZE  # letterboxed: the long side fills the input, centred
        ox, oy = (w - scale * DETECTOR_SIZE) / 2, (h - scale * DETECTOR_SIZE) / 2
        matrix = np.array([[scale, 0, ox], [0, scale, oy]])
        crop = warp(rgb8, matrix, DETECTOR_SIZE) / 127.5 - 1.0
        self.detector.set_tensor(self.detector.get_input_details()[0]["index"], crop[None].astype(np.float32))
        self.detector.invoke()
        reg = self.detector.get_tensor(self._det_out[0])[0]
        scores = _sigmoid(self.detector.get_tensor(self._det_out[1])[0, :, 0])
        keep = scores >= min_score
        if not keep.any():
            return []
        reg, scores, anchors = reg[keep] / DETECTOR_SIZE, scores[keep], self.anchors[keep]
        centre = anchors + reg[:, :2]
        half = reg[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], 1) * DETECTOR_SIZE * scale + [ox, oy, ox, oy]
        points = (anchors[:, None] + reg[:, 4:12].reshape(-1, 4, 2)) * DETECTOR_SIZE * scale + [ox, oy]
        return [roi_from(d.landmarks[0], d.landmarks[1]) for d in weighted_nms(boxes, points, scores, NMS_IOU)]

    def landmarks(self, rgb8: np.ndarray, roi: Roi) -> Person | None:
        """The person in `roi`, or None where the landmark model finds nobody there."""
        matrix = roi.matrix(LANDMARK_SIZE)
        crop = warp(rgb8, matrix, LANDMARK_SIZE) / 255.0
        net = self.landmarker
        net.set_tensor(net.get_input_details()[0]["index"], crop[None].astype(np.float32))
        net.invoke()
        raw, presence, heat, world = (net.get_tensor(i) for i in self._lm_out)
        score = float(presence.reshape(-1)[0])  # already a probability (pose_landmark_by_roi thresholds it as is)
        if score < MIN_PRESENCE:
            return None
        raw = raw.reshape(39, 5).astype(np.float64)
        xy = _refine(raw[:, :2].copy(), heat[0])
        src = xy @ matrix[:, :2].T + matrix[:, 2]
        z = raw[:, 2] * roi.side / LANDMARK_SIZE
        visibility = _sigmoid(raw[:, 3])
        marks = np.column_stack([src, z, visibility])
        c, s = np.cos(roi.rotation), np.sin(roi.rotation)
        w3 = world.reshape(39, 3).astype(np.float64)
        # WorldLandmarkProjectionCalculator: world landmarks turned with the square
        wx = c * w3[:, 0] - s * w3[:, 1]
        wy = s * w3[:, 0] + c * w3[:, 1]
        world3 = np.column_stack([wx, wy, w3[:, 2]])
        return Person(marks[:N_BODY], world3[:N_BODY], score, roi_from(src[33], src[34]))


def _refine(xy: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """RefineLandmarksFromHeatmapCalculator: a landmark moves to the heatmap's weighted centre in a
    7 x 7 window around it, where the heatmap is confident there."""
    hh, hw, _ = heat.shape
    r = HEATMAP_KERNEL // 2
    for k in range(min(len(xy), heat.shape[2])):
        cx = int(xy[k, 0] / LANDMARK_SIZE * hw)
        cy = int(xy[k, 1] / LANDMARK_SIZE * hh)
        if not (0 <= cx < hw and 0 <= cy < hh):
            continue
        y0, y1, x0, x1 = max(0, cy - r), min(hh, cy + r + 1), max(0, cx - r), min(hw, cx + r + 1)
        conf = _sigmoid(heat[y0:y1, x0:x1, k].astype(np.float64))
        if conf.max() < HEATMAP_MIN or conf.sum() <= 0:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        # MediaPipe weighs the cells' indices, not their centres; kept so, as the model was tuned with it
        xy[k, 0] = (xx * conf).sum() / conf.sum() / hw * LANDMARK_SIZE
        xy[k, 1] = (yy * conf).sum() / conf.sum() / hh * LANDMARK_SIZE
    return xy

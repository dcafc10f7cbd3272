"""Fast content detector: Y'CbCr histogram and thumbnail differences with adaptive thresholds.

Hard cuts: the frame-to-frame difference must stand out from its neighbours (a ratio, so fast
motion, which raises every difference, does not fire) and from the frames just before and after
(so a flash of 1-3 frames, after which the picture returns, does not fire). Dissolves and fades:
a frame in the middle of a gradual transition is the average of the frames either side of it,
which camera motion is not.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SIZE = (64, 36)  # (width, height) of the Y'CbCr thumbnails the media layer provides
HIST_BINS = (16, 8, 8)  # Y', Cb, Cr


@dataclass
class FastFeatures:
    """Per-frame features, about 2.5 KB a frame: Y'CbCr histograms, 32x18 thumbnails, mean luma."""

    hists: list[np.ndarray] = field(default_factory=list)
    thumbs: list[np.ndarray] = field(default_factory=list)
    luma: list[float] = field(default_factory=list)

    def add(self, ycbcr: np.ndarray) -> None:
        """Add one frame: float or uint8 Y'CbCr, HxWx3 (SIZE)."""
        parts = []
        for c, bins in enumerate(HIST_BINS):
            idx = np.minimum((ycbcr[:, :, c] * (bins / 256.0)).astype(np.int32), bins - 1).ravel()
            parts.append(np.bincount(idx, minlength=bins) / idx.size)
        self.hists.append(np.concatenate(parts).astype(np.float32))
        h, w = ycbcr.shape[0] // 2 * 2, ycbcr.shape[1] // 2 * 2
        self.thumbs.append(ycbcr[:h, :w].reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3), dtype=np.float32))
        # video-range Y' (16-235) to 0-255, so "black" means the same as for RGB frames
        self.luma.append(float((ycbcr[:, :, 0].mean() - 16.0) * (255.0 / 219.0)))


def detect(features: FastFeatures, adaptive_ratio: float = 3.0, min_score: float = 0.08,
           window: int = 4, flash_frames: int = 3, dissolves: bool = True,
           dissolve_min: float = 16.0) -> list[tuple[int, float]]:
    """Transitions as (index of the first frame of the new shot, confidence 0-1)."""
    n = len(features.thumbs)
    if n < 2:
        return []
    hists = np.stack(features.hists)
    thumbs = np.stack(features.thumbs)
    hist_d = np.zeros(n, np.float32)
    pix_d = np.zeros(n, np.float32)
    hist_d[1:] = 0.5 * np.abs(hists[1:] - hists[:-1]).sum(axis=1) / 3.0
    pix_d[1:] = np.abs(thumbs[1:] - thumbs[:-1]).mean(axis=(1, 2, 3))
    score = hist_d + pix_d / 255.0

    found: list[tuple[int, float]] = []
    for t in range(1, n):
        if score[t] < min_score:
            continue
        lo, hi = max(1, t - window), min(n, t + window + 1)
        neighbours = np.concatenate([score[lo:t], score[t + 1:hi]])
        base = float(neighbours.mean()) if len(neighbours) else 0.0
        ratio = score[t] / max(base, 1e-3)
        if ratio < adaptive_ratio:
            continue
        if _is_flash(thumbs, t, flash_frames, pix_d[t]):
            continue
        found.append((t, float(min(1.0, score[t] / (2 * min_score)) * min(1.0, ratio / (2 * adaptive_ratio)) ** 0.5)))
    if dissolves:
        found += _dissolves(thumbs, pix_d, dissolve_min)
    return found


def _is_flash(thumbs: np.ndarray, t: int, k: int, jump: float) -> bool:
    """True when a frame shortly before t matches a frame shortly after: the picture came back.

    Pairs (t-i, t+j) spanning at most k+1 frames are compared, except the pair (t-1, t) that
    made the jump.
    """
    n = len(thumbs)
    for i in range(1, min(k, t) + 1):
        for j in range(0, min(k + 1 - i, n - 1 - t) + 1):
            if (i, j) == (1, 0):
                continue
            if np.abs(thumbs[t + j] - thumbs[t - i]).mean() < 0.35 * jump:
                return True
    return False


def _dissolves(thumbs: np.ndarray, pix_d: np.ndarray, dissolve_min: float) -> list[tuple[int, float]]:
    """Centres of gradual transitions, found by the linearity of a cross-fade."""
    n = len(thumbs)
    best = np.zeros(n, np.float32)
    for h in (8, 12):  # shorter spans confuse motion with mixing
        if n <= 2 * h:
            continue
        a, mid, b = thumbs[: n - 2 * h], thumbs[h: n - h], thumbs[2 * h:]
        span = np.abs(b - a).mean(axis=(1, 2, 3))
        residual = np.abs(mid - 0.5 * (a + b)).mean(axis=(1, 2, 3))
        # The change must be spread over the window, not one jump (that is a hard cut).
        steps = np.lib.stride_tricks.sliding_window_view(pix_d[1:], 2 * h)[: n - 2 * h]
        spread = steps.max(axis=1) < 0.4 * span
        ok = (span > dissolve_min) & (residual < 0.36 * span) & spread
        value = np.where(ok, span * (1 - residual / np.maximum(span, 1e-6)), 0.0)
        best[h: n - h] = np.maximum(best[h: n - h], value)
    # Runs of qualifying centres; runs a few frames apart (a fade out, black, a fade in) are one transition.
    runs: list[list[int]] = []
    for t in np.flatnonzero(best > 0):
        if runs and t - runs[-1][1] <= 12:
            runs[-1][1] = int(t)
        else:
            runs.append([int(t), int(t)])
    return [((a + b + 1) // 2, float(min(1.0, best[a:b + 1].max() / (3 * dissolve_min)))) for a, b in runs]

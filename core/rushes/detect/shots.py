"""detect.shots: shot boundaries (hard cuts, dissolves, fades) in a movie or an image sequence."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..operators import Context, Operator, Param
from ..results import Cuts

if TYPE_CHECKING:  # media I/O imports PyAV; listing operators must not
    from ..media import ImageSequence, Movie


def _frames(media: Movie | ImageSequence, size: tuple[int, int], ctx: Context,
            span: tuple[int, int]) -> Iterator[tuple[int, np.ndarray]]:
    from ..media import ImageSequence

    if isinstance(media, ImageSequence):
        return media.frames(*span, size=size, colorspace=ctx.media.colorspace)
    return media.frames(*span, size=size)


def _thumbnails(media: Movie | ImageSequence, size: tuple[int, int], ctx: Context,
                span: tuple[int, int]) -> Iterator[tuple[int, np.ndarray]]:
    from ..media import ImageSequence

    if isinstance(media, ImageSequence):
        return media.thumbnails(size, colorspace=ctx.media.colorspace, start=span[0], stop=span[1])
    return media.thumbnails(size, *span)


def transitions_to_cuts(probabilities: np.ndarray, threshold: float) -> list[tuple[int, float]]:
    """Runs of frames above threshold -> (first frame of the new shot, peak probability).

    TransNetV2 marks the last frame of the outgoing shot for a hard cut and the frames of a
    gradual transition; the cut is placed after the most confident frame of each run.
    """
    above = probabilities > threshold
    out, t, n = [], 0, len(probabilities)
    while t < n:
        if not above[t]:
            t += 1
            continue
        start = t
        while t < n and above[t]:
            t += 1
        peak = start + int(np.argmax(probabilities[start:t]))
        if peak + 1 < n:
            out.append((peak + 1, float(probabilities[peak])))
    return out


def snap_to_black(found: list[tuple[int, float]], luma: np.ndarray, reach: int,
                  black: float = 10.0) -> list[tuple[int, float]]:
    """A fade out and in through black is one transition: move its cut to the middle of the black.

    Detectors see the fade-out and the fade-in as separate, weaker events, often a few frames off
    the black. A cut with a short run of black frames within `reach` frames moves to the middle
    of that run; cuts that land on the same run merge, keeping the higher confidence. Long black
    stretches (a black shot, a slug) are left alone: their run reaches past the window.
    """
    n = len(luma)
    snapped: dict[int, float] = {}
    for index, conf in found:
        lo, hi = max(0, index - reach), min(n, index + reach)
        dark = np.flatnonzero(luma[lo:hi] < black) + lo
        target = index
        if len(dark):
            nearest = int(dark[np.argmin(np.abs(dark - index))])
            a = b = nearest
            while a > 0 and luma[a - 1] < black:
                a -= 1
            while b + 1 < n and luma[b + 1] < black:
                b += 1
            if a > lo and b < hi - 1:  # a short black gap, wholly inside the window
                target = (a + b + 1) // 2
        snapped[target] = max(conf, snapped.get(target, 0.0))
    return sorted(snapped.items())


def enforce_min_length(found: list[tuple[int, float]], frame_count: int, min_length: int) -> list[tuple[int, float]]:
    """Keep the most confident cuts such that no shot is shorter than min_length frames."""
    kept: list[tuple[int, float]] = []
    for index, conf in sorted(found, key=lambda c: -c[1]):
        if index < min_length or frame_count - index < min_length:
            continue
        if all(abs(index - k) >= min_length for k, _ in kept):
            kept.append((index, conf))
    return sorted(kept)


class DetectShots(Operator):
    name = "detect.shots"
    summary = "Find shot boundaries (cuts, dissolves, fades) and write an edit as OTIO, EDL, CSV and JSON"
    inputs = ("movie", "sequence")
    result = "Cuts"
    output_stem = "shots"
    network = True
    frame_ranges = True
    params = (
        Param("method", str, "transnet", "Method",
              "transnet: TransNetV2 network (best on dissolves and flashes); fast: histogram detector",
              choices=("transnet", "fast")),
        Param("threshold", float, 0.5, "Threshold",
              "TransNetV2 transition probability above which a cut is declared", min=0.01, max=0.99,
              step=0.05, enabled_if=("method", "==", "transnet")),
        Param("adaptive_ratio", float, 3.0, "Adaptive ratio",
              "fast method: how far a frame difference must stand out from its neighbours", min=1.2, max=20.0,
              step=0.1, enabled_if=("method", "==", "fast")),
        Param("min_shot_length", int, 6, "Minimum shot length",
              "shortest shot in frames; weaker cuts closer than this are dropped", min=1, max=10000,
              unit="frames"),
        Param("backend", str, "onnx", "Backend", "inference engine for TransNetV2: onnx (ONNX Runtime) or torch",
              choices=("onnx", "torch"), advanced=True, enabled_if=("method", "==", "transnet")),
    )

    @classmethod
    def needs_device(cls, params: dict[str, Any]) -> bool:
        return params["method"] == "transnet"

    def run(self, media: Movie | ImageSequence, params: dict[str, Any], ctx: Context) -> Cuts:
        from ..media import frame_span

        rng = frame_span(media, ctx.frame_range)
        span = (rng[0] - media.first_frame, rng[1] - media.first_frame)  # indices into the media
        total = max(span[1] - span[0], 1)
        label = "TransNetV2" if params["method"] == "transnet" else "fast"
        indices: list[int] = []  # the media index of each analysed frame (skipped bad frames are absent)

        def counted(frames: Iterator[tuple[int, np.ndarray]]) -> Iterator[np.ndarray]:
            for index, image in frames:
                if (index - span[0]) % 25 == 0:
                    ctx.report((index - span[0]) / total, f"{label}: frame {index - span[0]}/{total}")
                indices.append(index)
                yield image

        if params["method"] == "transnet":
            from .transnet import SIZE, TransNetPredictor

            model_dir = ctx.models.ensure("transnetv2", progress=lambda m: ctx.report(0.0, m))
            predictor = TransNetPredictor(model_dir, backend=params["backend"], device=ctx.device)
            luma: list[float] = []

            def measured(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
                for rgb in frames:
                    luma.append(float(rgb.mean()))
                    yield rgb

            frames = measured(counted(_frames(media, SIZE, ctx, span)))
            probs = np.array([single for single, _ in predictor.predict(frames)])
            found = transitions_to_cuts(probs, params["threshold"])
        else:
            from . import fast

            features = fast.FastFeatures()
            for image in counted(_thumbnails(media, fast.SIZE, ctx, span)):
                features.add(image)
            luma = features.luma
            found = fast.detect(features, adaptive_ratio=params["adaptive_ratio"])
        analysed = len(luma)
        found = snap_to_black(found, np.asarray(luma), reach=max(12, round(media.rate * 3 / 4)))
        found = enforce_min_length(found, analysed, params["min_shot_length"])
        ctx.report(1.0, f"{label}: {len(found)} cuts in {analysed} frames")
        info = getattr(media, "info", None)
        return Cuts(
            source=str(media.path),
            rate=media.rate,
            first_frame=rng[0],
            frame_count=rng[1] - rng[0],
            cuts=[media.first_frame + indices[i] for i, _ in found],
            confidence=[c for _, c in found],
            method=f"{label} ({params['backend']})" if params["method"] == "transnet" else label,
            start_timecode=info.start_timecode if info else getattr(media, "start_timecode", None),
            notes=media.bad_frame_notes() if hasattr(media, "bad_frame_notes") else [],
        )

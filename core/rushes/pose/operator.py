"""detect.pose: every person's 33 body landmarks (BlazePose GHUM) through stills, sequences and movies."""
from __future__ import annotations

from typing import Any

from ..operators import Context, Operator, Param
from ..results import PoseTracks


class DetectPose(Operator):
    name = "detect.pose"
    summary = "Track each person's body (BlazePose GHUM, 33 landmarks with 3D world positions), for character motion"
    inputs = ("image", "sequence", "movie")
    result = "PoseTracks"
    output_stem = "pose"
    extra = "faces"  # LiteRT (ai-edge-litert) comes with the faces extra
    network = True
    frame_ranges = True
    params = (
        Param("model", str, "full", "Landmark model",
              "BlazePose GHUM landmark model: lite (fastest), full, heavy (most accurate, about twice full's time)",
              choices=("lite", "full", "heavy")),
        Param("min_visibility", float, 0.5, "Minimum visibility",
              "a landmark is drawn in a host (its track point) only on frames where the model gives it at least "
              "this visibility; pose.json keeps every landmark with its visibility", min=0.0, max=1.0, step=0.05),
        Param("smoothing", bool, True, "Smoothing",
              "One-Euro filter on each person's landmarks (1 Hz at rest, opening with speed; see docs/pose.md)"),
        Param("max_gap", int, 8, "Re-identification gap",
              "frames a person may be lost and keep their id when found again where they were", min=0, max=250,
              unit="frames", advanced=True),
    )

    def run(self, media, params: dict[str, Any], ctx: Context) -> PoseTracks:
        from ..faces.operator import DetectFaces
        from ..media import Still, color, frame_span
        from .blazepose import EDGES, LANDMARKS, PARENT, BlazePose
        from .tracking import follow, tracks

        if ctx.media.colorspace != "auto":
            color.is_display_referred(ctx.media.colorspace)  # unknown names fail before any work
        entry = ctx.models.ensure("blazepose", progress=lambda m: ctx.report(0.0, m))
        pose = BlazePose(entry, params["model"])
        start, end = frame_span(media, ctx.frame_range)
        total = end - start
        size = [0, 0]

        def pictures():
            for number, rgb8 in DetectFaces._pictures(self, media, ctx, (start, end)):  # same frames, same colour
                size[:] = rgb8.shape[1], rgb8.shape[0]
                yield number, rgb8

        found = follow(pose, pictures(), params["max_gap"],
                       lambda k, frame: ctx.report(k / max(total, 1), f"pose: frame {frame} ({k + 1}/{total})"))
        rate = getattr(media, "rate", None) if not isinstance(media, Still) else None
        people = list(tracks(found, float(rate) if rate else None, params["smoothing"]))
        notes = media.bad_frame_notes() if hasattr(media, "bad_frame_notes") else []
        return PoseTracks(str(media.path), size[0], size[1], start, total, rate, f"blazepose-{params['model']}",
                          list(LANDMARKS), [list(e) for e in EDGES],
                          {LANDMARKS[c]: LANDMARKS[p] for c, p in PARENT.items()}, people,
                          params["min_visibility"],
                          {k: params[k] for k in ("model", "min_visibility", "smoothing", "max_gap")}, notes)

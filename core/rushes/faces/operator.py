"""detect.faces: find faces in stills, sequences and movies, link them into tracks, and optionally
write an anonymized copy of the media."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import MediaError
from ..media import ImageSequence, Movie, Still, color, encode_movie, exact_rate, open_any, write_image
from ..operators import Context, Operator, Param
from ..results import FaceTracks

LANDMARKS = {
    "blazeface": ["right_eye", "left_eye", "nose_tip", "mouth", "right_ear_tragion", "left_ear_tragion"],
    "mtcnn": ["right_eye", "left_eye", "nose", "mouth_right", "mouth_left"],
}


class DetectFaces(Operator):
    name = "detect.faces"
    summary = "Find and track faces (BlazeFace or MTCNN) with landmarks; optionally blur or pixelate them"
    inputs = ("image", "sequence", "movie")
    result = "FaceTracks"
    output_stem = "faces"
    network = True
    params = (
        Param("method", str, "blazeface", "Detector",
              "blazeface: MediaPipe BlazeFace on ONNX Runtime (fast); mtcnn: MTCNN cascade (torch)",
              choices=("blazeface", "mtcnn")),
        Param("model", str, "short", "BlazeFace model",
              "short: 128 px short-range model; full: 192 px full-range model", choices=("short", "full")),
        Param("min_score", float, 0.8, "Minimum score", "detections below this confidence are dropped",
              min=0.05, max=0.99),
        Param("min_face", int, 40, "Smallest face (px)",
              "smallest face to find, in source pixels: BlazeFace searches tiles small enough for it "
              "(0: whole picture only); MTCNN's pyramid starts there", min=0, max=4096),
        Param("max_gap", int, 8, "Re-identification gap",
              "frames a track may go undetected and keep its id", min=0, max=250),
        Param("min_iou", float, 0.2, "Matching overlap", "least IoU between a track's predicted box and a detection",
              min=0.01, max=0.95),
        Param("min_track", int, 1, "Shortest track", "tracks shorter than this many frames are dropped",
              min=1, max=100000),
        Param("smooth", int, 0, "Smoothing radius", "frames either side averaged into each box (0: none)",
              min=0, max=50),
        Param("anonymize", str, "none", "Anonymize", "none, blur or pixelate: also write the media with faces hidden",
              choices=("none", "blur", "pixelate")),
        Param("strength", float, 0.15, "Anonymize strength", "blur sigma or block size, as a fraction of the face",
              min=0.02, max=1.0),
        Param("margin", float, 0.15, "Anonymize margin", "region grown around each face box on every side, "
              "as a fraction of the box", min=0.0, max=1.0),
        Param("encode", str, "prores", "Movie encoding", "codec of an anonymized movie: prores (422 HQ) or h264",
              choices=("prores", "h264")),
        Param("on_bad_frame", str, "stop", "Bad frames", "stop at a missing, empty (0-byte) or unreadable "
              "sequence frame, or skip it (left out of the search and reported in the result's notes)",
              choices=("stop", "skip")),
        Param("colorspace", str, "auto", "Input colour space",
              "OpenColorIO colour space of the pictures; auto: the file's tag, else linear for float files"),
        Param("fps", float, 24.0, "Sequence frame rate", "frame rate of image sequences", min=1.0, max=240.0),
    )

    def open_input(self, path: str, params: dict[str, Any]) -> Movie | ImageSequence | Still:
        return open_any(path, rate=exact_rate(Fraction(str(params["fps"]))),
                        allow_missing=params["on_bad_frame"] == "skip",
                        missing_hint="use --param on_bad_frame=skip to leave them out")

    def outputs(self, media: Movie | ImageSequence | Still, params: dict[str, Any],
                frame_range: tuple[int, int] | None) -> list[str]:
        if params["anonymize"] == "none":
            return []
        if isinstance(media, Still):
            return [media.path.name]
        if isinstance(media, ImageSequence):
            return [media.pattern.path(n).name for n in range(media.first_frame, media.last_frame + 1)
                    if n not in media.missing]
        return [f"{media.path.stem}_anonymized.mov"]

    def run(self, media: Movie | ImageSequence | Still, params: dict[str, Any], ctx: Context) -> FaceTracks:
        from .tracking import link

        if params["colorspace"] != "auto":
            color.is_display_referred(params["colorspace"])  # unknown names fail before any work
        detect = self._detector(params, ctx)
        notes: list[str] = []
        self.skipped: set[int] = set()
        per_frame = []
        total = media.frame_count
        width = height = 0
        for k, (number, rgb8) in enumerate(self._pictures(media, params, notes)):
            ctx.report(0.9 * k / total if params["anonymize"] != "none" else k / total,
                       f"{params['method']}: frame {number} ({k + 1}/{total})")
            height, width = rgb8.shape[:2]
            per_frame.append((number, detect(rgb8)))
        tracks = link(per_frame, params["max_gap"], params["min_iou"], params["min_track"], params["smooth"])
        rate = getattr(media, "rate", None) if not isinstance(media, Still) else None
        settings = {k: params[k] for k in ("method", "model", "min_score", "min_face", "max_gap", "min_iou",
                                           "min_track", "smooth")}
        if params["method"] == "mtcnn":
            settings.pop("model")
        result = FaceTracks(str(media.path), width, height, media.first_frame, total, rate, params["method"],
                            LANDMARKS[params["method"]], tracks, settings, notes)
        if params["anonymize"] != "none":
            self._anonymize(media, result, params, ctx)
        return result

    def _detector(self, params: dict[str, Any], ctx: Context):
        if params["method"] == "blazeface":
            from .blazeface import BlazeFace

            net = BlazeFace(ctx.models.ensure("blazeface", progress=lambda m: ctx.report(0.0, m)), params["model"],
                            device=ctx.device)
            return lambda rgb8: net.detect(rgb8, params["min_score"], params["min_face"])
        from .mtcnn import MTCNN

        cascade = MTCNN(ctx.models.ensure("mtcnn", progress=lambda m: ctx.report(0.0, m)), device=ctx.device,
                        min_face=max(params["min_face"], 12))
        return lambda rgb8: cascade.detect(rgb8, params["min_score"])

    def _pictures(self, media, params: dict[str, Any], notes: list[str]) -> Iterator[tuple[int, np.ndarray]]:
        """(source frame number, display-referred RGB uint8) for every frame to search."""
        space = params["colorspace"]
        if isinstance(media, Still):
            yield 0, color.to_display_rgb8(media.pixels, media.meta, space)
        elif isinstance(media, ImageSequence):
            for number in range(media.first_frame, media.last_frame + 1):
                if number in media.missing:  # absent or 0 bytes: only reachable with on_bad_frame=skip
                    notes.append(f"frame {number} skipped: missing or empty (0 bytes)")
                    self.skipped.add(number)
                    continue
                try:
                    held = media.read_display(number, None, space)
                except MediaError as exc:
                    if params["on_bad_frame"] == "stop":
                        raise MediaError(f"frame {number}: {exc.problem} (use --param on_bad_frame=skip to go on)",
                                         media.path) from None
                    notes.append(f"frame {number} skipped: {exc.line()}")
                    self.skipped.add(number)
                    continue
                yield number, held
        else:
            for index, rgb8 in media.frames():
                yield media.first_frame + index, rgb8

    def _anonymize(self, media, result: FaceTracks, params: dict[str, Any], ctx: Context) -> None:
        from .anonymize import anonymize

        out_dir: Path = ctx.out_dir
        boxes: dict[int, list] = {}
        for track in result.tracks:
            for p in track.positions:
                boxes.setdefault(p.frame, []).append(p.box)
        style = dict(style=params["anonymize"], strength=params["strength"], margin=params["margin"])
        total = max(result.frame_count, 1)
        if isinstance(media, Still):
            with ctx.output.write(media.path.name) as tmp:
                write_image(tmp, anonymize(media.pixels, media.meta["channels"], boxes.get(0, []), **style),
                            like=media.meta, channels=media.meta["channels"], atomic=False)
            result.notes.append(f"anonymized: {out_dir / media.path.name}")
        elif isinstance(media, ImageSequence):
            for k, number in enumerate(range(media.first_frame, media.last_frame + 1)):
                ctx.report(0.9 + 0.1 * k / total, f"anonymizing frame {number}")
                if number in media.missing or number in self.skipped:
                    continue
                pixels, meta = media.read(number)
                with ctx.output.write(media.pattern.path(number).name) as tmp:
                    write_image(tmp, anonymize(pixels, meta["channels"], boxes.get(number, []), **style),
                                like=meta, channels=meta["channels"], atomic=False)
            result.notes.append(f"anonymized: {out_dir / Path(media.pattern.display).name}")
        else:
            name = f"{media.path.stem}_anonymized.mov"

            def pictures() -> Iterator[np.ndarray]:
                for index, rgb8 in media.frames():
                    number = media.first_frame + index
                    ctx.report(0.9 + 0.1 * index / total, f"anonymizing frame {number}")
                    yield anonymize(rgb8, ["R", "G", "B"], boxes.get(number, []), **style)

            with ctx.output.write(name) as tmp:
                encode_movie(pictures(), tmp, media.rate, params["encode"], media.info.start_timecode, atomic=False)
            result.notes.append(f"anonymized: {out_dir / name}")

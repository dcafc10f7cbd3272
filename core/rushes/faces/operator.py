"""detect.faces: find faces in stills, sequences and movies, link them into tracks, and optionally
write an anonymized copy of the media."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..operators import Context, Operator, Param
from ..results import FaceTracks

if TYPE_CHECKING:  # media I/O imports PyAV; listing operators must not
    from ..media import ImageSequence, Movie, Still

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
    extra = "faces"  # the expression model's Keras file is read with h5py
    network = True
    frame_ranges = True
    writes_media = ("image sequence", "image", "movie")  # with anonymize
    params = (
        Param("method", str, "blazeface", "Detector",
              "blazeface: MediaPipe BlazeFace on ONNX Runtime (fast); mtcnn: MTCNN cascade (torch)",
              choices=("blazeface", "mtcnn")),
        Param("model", str, "cascade", "BlazeFace model",
              "cascade: the full-range model proposes small faces and the short-range model confirms them "
              "close up and finds the large ones (fastest for small faces); short: the 128 px short-range model "
              "alone; full: the 192 px full-range model alone", choices=("cascade", "short", "full"),
              enabled_if=("method", "==", "blazeface")),
        Param("min_score", float, 0.8, "Minimum score", "detections below this confidence are dropped",
              min=0.05, max=0.99, step=0.05),
        Param("min_face", int, 15, "Smallest face (px)",
              "smallest face to find, in source pixels: BlazeFace searches the picture scaled up enough for it "
              "(0: whole picture at the network's size only); MTCNN's pyramid starts there", min=0, max=4096,
              unit="px"),
        Param("max_gap", int, 8, "Re-identification gap",
              "frames a track may go undetected and keep its id", min=0, max=250, unit="frames",
              advanced=True),
        Param("min_iou", float, 0.2, "Matching overlap", "least IoU between a track's predicted box and a detection",
              min=0.01, max=0.95, step=0.05, advanced=True),
        Param("min_track", int, 1, "Shortest track", "tracks shorter than this many frames are dropped",
              min=1, max=100000, unit="frames"),
        Param("smooth", int, 0, "Smoothing radius", "frames either side averaged into each box (0: none)",
              min=0, max=50, unit="frames"),
        Param("anonymize", str, "none", "Anonymize", "none, blur or pixelate: also write the media with faces hidden",
              choices=("none", "blur", "pixelate")),
        Param("strength", float, 0.15, "Anonymize strength", "blur sigma or block size, as a fraction of the face",
              min=0.02, max=1.0, step=0.01, enabled_if=("anonymize", "!=", "none")),
        Param("margin", float, 0.15, "Anonymize margin", "region grown around each face box on every side, "
              "as a fraction of the box", min=0.0, max=1.0, step=0.05, enabled_if=("anonymize", "!=", "none")),
        Param("encode", str, "prores", "Movie encoding", "codec of an anonymized movie: prores (422 HQ) or h264",
              choices=("prores", "h264"), enabled_if=("anonymize", "!=", "none")),
        Param("expressions", bool, False, "Expressions",
              "also classify each face's expression in every frame (angry, disgust, fear, happy, sad, surprise, "
              "neutral; FER's mini-Xception) and summarise each track"),
        Param("expression_smooth", int, 3, "Expression smoothing",
              "frames either side averaged into each frame's expression probabilities (0: none)",
              min=0, max=50, unit="frames", enabled_if=("expressions", "==", True)),
    )

    def outputs(self, media: Movie | ImageSequence | Still, params: dict[str, Any],
                frame_range: tuple[int, int] | None) -> list[str]:
        from ..media import ImageSequence, Still, frame_span

        if params["anonymize"] == "none":
            return []
        if isinstance(media, Still):
            return [media.path.name]
        if isinstance(media, ImageSequence):
            return [media.pattern.path(n).name for n in range(*frame_span(media, frame_range)) if n not in media.bad]
        return [f"{media.path.stem}_anonymized.mov"]

    def run(self, media: Movie | ImageSequence | Still, params: dict[str, Any], ctx: Context) -> FaceTracks:
        from ..media import Still, color, frame_span
        from .tracking import link

        if ctx.media.colorspace != "auto":
            color.is_display_referred(ctx.media.colorspace)  # unknown names fail before any work
        detect = self._detector(params, ctx)
        classify = self._expressions(params, ctx) if params["expressions"] else None
        measured: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # frame -> (boxes, probabilities)
        per_frame = []
        start, end = frame_span(media, ctx.frame_range)
        total = end - start
        width = height = 0
        for k, (number, rgb8) in enumerate(self._pictures(media, ctx, (start, end))):
            ctx.report(0.9 * k / total if params["anonymize"] != "none" else k / total,
                       f"{params['method']}: frame {number} ({k + 1}/{total})")
            height, width = rgb8.shape[:2]
            found = detect(rgb8)
            if classify is not None and found:
                boxes = np.stack([d.box for d in found])
                measured[number] = (boxes, classify(rgb8, boxes))
            per_frame.append((number, found))
        tracks = link(per_frame, params["max_gap"], params["min_iou"], params["min_track"], params["smooth"])
        if classify is not None:
            from .expression import attach

            attach(tracks, measured, params["expression_smooth"])
        rate = getattr(media, "rate", None) if not isinstance(media, Still) else None
        settings = {k: params[k] for k in ("method", "model", "min_score", "min_face", "max_gap", "min_iou",
                                           "min_track", "smooth")}
        if params["method"] == "mtcnn":
            settings.pop("model")
        if params["expressions"]:  # recorded only when asked for: earlier results read the same
            settings.update(expressions=True, expression_smooth=params["expression_smooth"])
        notes = media.bad_frame_notes() if hasattr(media, "bad_frame_notes") else []
        result = FaceTracks(str(media.path), width, height, start, total, rate, params["method"],
                            LANDMARKS[params["method"]], tracks, settings, notes)
        if params["anonymize"] != "none":
            self._anonymize(media, result, params, ctx)
        return result

    def _detector(self, params: dict[str, Any], ctx: Context):
        if params["method"] == "blazeface":
            from .blazeface import detector

            net = detector(ctx.models.ensure("blazeface", progress=lambda m: ctx.report(0.0, m)), params["model"],
                           device=ctx.device)
            return lambda rgb8: net.detect(rgb8, params["min_score"], params["min_face"])
        from .mtcnn import MTCNN

        cascade = MTCNN(ctx.models.ensure("mtcnn", progress=lambda m: ctx.report(0.0, m)), device=ctx.device,
                        min_face=max(params["min_face"], 12))
        return lambda rgb8: cascade.detect(rgb8, params["min_score"])

    def _expressions(self, params: dict[str, Any], ctx: Context):
        from .expression import ExpressionModel

        return ExpressionModel(ctx.models.ensure("fer", progress=lambda m: ctx.report(0.0, m)),
                               device=ctx.device).classify

    def _pictures(self, media, ctx: Context, span: tuple[int, int]) -> Iterator[tuple[int, np.ndarray]]:
        """(source frame number, display-referred RGB uint8) for every frame to search."""
        from ..media import ImageSequence, Still, color

        space = ctx.media.colorspace
        if isinstance(media, Still):
            yield 0, color.to_display_rgb8(media.pixels, media.meta, space)
        elif isinstance(media, ImageSequence):
            # bad frames follow the media's policy: stop, or left out / held (the tracker bridges them)
            for index, rgb8 in media.frames(span[0] - media.first_frame, span[1] - media.first_frame,
                                            colorspace=space):
                yield media.first_frame + index, rgb8
        else:
            for index, rgb8 in media.frames(span[0] - media.first_frame, span[1] - media.first_frame):
                yield media.first_frame + index, rgb8

    def _anonymize(self, media, result: FaceTracks, params: dict[str, Any], ctx: Context) -> None:
        from ..media import ImageSequence, Still, encode_movie, frame_to_timecode, write_image
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
            for k, number in enumerate(range(result.first_frame, result.first_frame + result.frame_count)):
                ctx.report(0.9 + 0.1 * k / total, f"anonymizing frame {number}")
                got = media.read_or_none(number)  # bad frames were left out of the search, and here
                if got is None:
                    continue
                pixels, meta = got
                with ctx.output.write(media.pattern.path(number).name) as tmp:
                    write_image(tmp, anonymize(pixels, meta["channels"], boxes.get(number, []), **style),
                                like=meta, channels=meta["channels"], atomic=False)
            result.notes.append(f"anonymized: {out_dir / Path(media.pattern.display).name}")
        else:
            name = f"{media.path.stem}_anonymized.mov"

            start = result.first_frame - media.first_frame

            def pictures() -> Iterator[np.ndarray]:
                for index, rgb8 in media.frames(start, start + result.frame_count):
                    number = media.first_frame + index
                    ctx.report(0.9 + 0.1 * (index - start) / total, f"anonymizing frame {number}")
                    yield anonymize(rgb8, ["R", "G", "B"], boxes.get(number, []), **style)

            timecode = media.info.start_timecode
            if timecode and start:  # a clip's in/out: the movie starts at the range's own timecode
                timecode = frame_to_timecode(result.first_frame, media.rate)
            with ctx.output.write(name) as tmp:
                encode_movie(pictures(), tmp, media.rate, params["encode"], timecode, atomic=False)
            result.notes.append(f"anonymized: {out_dir / name}")


"""mattes.people: people cut out of stills, plates and movies (MODNet), steady frame to frame, resumable."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..errors import MediaError
from ..operators import Context, Operator, Param
from .result import Mattes

if TYPE_CHECKING:  # media I/O imports PyAV; listing operators must not
    from ..media import ImageSequence, Movie, Still


class MattesPeople(Operator):
    name = "mattes.people"
    summary = "Alpha mattes of people (MODNet): full resolution, small people found first, steady frame to frame"
    inputs = ("image", "sequence", "movie")
    result = "Mattes"
    output_stem = "mattes"
    extra = "faces"  # people are found by their faces: BlazeFace, converted with tflite2onnx
    extra_modules = ("tflite2onnx", "ai_edge_litert")  # selfie runs in LiteRT
    frame_ranges = True
    network = True
    resume_params = ("model", "people", "temporal", "threshold", "grow", "feather", "output", "format")
    writes_media = ("image sequence", "image")
    params = (
        Param("model", str, "modnet", "Model", "modnet: MODNet portrait matting, soft edges and hair (ONNX Runtime); "
              "selfie: MediaPipe selfie segmentation, a fast low-resolution (256 px) mask (LiteRT)",
              choices=("modnet", "selfie")),
        Param("people", str, "crops", "Small people",
              "crops: each person found by their face is matted again in a crop at the model's size; "
              "only: as crops, and nothing outside the people found is kept; frame: the whole picture only",
              choices=("crops", "only", "frame")),
        Param("temporal", float, 0.5, "Temporal steadiness",
              "how much each frame's matte leans on the previous one where the picture did not change "
              "(0: every frame on its own)", min=0.0, max=0.95, step=0.05),
        Param("threshold", float, 0.0, "Threshold", "alpha under this becomes 0 and over 1 - this becomes 1 "
              "(0: off)", min=0.0, max=0.49, step=0.01),
        Param("grow", int, 0, "Dilate / erode", "grow the matte by this many pixels (negative: shrink)",
              min=-50, max=50, unit="px"),
        Param("feather", float, 0.0, "Feather", "soften the matte's edge by this many pixels", min=0.0, max=50.0,
              unit="px", step=0.5),
        Param("output", str, "alpha", "Output", "alpha: the matte alone; rgba: the plate premultiplied by the matte, "
              "with it as A", choices=("alpha", "rgba")),
        Param("format", str, "auto", "File format", "auto: half-float EXR for EXR plates, else 16-bit PNG",
              choices=("auto", "exr", "png")),
        Param("min_face", int, 20, "Smallest person's face", "smallest face searched for, in source pixels",
              min=8, max=4096, unit="px", advanced=True),
        Param("threads", int, 0, "Threads", "CPU threads for the network; 0: all cores", min=0, max=256,
              advanced=True),
    )

    def outputs(self, media: Movie | ImageSequence | Still, params: dict[str, Any],
                frame_range: tuple[int, int] | None) -> list[str]:
        from ..media import ImageSequence, Still, frame_span

        if isinstance(media, Still):
            return [_name(media, params, None)]
        bad = media.bad if isinstance(media, ImageSequence) else ()
        return [_name(media, params, n) for n in range(*frame_span(media, frame_range)) if n not in bad]

    def run(self, media: Movie | ImageSequence | Still, params: dict[str, Any], ctx: Context) -> Mattes:
        from ..faces.blazeface import detector
        from ..media import ImageSequence, Still, color, frame_span, read_image, write_image
        from .matte import Carry, Modnet, Selfie, grey, people_matte, refine

        space = ctx.media.colorspace
        if space != "auto":
            color.is_display_referred(space)  # unknown names fail before any work
        model_dir = ctx.models.ensure(params["model"], progress=lambda m: ctx.report(0.0, m))
        net = (Modnet(model_dir / "modnet.onnx", ctx.device, params["threads"]) if params["model"] == "modnet"
               else Selfie(model_dir, params["threads"]))
        find = None
        if params["people"] != "frame":
            faces = detector(ctx.models.ensure("blazeface", progress=lambda m: ctx.report(0.0, m)), device=ctx.device)
            find = lambda rgb8: [d.box for d in faces.detect(rgb8, 0.7, params["min_face"])]  # noqa: E731
        carry = Carry(params["temporal"])
        written: list[int] = []
        resumed: list[int] = []
        crops: dict[str, int] = {}
        notes: list[str] = []
        width = height = 0
        ext = ""

        start, end = (0, 1) if isinstance(media, Still) else frame_span(media, ctx.frame_range)
        for k, (number, pixels, meta, rgb8) in enumerate(_frames(media, (start, end), space)):
            ctx.report(k / max(end - start, 1), f"{params['model']}: frame {number} ({k + 1}/{end - start})")
            height, width = rgb8.shape[:2]
            name = _name(media, params, None if isinstance(media, Still) else number)
            ext = Path(name).suffix
            g = grey(rgb8)
            if ctx.output.trusted(name):
                resumed.append(number)
                done = read_image(ctx.out_dir / name)[0]
                carry.resume(g, done[..., -1])
                continue
            boxes = find(rgb8) if find else []
            alpha, n = people_matte(net, rgb8, boxes, params["people"] == "only")
            if n:
                crops[str(number)] = n
            alpha = carry.step(g, refine(alpha, params["threshold"], params["grow"], params["feather"]))
            if params["output"] == "rgba":
                rgb = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
                out, channels = np.concatenate([rgb * alpha[..., None], alpha[..., None]], axis=2), ["R", "G", "B", "A"]
            elif ext == ".exr":  # a grey picture, as hosts read a matte (its red becomes the alpha)
                out, channels = np.repeat(alpha[..., None], 3, axis=2), ["R", "G", "B"]
            else:  # a grey PNG
                out, channels = alpha[..., None], ["Y"]
            fmt = "half" if ext == ".exr" else "uint16"
            like = meta if (meta.get("spec") is not None and ext == ".exr") else None
            with ctx.output.write(name) as tmp:
                write_image(tmp, out, like=like, channels=channels, fmt=fmt, atomic=False)
            # the next frame leans on the matte as stored, as a resumed run reads it back: same frames either way
            carry.resume(g, _as_stored(alpha, fmt))
            written.append(number)
        if isinstance(media, ImageSequence):
            notes += media.bad_frame_notes()
        after, before = carry.flicker()
        first = start
        name = _name(media, params, None) if isinstance(media, Still) else _pattern(media, params)
        pattern = str(ctx.out_dir / name)
        settings = {k: params[k] for k in ("model", "people", "temporal", "threshold", "grow", "feather", "output")}
        settings["colorspace"] = space
        rate = None if isinstance(media, Still) else getattr(media, "rate", None)
        return Mattes(str(media.path), pattern, first, end - start, width, height, rate, settings, written, resumed,
                      crops, after, before, notes)


def _frames(media, span: tuple[int, int], space: str) -> Iterator[tuple[int, np.ndarray, dict, np.ndarray]]:
    """(source frame number, plate pixels, metadata, display-referred RGB uint8) for every frame."""
    from ..media import ImageSequence, Still, color

    if isinstance(media, (Still, ImageSequence)):
        if isinstance(media, Still):
            items: Iterator = iter([(0, (media.pixels, media.meta))])
        else:
            items = ((n, media.read_or_none(n)) for n in range(*span))
        for number, got in items:
            if got is None:  # a bad frame left out, as the media says
                continue
            pixels, meta = got
            names = [str(c) for c in meta.get("channels") or []]
            if pixels.shape[2] == 2 and [n.upper() for n in names] != ["Y", "A"]:  # a vector or UV pass
                raise MediaError(f"has 2 channels ({', '.join(names)}); mattes.people needs a grey or RGB picture",
                                 media.path if isinstance(media, Still) else media.pattern.path(number))
            yield number, pixels, meta, color.to_display_rgb8(pixels, meta, space)
    else:
        meta = {"format": "uint8", "channels": ["R", "G", "B"], "spec": None}
        for index, rgb8 in media.frames(span[0] - media.first_frame, span[1] - media.first_frame):
            yield media.first_frame + index, rgb8.astype(np.float32) / 255.0, meta, rgb8


def _as_stored(alpha: np.ndarray, fmt: str) -> np.ndarray:
    """The alpha as the file holds it (half, or 16-bit rounded)."""
    if fmt == "half":
        return alpha.astype(np.float16).astype(np.float32)
    return (np.round(np.clip(alpha, 0, 1) * 65535) / 65535).astype(np.float32)


def _ext(media, params: dict[str, Any]) -> str:
    if params["format"] != "auto":
        return params["format"]
    from ..media import ImageSequence, Still

    path = (media.path if isinstance(media, Still)
            else media.pattern.path(0) if isinstance(media, ImageSequence) else None)
    return "exr" if path is not None and path.suffix.lower() == ".exr" else "png"


def _name(media, params: dict[str, Any], number: int | None) -> str:
    """The file one frame's matte goes to: the plate's name with _matte (or _rgba), same frame number."""
    from ..media import ImageSequence

    tag = "matte" if params["output"] == "alpha" else "rgba"
    ext = _ext(media, params)
    if number is None:
        return f"{Path(media.path).stem}_{tag}.{ext}"
    if isinstance(media, ImageSequence):
        p = media.pattern
        sign = "-" if number < 0 else ""
        return f"{p.prefix.rstrip('._-')}_{tag}.{sign}{abs(number):0{p.padding}d}.{ext}"
    return f"{Path(media.path).stem}_{tag}.{number:06d}.{ext}"


def _pattern(media, params: dict[str, Any]) -> str:
    """The output's #### pattern."""
    from ..media import ImageSequence

    tag = "matte" if params["output"] == "alpha" else "rgba"
    ext = _ext(media, params)
    if isinstance(media, ImageSequence):
        p = media.pattern
        return f"{p.prefix.rstrip('._-')}_{tag}.{'#' * p.padding}.{ext}"
    return f"{Path(media.path).stem}_{tag}.{'#' * 6}.{ext}"

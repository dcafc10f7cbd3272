"""gan.upscale: Real-ESRGAN upscaling of stills, image sequences and movies, resumable."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MediaError
from ..operators import Context, Operator, Param
from ..results import Frames
from .constants import MODELS

if TYPE_CHECKING:  # media I/O imports PyAV; listing operators must not
    from ..media import ImageSequence, Movie, Still


class GanUpscale(Operator):
    name = "gan.upscale"
    summary = "Upscale plates, stills and movies with Real-ESRGAN (linear EXR, alpha and bit depth kept)"
    inputs = ("image", "sequence", "movie")
    result = "Frames"
    output_stem = "frames"
    extra = "gan"
    frame_ranges = True
    network = True
    resume_params = ("model", "scale", "working_space", "format")  # and the media's colour space
    writes_media = ("image sequence", "image", "movie")
    cancel_unit = "tile"
    params = (
        Param("model", str, "realesr-animevideov3", "Model",
              "realesr-animevideov3: fast compact model (video, CPU); realesrgan-x4plus: best quality, slow; "
              "realesrgan-x4plus-anime: illustration/animation", choices=tuple(MODELS)),
        Param("scale", int, 4, "Scale", "output size factor; the models are x4, other factors are "
              "downscaled from x4 with an antialiased Lanczos filter", min=2, max=4),
        Param("backend", str, "onnx", "Backend", "onnx (ONNX Runtime) or torch (the reference)",
              choices=("onnx", "torch"), advanced=True),
        Param("threads", int, 0, "Threads", "CPU threads for the network; 0: all cores", min=0, max=256,
              advanced=True),
        Param("tile", int, 256, "Tile size", "input pixels per tile; smaller uses less memory", min=32, max=2048,
              unit="px", step=32, advanced=True),
        Param("working_space", str, "auto", "Network encoding",
              "space the network sees; auto: as-is for display-referred input, sRGB with highlight headroom "
              "for scene-linear; or an OCIO space such as ACEScct", widget="colorspace", advanced=True),
        Param("format", str, "auto", "Output format for movies", "auto/png: 8-bit PNG frames; exr: half EXR",
              choices=("auto", "png", "exr")),
        Param("encode", str, "none", "Also encode a movie",
              "movies only: none, or prores (ProRes 422 HQ .mov) / h264 made from the upscaled frames",
              choices=("none", "prores", "h264")),
    )

    def outputs(self, media: Movie | ImageSequence | Still, params: dict[str, Any],
                frame_range: tuple[int, int] | None) -> list[str]:
        from ..media import ImageSequence, Still, frame_span

        if isinstance(media, Still):
            return [media.path.name]
        todo = range(*frame_span(media, frame_range))
        if isinstance(media, ImageSequence):
            return [media.pattern.path(n).name for n in todo if n not in media.bad]
        names = [_movie_frame(media, params, n) for n in todo]
        if params["encode"] != "none" and frame_range is None:
            names.append(f"{media.path.stem}_x{params['scale']}.mov")
        return names

    def run(self, media: Movie | ImageSequence | Still, params: dict[str, Any], ctx: Context) -> Frames:
        from ..media import ImageSequence, Still, color, encode_movie, frame_span, read_image, write_image
        from .upscale import Network, upscale_pixels

        for space in (ctx.media.colorspace, params["working_space"]):
            if space != "auto":
                color.is_display_referred(space)  # unknown names fail before any work
        model_dir = ctx.models.ensure("realesrgan", progress=lambda m: ctx.report(0.0, m))
        net = Network(model_dir, params["model"], params["backend"], threads=params["threads"],
                      device=ctx.device)
        scale = params["scale"]
        out_dir: Path = ctx.out_dir
        settings = {k: params[k] for k in ("model", "scale", "backend", "working_space")}
        notes: list[str] = []
        written: list[int] = []
        resumed: list[int] = []

        exposure: list[float] = []  # fixed by the first frame, so a sequence's encoding never changes

        def one(pixels: np.ndarray, meta: dict, number: int, name: str) -> None:
            names = meta["channels"]
            space = ctx.media.colorspace
            if space == "auto":
                space = color.guess_colorspace(meta)
            settings["colorspace"] = space
            out, report = upscale_pixels(pixels, names, space, net, scale, params["working_space"],
                                         tile=params["tile"], exposure=exposure[0] if exposure else None,
                                         check=ctx.check_cancelled)
            if not exposure:
                exposure.append(report.exposure)
                settings["exposure"] = report.exposure
            if report.nonfinite:
                notes.append(f"frame {number}: {report.nonfinite} NaN/Inf pixel(s) replaced")
            if report.extra_channels and not any("resized conventionally" in n for n in notes):
                notes.append(f"channels {', '.join(report.extra_channels)} resized conventionally (not by the network)")
            with ctx.output.write(name) as tmp:
                write_image(tmp, out, like=meta, channels=names, atomic=False)
            written.append(number)

        if isinstance(media, Still):
            target = out_dir / media.path.name
            ctx.report(0.0, f"{params['model']}: {media.path.name}")
            h, w = media.pixels.shape[:2]
            if ctx.output.trusted(media.path.name):
                resumed.append(0)
            else:
                one(media.pixels, media.meta, 0, media.path.name)
            return Frames(str(media.path), str(target), 0, 1, w * scale, h * scale, settings, written, resumed, notes)

        total = media.frame_count
        if isinstance(media, ImageSequence):
            pattern = media.pattern
            display = str(out_dir / Path(pattern.display).name)
            first = next(got for n in range(media.first_frame, media.last_frame + 1)
                         if (got := media.read_or_none(n)) is not None)
            first_pixels, first_meta = first
            width, height = first_pixels.shape[1] * scale, first_pixels.shape[0] * scale
            todo = range(*frame_span(media, ctx.frame_range))
            for done_count, number in enumerate(todo):
                ctx.report(done_count / len(todo), f"{params['model']}: frame {number} ({done_count + 1}/{len(todo)})")
                name = pattern.path(number).name
                if number not in media.bad and ctx.output.trusted(name):
                    resumed.append(number)
                    continue
                got = media.read_or_none(number)  # a bad frame: stop, or left out as the media says
                if got is None:
                    continue
                pixels, meta = got
                if pixels.shape[:2] != first_pixels.shape[:2]:
                    raise MediaError(f"frame {number} is {pixels.shape[1]}x{pixels.shape[0]}, the sequence is "
                                     f"{first_pixels.shape[1]}x{first_pixels.shape[0]}", media.path)
                one(pixels, meta, number, name)
            return Frames(media.path, display, media.first_frame, total, width, height, settings, written,
                          resumed, notes + media.bad_frame_notes())

        ext = "exr" if params["format"] == "exr" else "png"
        fmt = "half" if ext == "exr" else "uint8"
        stem = media.path.stem
        display = str(out_dir / f"{stem}.######.{ext}")
        width, height = media.info.width * scale, media.info.height * scale
        meta = {"format": fmt, "channels": ["R", "G", "B"], "colorspace": color.SRGB, "spec": None}
        start, stop = (n - media.first_frame for n in frame_span(media, ctx.frame_range))  # media indices
        for index, rgb8 in media.frames(start, stop):
            number = media.first_frame + index
            ctx.report((index - start) / max(stop - start, 1), f"{params['model']}: frame {number} "
                       f"({index - start + 1}/{stop - start})")
            name = _movie_frame(media, params, number)
            if ctx.output.trusted(name):
                resumed.append(number)
                continue
            one(rgb8.astype(np.float32) / 255.0, meta, number, name)
        if params["encode"] != "none" and ctx.frame_range is None:
            ctx.report(1.0, f"encoding {params['encode']}")
            movie = f"{stem}_x{scale}.mov"
            pictures = (np.clip(np.round(read_image(out_dir / _movie_frame(media, params, media.first_frame + i))[0]
                                         [..., :3] * 255), 0, 255).astype(np.uint8) for i in range(total))
            with ctx.output.write(movie) as tmp:
                encode_movie(pictures, tmp, media.rate, params["encode"], media.info.start_timecode, atomic=False)
            notes.append(f"movie: {out_dir / movie}")
        return Frames(str(media.path), display, media.first_frame, total, width, height, settings, written,
                      resumed, notes)


def _movie_frame(media: Movie, params: dict[str, Any], number: int) -> str:
    """The name of one upscaled frame of a movie."""
    return f"{media.path.stem}.{number:06d}.{'exr' if params['format'] == 'exr' else 'png'}"

"""The pictures of a report: frames decoded once per source through rushes.media, scaled and cropped
for the page, labelled into a contact sheet, and written as JPEG through the run's output folder."""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import MediaError, OutputError, RushesError

THUMB_WIDTH = 320  # a thumbnail in a grid of the page
VIEW_WIDTH = 640  # a frame shown on its own (tracks drawn over it, a caption's frame)
CROP_HEIGHT = 112  # a track's crop
QUALITY = 3  # JPEG quantiser scale (FFmpeg's -q:v; 2 best .. 31): small files, no visible blocks
SHEET_COLUMNS, SHEET_CELL, SHEET_LABEL = 6, 192, 34  # the contact sheet's grid, its cells' width, label band
SHEET_MAX_HEIGHT = 30000  # pixels: JPEG's limit is 65535, and a browser scales far less


@dataclass(frozen=True)
class Picture:
    """One picture file of a page: a frame of a reel at a size, or a crop of it (source pixels)."""

    name: str  # file name in the page's pictures folder
    reel: str  # which reel it comes from (Report.reels)
    frame: int
    size: tuple[int, int]  # width, height written
    crop: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1; needs the whole frame


class Reel:
    """Somewhere pictures come from, by frame number: a movie, an image sequence or a still."""

    def __init__(self, media: Any, offset: int, colorspace: str = "auto"):
        self.media = media
        self.offset = offset  # frame number of the media's first picture
        self.colorspace = colorspace
        self.width, self.height = self._size()

    def _size(self) -> tuple[int, int]:
        from ..media import Movie, Still

        if isinstance(self.media, Movie):
            return self.media.info.width, self.media.info.height
        if isinstance(self.media, Still):
            return self.media.pixels.shape[1], self.media.pixels.shape[0]
        import OpenImageIO as oiio

        for number in range(self.media.first_frame, self.media.last_frame + 1):
            if number in self.media.bad:
                continue
            found = oiio.ImageInput.open(str(self.media.pattern.path(number)))
            if found is not None:
                spec = found.spec()
                found.close()
                return spec.width, spec.height
        raise MediaError("no readable frames", self.media.path)

    @property
    def span(self) -> tuple[int, int]:
        """The frames it holds, [start, end)."""
        return self.offset, self.offset + max(1, self.media.frame_count)

    def fit(self, width: int) -> tuple[int, int]:
        """Its pictures at most `width` wide, keeping their shape."""
        w = min(width, self.width)
        return w, max(1, round(w * self.height / self.width))

    def read(self, sizes: dict[int, tuple[int, int] | None]) -> Iterator[tuple[int, np.ndarray]]:
        """(frame, display RGB uint8) for the frames asked for, each at its size (None: whole), in one pass."""
        from ..media import Movie, Still, color

        if isinstance(self.media, Movie):
            asked = {frame - self.offset: size for frame, size in sizes.items()}
            for index, rgb8 in self.media.pictures(asked):
                yield index + self.offset, rgb8
        elif isinstance(self.media, Still):
            for frame, size in sorted(sizes.items()):
                yield frame, color.to_display_rgb8(self.media.pixels, self.media.meta, self.colorspace, size)
        else:
            for frame, size in sorted(sizes.items()):
                rgb8 = self.media.display_or_none(frame, size, self.colorspace)
                if rgb8 is not None:  # a missing frame gets no picture: the page says so
                    yield frame, rgb8


def open_reel(path: str, folder: Path, rate: Any = None, start_timecode: str | None = None,
              colorspace: str = "auto", first: int | None = None) -> tuple[Reel | None, str]:
    """The reel of a path (relative: to the output `folder`), or None and why it shows no pictures.

    `first` is the frame number of a movie's or still's first picture (a Media annotation's first
    frame); without it, a movie starts at its start timecode, as a source's frames do.
    """
    from ..media import ImageSequence, Movie, Still, is_sequence_path
    from ..operators import INPUT_KINDS

    where = Path(path) if os.path.isabs(path) else folder / path
    if not os.path.lexists(where) and not os.path.isabs(path) and Path(path).exists():
        where = Path(path)  # a run's source named relative to where it ran
    suffix = where.suffix.lower()
    if suffix in INPUT_KINDS["audio"] + INPUT_KINDS["text"] + INPUT_KINDS["edit"]:
        return None, "sound or text: no pictures"
    try:
        if is_sequence_path(where) and not where.exists():
            seq = ImageSequence(where, rate=rate, on_bad_frame="skip", start_timecode=start_timecode)
            return Reel(seq, seq.first_frame, colorspace), ""
        if not where.exists():
            return None, f"{where} is not there (moved or deleted?)"
        if suffix in INPUT_KINDS["image"]:
            return Reel(Still(where), first or 0, colorspace), ""
        movie = Movie(where, start_timecode=start_timecode)
        return Reel(movie, movie.first_frame if first is None else first), ""
    except RushesError as exc:
        return None, exc.line()


class Files(Reel):
    """Pictures one file a frame, named frame by frame (a run's own files before they land)."""

    def __init__(self, paths: dict[int, Path], colorspace: str = "auto"):
        self.paths = paths
        self.colorspace = colorspace
        self.offset = min(paths)
        import OpenImageIO as oiio

        for path in paths.values():
            found = oiio.ImageInput.open(str(path))
            if found is not None:
                spec = found.spec()
                found.close()
                self.width, self.height = spec.width, spec.height
                break
        else:
            oiio.geterror()
            raise MediaError("no readable picture", next(iter(paths.values())))

    @property
    def span(self) -> tuple[int, int]:
        return min(self.paths), max(self.paths) + 1

    def read(self, sizes: dict[int, tuple[int, int] | None]) -> Iterator[tuple[int, np.ndarray]]:
        from ..media import color, read_image

        for frame, size in sorted(sizes.items()):
            if frame in self.paths:
                try:
                    pixels, meta = read_image(self.paths[frame])
                except MediaError:
                    continue  # no picture for it: the page says so
                yield frame, color.to_display_rgb8(pixels, meta, self.colorspace, size)


def open_files(paths: dict[int, Path], colorspace: str = "auto") -> tuple[Reel | None, str]:
    """The reel of a result's pictures named frame by frame; a movie named for every frame is the movie."""
    from ..operators import INPUT_KINDS

    first = next(iter(paths.values()))
    if len(set(paths.values())) == 1 and Path(first).suffix.lower() in INPUT_KINDS["movie"]:
        try:
            from ..media import Movie

            return Reel(Movie(first), min(paths)), ""
        except RushesError as exc:
            return None, exc.line()
    try:
        return Files({f: Path(p) for f, p in paths.items()}, colorspace), ""
    except RushesError as exc:
        return None, exc.line()


def crop_box(box: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    """A box grown by a fifth on each side (a face with its hair and chin), inside the frame."""
    x0, y0, x1, y1 = box
    mx, my = (x1 - x0) * 0.2, (y1 - y0) * 0.2
    x0, y0 = max(0, int(x0 - mx)), max(0, int(y0 - my))
    x1, y1 = min(width, int(np.ceil(x1 + mx))), min(height, int(np.ceil(y1 + my)))
    return x0, y0, max(x0 + 1, x1), max(y0 + 1, y1)


def crop_size(crop: tuple[int, int, int, int]) -> tuple[int, int]:
    w, h = crop[2] - crop[0], crop[3] - crop[1]
    return max(1, min(2 * CROP_HEIGHT, round(CROP_HEIGHT * w / h))), CROP_HEIGHT


def decode(reel: Reel, pictures: list[Picture]) -> Iterator[tuple[Picture, np.ndarray]]:
    """Each picture's pixels, decoding every frame once at the largest size any of them needs."""
    from ..media.color import scale_rgb8

    by_frame: dict[int, list[Picture]] = {}
    for p in pictures:
        by_frame.setdefault(p.frame, []).append(p)
    sizes: dict[int, tuple[int, int] | None] = {}
    for frame, wanted in by_frame.items():
        sizes[frame] = None if any(p.crop for p in wanted) else max((p.size for p in wanted), key=lambda s: s[0])
    for frame, rgb8 in reel.read(sizes):
        for p in by_frame.get(frame, []):
            if p.crop is not None:
                x0, y0, x1, y1 = p.crop
                part = np.ascontiguousarray(rgb8[y0:y1, x0:x1])
                yield p, scale_rgb8(part, p.size) if part.shape[1::-1] != p.size else part
            elif rgb8.shape[1::-1] == p.size:
                yield p, rgb8
            else:
                yield p, scale_rgb8(rgb8, p.size)


def jpeg(rgb8: np.ndarray) -> bytes:
    """RGB uint8 as JPEG bytes (FFmpeg's encoder at a fixed quality), made in memory: a full disk then
    fails the write of the file, in Python, with one line, rather than inside an image library."""
    import av

    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height = rgb8.shape[1], rgb8.shape[0]
    ctx.pix_fmt = "yuvj420p"
    ctx.time_base = Fraction(1, 25)
    ctx.qscale = True
    ctx.global_quality = QUALITY * 118  # a quantiser scale, in FFmpeg's lambda units (FF_QP2LAMBDA)
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb8, dtype=np.uint8), format="rgb24")
    return b"".join(bytes(p) for p in [*ctx.encode(frame.reformat(format="yuvj420p")), *ctx.encode(None)])


def write_jpeg(output: Any, name: str, rgb8: np.ndarray) -> None:
    """One JPEG through the output folder (a temporary, hashed and recorded, then put in place)."""
    data = jpeg(rgb8)
    with output.write(name) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


def contact_sheet(cells: list[tuple[np.ndarray, str, str]]) -> np.ndarray:
    """A grid of pictures, each with two lines of label under it (name; frame and timecode), on grey.

    Past SHEET_MAX_HEIGHT the last cell says how many more there are on the page.
    """
    import OpenImageIO as oiio

    from ..media.color import scale_rgb8

    cell_h = max(max(round(SHEET_CELL * p.shape[0] / p.shape[1]) for p, _, _ in cells), 1)
    row_h = min(cell_h, SHEET_CELL) + SHEET_LABEL
    rows_fit = max(1, SHEET_MAX_HEIGHT // row_h)
    shown = cells if len(cells) <= rows_fit * SHEET_COLUMNS else cells[:rows_fit * SHEET_COLUMNS - 1]
    rest = len(cells) - len(shown)
    count = len(shown) + (1 if rest else 0)
    columns = min(SHEET_COLUMNS, count)
    rows = -(-count // columns)
    gap = 4
    sheet = np.full((rows * (row_h + gap) + gap, columns * (SHEET_CELL + gap) + gap, 3), 40, np.uint8)
    buf = oiio.ImageBuf(oiio.ImageSpec(sheet.shape[1], sheet.shape[0], 3, "uint8"))
    labels = []
    for n, (picture, name, where) in enumerate(shown):
        x, y = gap + (n % columns) * (SHEET_CELL + gap), gap + (n // columns) * (row_h + gap)
        h, w = picture.shape[:2]
        scale = min(SHEET_CELL / w, (row_h - SHEET_LABEL) / h)
        size = max(1, round(w * scale)), max(1, round(h * scale))
        small = picture if (w, h) == size else scale_rgb8(picture, size)
        ox = x + (SHEET_CELL - size[0]) // 2
        sheet[y:y + size[1], ox:ox + size[0]] = small
        labels += [(x + 3, y + row_h - SHEET_LABEL + 14, name), (x + 3, y + row_h - 5, where)]
    if rest:
        n = len(shown)
        x, y = gap + (n % columns) * (SHEET_CELL + gap), gap + (n // columns) * (row_h + gap)
        labels.append((x + 3, y + row_h // 2, f"+ {rest} more on the page"))
    buf.set_pixels(oiio.ROI(0, sheet.shape[1], 0, sheet.shape[0], 0, 1, 0, 3), sheet)
    for x, y, text in labels:
        # a label that does not fit is cut at the cell's edge, not drawn over the next one
        roi = oiio.ROI(x - 3, x - 3 + SHEET_CELL, y - 14, y + 5, 0, 1, 0, 3)
        part = oiio.ImageBufAlgo.cut(buf, roi)
        if oiio.ImageBufAlgo.render_text(part, 3, 14, _fit(text), 13, "DroidSans", (0.92, 0.92, 0.92)):
            oiio.ImageBufAlgo.paste(buf, roi.xbegin, roi.ybegin, 0, 0, part)
        oiio.geterror()  # no font here: the sheet goes without labels rather than fails
    return buf.get_pixels(oiio.UINT8)


def _fit(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"

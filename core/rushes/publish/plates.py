"""Finding plates in the paths given to a publish, and describing each: frames, rate, size, colour, audio.

A plate is a movie, an image sequence (several in one folder are several plates) or a still.
Edits (`.otio`, `.edl`) and subtitles (`.srt`, `.vtt`) beside a plate with the plate's name are
its sidecars. The description is plain JSON, as it travels in a pyblish instance's data.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import MediaError, RushesError
from ..media.files import check_input_file
from ..operators import INPUT_KINDS
from .integrate import folder_name

EDITS = (".otio", ".edl")
SUBTITLES = (".srt", ".vtt")
PLATE_LIKE = (*INPUT_KINDS["movie"], *INPUT_KINDS["image"], *EDITS, *SUBTITLES)


def find_plates(paths: list[str | Path]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Every plate in `paths` (folders are read one level deep, sequence patterns and files taken
    as given), described; and what in the folders is not a plate or a sidecar, each with why
    ({"path", "why"}). A path given that names no plate, or a plate given twice, is refused."""
    from ..media import is_sequence_path, parse_pattern

    found: list[tuple[str, str]] = []  # (kind, path)
    ignored: list[dict[str, str]] = []
    sidecars: dict[Path, list[Path]] = {}
    for given in paths:
        p = Path(given)
        if p.is_dir():
            inside, sides, left = _read_folder(p)
            found += inside
            sidecars.setdefault(Path(os.path.abspath(p)), []).extend(sides)  # looked up by the plates' absolute folders
            ignored += left
        elif is_sequence_path(p) and not os.path.lexists(p):
            if not _has_frames(parse_pattern(p)):
                raise MediaError("does not exist (no frame matches the pattern)", p)
            found.append(("sequence", str(p)))
        elif not os.path.lexists(p):
            raise MediaError("does not exist", p)
        elif not _utf8(p.name):
            raise MediaError("its name is not UTF-8 text (rename it)", _shown(p))
        elif p.suffix.lower() in INPUT_KINDS["movie"] + INPUT_KINDS["image"]:
            check_input_file(p)  # a broken link, a FIFO, a folder named like a plate: one line
            found.append(("movie" if p.suffix.lower() in INPUT_KINDS["movie"] else "image", str(p)))
        else:
            raise MediaError("is not a plate (a movie, an image sequence pattern such as plate.####.exr, "
                             "a picture or a folder of them)", p)
    _refuse_twice(found)
    plates = [describe_plate(kind, os.path.abspath(path)) for kind, path in found]
    _unique_names(plates)
    for plate in plates:
        folder = Path(plate["path"]).parent
        for side in sidecars.get(folder, []):
            if side.stem == plate["name"] or side.stem == plate["stem"]:
                key = "edit" if side.suffix.lower() in EDITS else "subtitles"
                plate[key] = str(side) if key == "edit" else [*plate.get("subtitles", []), str(side)]
    return plates, ignored


def _read_folder(folder: Path) -> tuple[list[tuple[str, str]], list[Path], list[dict[str, str]]]:
    """The plates, sidecars and left-out entries (with why) of one folder."""
    from ..outputs import describe_outputs

    try:
        listing = sorted(folder.iterdir())
    except OSError as exc:
        raise MediaError(f"cannot read the folder ({exc.strerror})", folder) from None
    names, left = [], {}
    for entry in listing:
        if not _utf8(entry.name):  # the media readers cannot open it, nor can it be shown as it is
            left[entry.name] = "its name is not UTF-8 text (rename it)"
        elif entry.name.startswith("."):
            if entry.suffix.lower() in PLATE_LIKE:  # other hidden files (.DS_Store) are no one's plates
                left[entry.name] = "a hidden file (its name starts with a dot)"
        elif entry.is_dir():
            left[entry.name] = ("a symbolic link to a folder" if entry.is_symlink() else "a folder") + \
                " (folders are read one level deep)"
        else:
            try:
                check_input_file(entry)
                names.append(entry.name)
            except MediaError as exc:
                left[entry.name] = exc.problem
    plates, sides = [], []
    for described in describe_outputs(names):
        kind, where = described["kind"], folder / described["path"]
        if kind == "image sequence":
            plates.append(("sequence", str(where)))
        elif kind in ("image", "movie"):
            plates.append((kind, str(where)))
        elif where.suffix.lower() in EDITS + SUBTITLES:
            sides.append(where)
        else:
            left[described["path"]] = (f"not a plate (a movie, a picture, an image sequence) nor a sidecar "
                                       f"({', '.join(EDITS + SUBTITLES)})")
    return plates, sides, [{"path": _shown(folder / name), "why": why} for name, why in sorted(left.items())]


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:  # bytes that were not UTF-8, kept by Python as lone surrogates
        return False


def _shown(path: Path) -> str:
    """A path as text that can be printed and written to JSON (bytes that are not UTF-8 as U+FFFD)."""
    return os.fsencode(path).decode("utf-8", "replace")


def _has_frames(pattern: Any) -> bool:
    """Whether any file in the pattern's folder is one of its frames."""
    import re

    rx = re.compile(re.escape(pattern.prefix) + r"-?\d+" + re.escape(pattern.suffix) + r"$")
    try:
        return any(rx.match(name) for name in os.listdir(pattern.folder))
    except OSError:
        return False


def _refuse_twice(found: list[tuple[str, str]]) -> None:
    """A plate named twice (the same path, a link to it, or a file and its folder) would be
    published twice: one line instead."""
    from ..media import parse_pattern

    seen: dict[str, str] = {}
    for kind, path in found:
        pattern = parse_pattern(path) if kind == "sequence" else None
        key = os.path.realpath(pattern.display if pattern else path)
        if key in seen:
            also = f" (also as {seen[key]})" if seen[key] != path else ""
            raise MediaError(f"given twice{also}: a plate is published once a publish", path)
        seen[key] = path


def plate_name(kind: str, path: str | Path) -> str:
    """A plate's name: a movie's or a still's file stem, a sequence's name before its frame number."""
    from ..media import parse_pattern

    pattern = parse_pattern(path) if kind == "sequence" else None
    if pattern is None:
        return Path(path).stem
    return pattern.prefix.rstrip("._- ") or Path(path).stem


def describe_plate(kind: str, path: str) -> dict[str, Any]:
    """What a plate is: frames [start, end), rate, size, colour space, audio, its files, and
    its bad frames as found by listing the folder. A plate that cannot be read carries `problem`.
    Its `name` is the one it publishes under, safe as a folder name (`stem`: as the file says)."""
    stem = plate_name(kind, path)
    plate: dict[str, Any] = {"name": folder_name(stem), "stem": stem, "kind": kind, "path": str(path), "files": [],
                             "frame_range": None, "rate": None, "rate_from": None, "width": None,
                             "height": None, "colorspace": None, "audio": None, "bad_frames": {},
                             "edit": None, "subtitles": [], "problem": None}
    try:
        if kind == "sequence":
            _describe_sequence(plate)
        elif kind == "movie":
            _describe_movie(plate)
        else:
            _describe_still(plate)
    except RushesError as exc:
        plate["problem"] = exc.problem
    return plate


def _rate(rate: Fraction | None) -> dict[str, int] | None:
    return None if rate is None else {"num": rate.numerator, "den": rate.denominator}


def _picture(plate: dict[str, Any], frame: Path) -> None:
    from ..media import color, read_image

    pixels, meta = read_image(frame)
    plate["height"], plate["width"] = pixels.shape[:2]
    plate["colorspace"] = color.guess_colorspace(meta)
    plate["channels"] = meta["channels"]
    plate["pixel_format"] = meta["format"]


def _describe_sequence(plate: dict[str, Any]) -> None:
    from ..media import ImageSequence
    from ..media.image import image_header

    seq = ImageSequence(plate["path"], on_bad_frame="skip")
    plate["path"] = seq.path  # the #### form
    plate["frame_range"] = [seq.first_frame, seq.first_frame + seq.frame_count]
    frames = [seq.pattern.path(n) for n in range(seq.first_frame, seq.last_frame + 1) if n not in seq.bad]
    plate["files"] = [str(f) for f in frames]
    plate["bad_frames"] = {str(n): why for n, why in sorted(seq.bad.items())}
    own = image_header(frames[0])["rate"]
    plate["rate"], plate["rate_from"] = _rate(own or seq.rate), "file" if own else "default"
    plate["start_timecode"] = seq.start_timecode
    _picture(plate, frames[0])


def _describe_movie(plate: dict[str, Any]) -> None:
    from ..media import color, probe, probe_audio

    info = probe(Path(plate["path"]))
    plate["files"] = [plate["path"]]
    plate["frame_range"] = [info.first_frame, info.first_frame + info.frame_count]
    plate["rate"], plate["rate_from"] = _rate(info.rate), "file"
    plate["width"], plate["height"] = info.width, info.height
    plate["colorspace"] = color.SRGB  # decoded as display-referred video, as every operator reads it
    plate["start_timecode"] = info.start_timecode
    plate["codec"] = info.codec
    try:
        audio = probe_audio(plate["path"])
    except MediaError:
        return  # no sound track
    plate["audio"] = {"streams": audio.streams, "sample_rate": audio.sample_rate, "channels": audio.channels,
                      "duration": audio.duration, "codec": audio.codec}


def _describe_still(plate: dict[str, Any]) -> None:
    from ..media import check_input_file

    check_input_file(plate["path"])
    plate["files"] = [plate["path"]]
    plate["frame_range"] = [0, 1]
    _picture(plate, Path(plate["path"]))


def _unique_names(plates: list[dict[str, Any]]) -> None:
    """Two plates of one name (sh010.####.exr and sh010.####.png, the same name in two folders, or
    two names made the same by making them safe) get the extension, then a number, so each
    publishes into its own folder."""
    seen: dict[str, int] = {}
    for plate in plates:
        seen[plate["name"]] = seen.get(plate["name"], 0) + 1
    for plate in plates:
        if seen[plate["name"]] > 1:
            plate["name"] = f"{plate['name']}_{Path(plate['path']).suffix.lstrip('.').lower()}"
    taken: set[str] = set()
    for plate in plates:
        base, n = plate["name"], 1
        while plate["name"] in taken:
            n += 1
            plate["name"] = f"{base}_{n}"
        taken.add(plate["name"])


def media_description(plate: dict[str, Any], spec: Any) -> dict[str, Any]:
    """The media description (docs/contract.md) a job on this plate is run with: the project's
    colour config, the plate's rate or colour space when a repair conformed it; a bad frame stops the
    job unless the project lets incomplete sequences through (then it is left out and noted)."""
    media: dict[str, Any] = {"on_bad_frame": "stop" if spec.complete_sequences else "skip"}
    if spec.ocio_config:
        media["ocio_config"] = spec.ocio_config
    if plate.get("conformed_rate"):
        media["rate"] = plate["conformed_rate"]
    if plate.get("interpret_colorspace"):
        media["colorspace"] = plate["interpret_colorspace"]
    return media

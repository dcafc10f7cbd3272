"""Reading the cuts of an edit (OTIO, CMX3600 EDL) that a plate was cut to, and comparing them
with the cuts detect.shots finds in the plate."""
from __future__ import annotations

from pathlib import Path

from ..errors import MediaError


def edit_cuts(path: str | Path, rate: float, first_frame: int) -> list[int]:
    """The cut frames of the first video track, in the plate's frame numbers: where each clip after
    the first starts on the track (record side), counted from the plate's first frame."""
    import opentimelineio as otio

    from ..interchange.reading import read_otio

    path = Path(path)
    if path.suffix.lower() != ".edl":
        timeline = read_otio(path)  # its nesting checked first: OTIO's reader crashes on a deep file
    else:
        try:
            timeline = otio.adapters.read_from_file(str(path), rate=rate)
        except Exception as exc:  # OTIO's adapters raise many kinds; any of them means an unreadable edit
            raise MediaError(f"not a readable edit ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})",
                             path) from None
    tracks = timeline.video_tracks() if hasattr(timeline, "video_tracks") else []
    if not tracks:
        raise MediaError("the edit has no video track", path)
    track = tracks[0]
    cuts = []
    for index, item in enumerate(track):
        if index == 0 or not isinstance(item, otio.schema.Clip):
            continue
        start = track.range_of_child_at_index(index).start_time
        cuts.append(first_frame + round(start.rescaled_to(rate).value))
    return sorted(set(cuts))


def compare_cuts(edit: list[int], found: list[int], tolerance: int) -> tuple[list[int], list[int]]:
    """(cuts of the edit with no detected cut within `tolerance`, detected cuts matching none of
    the edit's); each cut of the edit is matched at most once, nearest first."""
    unmatched = sorted(found)
    missing = []
    for cut in sorted(edit):
        near = min(unmatched, key=lambda f: abs(f - cut), default=None)
        if near is not None and abs(near - cut) <= tolerance:
            unmatched.remove(near)
        else:
            missing.append(cut)
    return missing, unmatched

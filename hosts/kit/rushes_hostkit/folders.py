"""Where a host's run writes when the user names no folder: the host's root, then the parts that name
the run (each host has its own: Blender operator/input, Nuke rushes/<Read>_<operator>, Resolve
project/timeline/action), each made a file name every OS takes, and never a folder rushes did not make."""
from __future__ import annotations

import os
import re

META = ".rushes"  # what every rushes output folder holds (rushes.outputs.META): its record of what it wrote
# names Windows keeps for devices, whatever the extension (CON, CON.txt ...)
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
MAX_PART = 120  # characters: room for the files rushes writes inside, under Windows' 260 for a path


def safe_part(text: str, empty: str = "untitled") -> str:
    """One folder or file name from a project, timeline, clip or operator name: letters (any script),
    digits, `.`, `-` and `_` kept, every other run of characters one `_`, no leading or trailing
    `.`/`_`, never a Windows device name, at most MAX_PART characters; `empty` when nothing is left."""
    name = re.sub(r"[^\w.-]+", "_", str(text), flags=re.UNICODE).strip("._")[:MAX_PART].strip("._")
    if _RESERVED.match(name):
        name = "_" + name
    return name or empty


def _made_by_rushes(folder: str, depth: int) -> bool:
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    if META in names:
        return True
    return depth > 0 and any(_made_by_rushes(os.path.join(folder, n), depth - 1) for n in names
                             if not n.startswith(".") and os.path.isdir(os.path.join(folder, n)))


def is_ours(folder: str, depth: int = 2) -> bool:
    """Whether a folder is free for a run: missing, empty, or one rushes made: it holds rushes' record,
    or a folder up to `depth` levels below does (a host whose action runs a job per clip, in a folder
    each), so a rerun resumes and versions there."""
    if not os.path.isdir(folder):
        return not os.path.lexists(folder)
    try:
        if not os.listdir(folder):
            return True
    except OSError:
        return False
    return _made_by_rushes(folder, depth)


def output_folder(root: str, *parts: str) -> str:
    """ROOT/PART/.../PART, each part made safe (safe_part); `root` (the user's) is kept as it is.
    When that folder is there and is not one rushes made (a file, or a folder of the user's files),
    the last part gets _2, _3, ... up to the first that is free or rushes': a run never writes among
    files rushes did not write."""
    names = [safe_part(p) for p in parts] or ["rushes"]
    base = os.path.join(root, *names)
    folder, n = base, 1
    while not is_ours(folder):
        n += 1
        folder = "%s_%d" % (base, n)
    return folder

"""Writing files safely: whole or absent (`atomic_path`), hashed, and OS errors said in a few words.

The bottom of every layer that writes: media writers, the model cache, worker state and host
installers use it; output folders (rushes.outputs) build their manifest on it.
"""
from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import OutputError

# errors a user can fix (free space, shorten a name, fix permissions): one line, exit 2
USER_FIXABLE = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded", errno.EFBIG: "file too large",
                errno.ENAMETOOLONG: "file name too long", errno.EROFS: "read-only file system",
                errno.EACCES: "permission denied", errno.EPERM: "not permitted", errno.ENOTDIR: "not a folder",
                errno.EISDIR: "is a folder", errno.EIO: "input/output error"}


def os_problem(exc: OSError) -> str:
    """A short, user-facing description of an OSError."""
    return USER_FIXABLE.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextmanager
def atomic_path(target: str | Path, tmp_dir: str | Path | None = None) -> Iterator[Path]:
    """Yield a temporary path; once the body succeeds it is renamed onto `target` in one step.

    For files outside output folders (the model cache, worker state); output folders use
    `OutputFolder.write`, which also records what it wrote.
    """
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir or target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600; results get the user's usual mode
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write ({os_problem(exc)})", target) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

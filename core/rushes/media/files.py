"""Checking that an input path names a readable regular file, without ever opening it.

A job names its input long before anything reads it; a FIFO, a device, a folder or a broken link
given there would otherwise block a worker thread or fail deep inside a decoder with a message
about something else. Only stat() is used: opening a FIFO blocks until a writer appears.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import MediaError

# stat() errors -> what the user can do something about
_STAT_ERRORS = {
    errno.ELOOP: "symlink loop: the path leads back to itself",
    errno.ENAMETOOLONG: "file name too long",
    errno.EACCES: "permission denied: cannot look into one of its folders",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
}


def check_input_file(path: str | Path) -> Path:
    """The path, if it names a regular file this process may read; MediaError saying why not."""
    p = Path(path)
    try:
        st = os.stat(p)
    except ValueError:  # os.stat refuses NUL bytes before asking the kernel
        raise MediaError("the path contains a NUL character", path) from None
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            # lexists: the name itself is there, so it is a link whose target is missing
            problem = "broken symbolic link: its target does not exist" if os.path.lexists(p) else "file does not exist"
        else:
            problem = _STAT_ERRORS.get(exc.errno or 0, f"cannot be read ({exc.strerror})")
        raise MediaError(problem, path) from None
    mode = st.st_mode
    if stat.S_ISREG(mode):
        if not os.access(p, os.R_OK):
            raise MediaError("permission denied: the file is not readable", path)
        return p
    if stat.S_ISDIR(mode):
        problem = "is a folder, not a file"
    elif stat.S_ISFIFO(mode):
        problem = "is not a regular file (a FIFO)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        problem = "is not a regular file (a device)"
    elif stat.S_ISSOCK(mode):
        problem = "is not a regular file (a socket)"
    else:
        problem = "is not a regular file"
    raise MediaError(problem, path)

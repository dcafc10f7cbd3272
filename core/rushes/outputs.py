"""Writing results safely: atomic writes (temp file + rename) and never over a source file."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import OutputError


def prepare_output_dir(out_dir: str | Path, sources: list[str | Path] = ()) -> Path:
    """Create the output folder and check it can be written; refuse a folder that is a source."""
    out = Path(out_dir)
    for src in sources:
        if Path(src).exists() and Path(src).resolve() == out.resolve():
            raise OutputError("output folder is the input itself", out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder ({exc.strerror})", out) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError("output folder is not writable", out)
    return out


@contextmanager
def atomic_path(target: str | Path, sources: list[str | Path] = ()) -> Iterator[Path]:
    """Yield a temp path beside `target`; on success it is renamed onto `target` in one step."""
    target = Path(target)
    for src in sources:
        if Path(src).exists() and target.exists() and target.resolve() == Path(src).resolve():
            raise OutputError("refusing to write over a source file", target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part" + target.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results get the user's usual mode
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(target: str | Path, text: str, sources: list[str | Path] = ()) -> Path:
    with atomic_path(target, sources) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def keep_previous(out_dir: Path, names: list[str]) -> Path | None:
    """Move an earlier run's results out of the way, into `out_dir/versions/vNNN/`.

    The newest results always sit at the top of the output folder; nothing earlier is lost.
    """
    existing = [name for name in names if (out_dir / name).exists()]
    if not existing:
        return None
    versions = out_dir / "versions"
    numbers = [int(p.name[1:]) for p in versions.glob("v[0-9][0-9][0-9]") if p.name[1:].isdigit()]
    target = versions / f"v{max(numbers, default=0) + 1:03d}"
    target.mkdir(parents=True)
    for name in existing:
        os.replace(out_dir / name, target / name)
    return target


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` between processes (fcntl; a no-op where there is none)."""
    try:
        import fcntl
    except ImportError:  # Windows: one process per output folder is the rule there
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)

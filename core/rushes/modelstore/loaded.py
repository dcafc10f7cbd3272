"""Loaded models kept warm between jobs: one process-wide cache, bounded in memory, one load per key.

A worker runs many jobs in one process. Building an ONNX Runtime session, a CTranslate2 model or a
torch module takes from tens of milliseconds to seconds, so each loaded model is kept here and
the next job that asks for the same thing gets the same object. A key names what makes two loads
differ: the weight files (path, size and mtime, so a rebuilt cache entry is loaded afresh), the
variant, the device, the backend and the thread count.

This cache is the one process-wide state rushes keeps. It holds at most RUSHES_MODEL_CACHE_MB
megabytes (default 4096), counted by the size of each model's weight files, and drops the least
recently used models first; 0 turns it off. Concurrent jobs asking for the same key wait for one
load. Everything kept here is shared between threads: ONNX Runtime sessions, CTranslate2 models
and torch modules in eval mode may be run from several threads at once.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, TypeVar

from ..errors import ParameterError

CACHE_MB_ENV = "RUSHES_MODEL_CACHE_MB"
DEFAULT_MB = 4096

T = TypeVar("T")


def limit_bytes() -> int:
    """The memory bound, from RUSHES_MODEL_CACHE_MB (read on each use, so it can be changed live)."""
    given = os.environ.get(CACHE_MB_ENV, "").strip()
    if not given:
        return DEFAULT_MB << 20
    if not given.isdigit():
        raise ParameterError(f"{CACHE_MB_ENV}={given!r} must be a whole number of megabytes (0: keep no model)")
    return int(given) << 20


class _Loading:
    """A load in progress that other threads wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: Any = None


class LoadedModels:
    """Loaded models by key, least recently used first out once their sizes pass the bound."""

    def __init__(self, limit: int | None = None):
        self._limit = limit  # bytes; None: RUSHES_MODEL_CACHE_MB
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._loading: dict[Hashable, _Loading] = {}
        self.loads = 0  # loads done (a test can see that a second job loaded nothing)

    def get_or_load(self, key: Hashable, size_bytes: int, loader: Callable[[], T]) -> T:
        """The object kept under `key`, else `loader()`'s, kept (if it fits) for the next caller.

        Only one thread loads a key at a time; the others wait and get its object. A load that
        raises is not kept, and a waiting thread then tries it itself."""
        while True:
            with self._lock:
                if key in self._kept:
                    self._kept.move_to_end(key)
                    return self._kept[key][0]
                pending = self._loading.get(key)
                mine = pending is None
                if mine:
                    pending = self._loading[key] = _Loading()
            if not mine:
                pending.done.wait()
                if pending.ok:
                    return pending.value
                continue  # that load failed: try it here, to raise its error in this job too
            try:
                value = loader()
            except BaseException:
                with self._lock:
                    del self._loading[key]
                pending.done.set()
                raise
            with self._lock:
                self.loads += 1
                self._keep(key, value, max(int(size_bytes), 0))
                del self._loading[key]
            pending.value, pending.ok = value, True
            pending.done.set()
            return value

    def _keep(self, key: Hashable, value: Any, size: int) -> None:
        limit = self._limit if self._limit is not None else limit_bytes()
        if size > limit:
            return  # larger than the whole bound: used by this job only
        self._kept[key] = (value, size)
        total = sum(s for _, s in self._kept.values())
        while total > limit:
            _, (_, dropped) = self._kept.popitem(last=False)  # a job still running it keeps its reference
            total -= dropped

    def entries(self) -> dict[Hashable, Any]:
        """What is kept now, by key (least recently used first)."""
        with self._lock:
            return {key: value for key, (value, _) in self._kept.items()}

    def size(self) -> int:
        with self._lock:
            return sum(s for _, s in self._kept.values())

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


MODELS = LoadedModels()  # the process-wide cache (see the module docstring)


def get_or_load(key: Hashable, size_bytes: int, loader: Callable[[], T]) -> T:
    """The process-wide cache's `get_or_load`."""
    return MODELS.get_or_load(key, size_bytes, loader)


def load_weights(files: Path | Iterable[Path], variant: tuple, loader: Callable[[], T]) -> T:
    """A model loaded from weight `files`, kept under their path, size and mtime plus `variant`
    (the model name, device, backend, threads: whatever makes two loads of these files differ),
    and counted as the files' total size."""
    paths = [Path(files)] if isinstance(files, (str, Path)) else [Path(p) for p in files]
    stamps = []
    for path in paths:
        st = path.stat()
        stamps.append((str(path), st.st_size, st.st_mtime_ns))
    return get_or_load((tuple(stamps), *variant), sum(s[1] for s in stamps), loader)

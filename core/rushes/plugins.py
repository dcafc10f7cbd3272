"""Discovery: the packages registered under the ``rushes`` entry point group, loaded once per process.

Every registry built from the plug-ins (operators, result kinds and writers, model manifests, host
tools) asks ``plugin_manager()``; one that caches what it built registers its cache with
``derived`` so that ``reset_discovery()`` forgets it too. This module sits just above the hook
specifications, below everything that reads the hooks, so none of them imports another to find
the plug-ins.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, TypeVar

import pluggy

from . import hookspecs

Cached = TypeVar("Cached", bound=Callable[..., Any])
_DERIVED: list[Any] = []  # lru_cache'd functions built from the plug-ins, cleared with them


@lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    """Every package registered under the ``rushes`` entry point group, loaded once per process.

    Scanning the installed distributions is the slow part of listing operators, and every host
    asks often; ``reset_discovery()`` builds it again.
    """
    pm = pluggy.PluginManager("rushes")
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints("rushes")
    return pm


def derived(cached: Cached) -> Cached:
    """Mark an ``lru_cache``'d registry built from the plug-ins: ``reset_discovery`` clears it."""
    _DERIVED.append(cached)
    return cached


def reset_discovery() -> None:
    """Forget the loaded plug-ins, so the next discovery sees packages installed since.

    For tests that add a plug-in distribution at run time, and long-running processes that
    want to pick up a newly installed package.
    """
    plugin_manager.cache_clear()
    for cached in _DERIVED:
        cached.cache_clear()

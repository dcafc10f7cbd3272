"""The publish pipeline: the plug-in list, registering it with pyblish (by class or by path), and
the headless run behind `rushes publish` with its report (each plug-in × instance: passed,
failed or skipped, with the message)."""
from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyblish.api
import pyblish.lib
import pyblish.logic
import pyblish.plugin

from ..errors import RushesError
from .lib import HOSTS

PLUGIN_PATH = str(Path(__file__).parent / "plugins")  # for pyblish.api.register_plugin_path
_MODULES = ("collect_plates", "validate_plates", "validate_ai", "extract_results", "integrate_publish")


def all_plugins() -> list[type]:
    """Every rushes publish plug-in class, in pyblish order."""
    found = []
    for name in _MODULES:
        module = importlib.import_module(f"{__package__}.plugins.{name}")
        found += _classes(module)
    return pyblish.plugin.sort(list(dict.fromkeys(found)))


def _classes(module: Any) -> list[type]:
    return [obj for obj in vars(module).values() if isinstance(obj, type)
            and issubclass(obj, pyblish.plugin.Plugin) and obj.__module__ == module.__name__]


def _host_ready() -> bool:
    return any(h in pyblish.api.registered_hosts() for h in HOSTS)


def register(host: str | None = None) -> list[type]:
    """Register the plug-ins with pyblish for `host` (rushes, or a host named by a host package; by
    default the host already registered, else `rushes`). Returns the classes registered."""
    if host is not None:
        if host not in HOSTS:
            raise RushesError(f"unknown host {host!r} for the rushes plug-ins (known: {', '.join(HOSTS)})")
        pyblish.api.register_host(host)
    elif not _host_ready():
        pyblish.api.register_host("rushes")
    found = all_plugins()
    for plugin in found:
        pyblish.api.register_plugin(plugin)
    return found


def deregister() -> None:
    """Take the plug-ins registered by `register` out of pyblish again (the hosts stay)."""
    registered = {p._id for p in pyblish.api.registered_plugins()}  # pyblish hands out copies, same id
    for plugin in all_plugins():
        if plugin._id in registered:
            pyblish.api.deregister_plugin(plugin)


@dataclass
class Row:
    """One plug-in on one instance (or on the context)."""

    plugin: str
    order: float
    instance: str
    status: str  # passed, failed, skipped
    message: str = ""
    title: str = ""
    description: str = ""
    repairs: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items()}


class PublishInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) that came while the versions were claimed: they are all published (an
    interrupt waits for the claim), the report is not written."""

    def __init__(self, published: dict[str, str]):
        super().__init__()
        self.published = published


@dataclass
class Report:
    """What a publish did; `status` is passed, or failed (nothing was published)."""

    rows: list[Row]
    published: dict[str, str]  # instance -> version folder
    plates: list[dict[str, Any]]
    ignored: list[dict[str, str]]  # {"path", "why"}: what in the paths given is not a plate
    backend: str
    root: str
    seconds: float
    repaired: list[str] = field(default_factory=list)
    recovered: dict[str, str] = field(default_factory=dict)  # a stopped publish's claim finished by this one
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.status == "failed"]

    @property
    def status(self) -> str:
        return "failed" if self.failed else "passed"

    def to_json(self) -> dict[str, Any]:
        from ..version import __version__

        return {"schema_version": 1, "rushes_version": __version__, "status": self.status, "root": self.root,
                "backend": self.backend, "seconds": round(self.seconds, 2), "repaired": self.repaired,
                "published": self.published, "recovered": self.recovered, "plates": self.plates,
                "ignored": self.ignored, "notes": self.notes, "results": [r.to_json() for r in self.rows]}

    def text(self) -> str:
        """The readable report: a line per plug-in × instance, then what was published."""
        width = max((len(r.plugin) for r in self.rows), default=10)
        names = max((len(r.instance) for r in self.rows), default=10)
        lines = []
        for r in self.rows:
            line = f"{r.status:<7} {r.plugin:<{width}}  {r.instance:<{names}}"
            if r.message:
                line += f"  {r.message}"
            if r.repairs and r.status == "failed":
                line += f"  [repair: {', '.join(r.repairs)}]"
            lines.append(line.rstrip())
        lines += [f"note    left out: {left['path']}: {left['why']}" for left in self.ignored]
        lines += [f"note    {note}" for note in self.notes]
        if self.repaired:
            lines.append(f"repairs run: {', '.join(self.repaired)}")
        if self.status == "passed":
            lines += [f"published {name} -> {folder}" for name, folder in self.published.items()]
        else:
            causes = [r for r in self.failed if r.title != "Not published"]  # not the plates held back by them
            lines.append(f"{len(causes or self.failed)} check(s) failed; nothing was published")
        return "\n".join(lines)


def publish(paths: list[str | Path], root: str | Path, spec: Any = None, backend: str = "local",
            repair: bool = False, models: Any = None, state_dir: str | Path | None = None,
            ray_address: str | None = None, progress: Callable[[str], None] | None = None) -> Report:
    """Collect, validate, extract and integrate the plates in `paths` into `root`, headless.

    Every plate is published, or none: nothing when any check fails or any plate cannot be
    staged whole. With `repair`, the repair actions of failed checks run once and the publish goes
    on from validation with the repaired plates. A publish root that cannot be written or that is
    a plate's own folder, and paths with no plate (or with a plate twice), are refused before any
    work, with nothing created. Jobs and versions are staged under the root's `.rushes/tmp/`.
    """
    from ..media import color
    from .integrate import Publication, check_root, check_targets
    from .jobs import PublishJobs
    from .spec import ProjectSpec

    spec = spec or ProjectSpec()
    start = time.monotonic()
    check_root(root)
    publication = Publication(root)
    jobs = PublishJobs(publication.jobs, backend, models, state_dir, ray_address, progress)
    context = pyblish.api.Context()
    context.data.update(rushesPaths=[str(p) for p in paths], rushesRoot=str(root), rushesSpec=spec,
                        rushesJobs=jobs, rushesPublication=publication)
    found = all_plugins()
    collectors = [p for p in found if pyblish.lib.inrange(p.order, pyblish.api.CollectorOrder)]
    rest = [p for p in found if p not in collectors]
    results: list[dict[str, Any]] = []
    repaired: list[str] = []
    try:
        with color.using_config(spec.ocio_config), _quiet_pyblish():
            results += _run(collectors, context)
            collect_error = next((r["error"] for r in results if r["error"] is not None), None)
            if isinstance(collect_error, RushesError):
                raise collect_error  # a path that is no plate: the caller's to fix
            if collect_error is not None:
                raise collect_error
            if not len(context):
                left = context.data.get("rushesIgnored", [])
                why = f"; left out: {left[0]['path']}: {left[0]['why']}" if left else ""
                more = f" and {len(left) - 1} more" if len(left) > 1 else ""
                raise RushesError(f"no plates found (movies, image sequences or pictures){why}{more}",
                                  ", ".join(str(p) for p in paths))
            check_targets(root, [i.data["plate"] for i in context])
            publication.open()  # the root is made here, once the publish is known to go ahead
            first = _run(rest, context)
            if repair and any(r["error"] is not None for r in first):
                repaired = _repair(rest, context, first)
                results += _run(rest, context)
            else:
                results += first
    except KeyboardInterrupt:
        if publication.claimed:
            raise PublishInterrupted(dict(publication.claimed)) from None
        raise
    finally:
        jobs.close()
        publication.close()
    rows = _rows(results, found, context)
    published = {i.name: i.data["published"] for i in context if i.data.get("published")}
    return Report(rows, published, [i.data["plate"] for i in context], context.data.get("rushesIgnored", []),
                  backend, str(root), time.monotonic() - start, repaired, publication.recovered, publication.notes)


def _run(plugins: list[type], context: Any) -> list[dict[str, Any]]:
    """One pass of pyblish over `plugins`, as pyblish.util runs it (stopping after a failed
    validation), without printing."""
    results = []
    live = [p for p in plugins if p.active and (not p.__instanceEnabled__
                                                or pyblish.logic.instances_by_plugin(context, p))]
    state = {"nextOrder": None, "ordersWithError": set()}
    for plugin, instance in pyblish.logic.Iterator(live, context, state):
        result = pyblish.plugin.process(plugin, context, instance)
        if result["error"] is not None:
            state["ordersWithError"].add(plugin.order)
        results.append(result)
    return results


def _repair(plugins: list[type], context: Any, results: list[dict[str, Any]]) -> list[str]:
    done = []
    for plugin in plugins:
        if not any(r["plugin"] is plugin and r["error"] is not None for r in results):
            continue
        for action in plugin.actions:
            if action.on in ("failed", "all", "failedOrWarning"):
                outcome = pyblish.plugin.process(plugin, context, None, action.id)
                if outcome["error"] is None:
                    done.append(f"{action.label} ({plugin.label})")
    context.data["results"] = []  # the next pass is judged on its own results
    return done


def _rows(results: list[dict[str, Any]], found: list[type], context: Any) -> list[Row]:
    """A row for every plug-in × instance it applies to: its result, or skipped."""
    seen: dict[tuple[str, str], Row] = {}
    for result in results:
        plugin, instance, error = result["plugin"], result["instance"], result["error"]
        key = (plugin.__name__, instance.name if instance is not None else "(context)")
        row = Row(plugin.label or plugin.__name__, plugin.order, key[1], "passed" if error is None else "failed",
                  seconds=round((result["duration"] or 0) / 1000, 3))
        if error is not None:
            row.message = error.line() if isinstance(error, RushesError) else str(error)
            row.title = getattr(error, "title", "") or type(error).__name__
            row.description = getattr(error, "description", "") or row.message
            row.repairs = [a.label for a in plugin.actions]
        seen[key] = row  # a later pass (after repairs) replaces the first
    for plugin in found:
        if pyblish.lib.inrange(plugin.order, pyblish.api.CollectorOrder):
            continue
        targets = pyblish.logic.instances_by_plugin(context, plugin) if plugin.__instanceEnabled__ else [None]
        for instance in targets:
            key = (plugin.__name__, instance.name if instance is not None else "(context)")
            if key not in seen:
                seen[key] = Row(plugin.label or plugin.__name__, plugin.order, key[1], "skipped",
                                "not run: an earlier check failed")
    position = {plugin.label or plugin.__name__: n for n, plugin in enumerate(found)}
    return sorted(seen.values(), key=lambda r: (r.order, position.get(r.plugin, 0), r.instance))


class _quiet_pyblish:
    """pyblish logs every plug-in error with its traceback; the report says it in one line."""

    def __enter__(self):
        self.logger = logging.getLogger("pyblish")
        self.saved = self.logger.level, self.logger.propagate
        self.logger.setLevel(logging.CRITICAL)
        self.logger.propagate = False

    def __exit__(self, *exc):
        self.logger.setLevel(self.saved[0])
        self.logger.propagate = self.saved[1]


def write_report(report: Report, root: str | Path) -> Path:
    """report.json in the publish root, written like every rushes output (an earlier report is
    kept under versions/); when it cannot be, its temporary goes too and the error names the file."""
    from ..outputs import OutputFolder
    from .integrate import json_text

    output = OutputFolder(root, "publish", {}, "")
    try:
        output.plan(["report.json"])
        output.write_set({"report.json": json_text(report.to_json())})
    except BaseException:
        output.finish("failed")
        raise
    output.finish("done")
    return Path(root) / "report.json"

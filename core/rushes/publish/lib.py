"""What the publish plug-ins share: the artist-readable validation error, the repair action, and
where a plug-in finds the plate, the project spec and the job runner of its publish."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pyblish.api



def _hosts() -> list[str]:
    """Host names the plug-ins run under: rushes' own headless publish, and each host application
    a host package names through the rushes_hosts hook (the names AYON/OpenPype register inside
    those applications). The core names none of them itself."""
    from ..hosts import host_tools

    return ["rushes", *sorted(host_tools())]


HOSTS = _hosts()
FAMILY = "plate"


class PlateInvalid(pyblish.api.ValidationError):
    """A validation failure an artist can read: a short title and a description of what to do."""

    def __init__(self, title: str, description: str):
        self.title = title
        self.description = description
        super().__init__(f"{title}: {description}")


class RepairAction(pyblish.api.Action):
    """Runs the plug-in's `repair(instance)` on each instance it failed on (pyblish-lite/qml show
    it on the failed plug-in; `rushes publish --repair` runs it and publishes again)."""

    label = "Repair"
    on = "failed"
    icon = "wrench"

    def process(self, context, plugin):
        for instance in failed_instances(context, plugin):
            plugin().repair(instance)
            self.log.info(f"{instance}: {self.label}")


def failed_instances(context, plugin) -> list:
    """The instances `plugin` failed on in this context, once each."""
    found = []
    for result in context.data.get("results", []):
        if result["plugin"] is plugin and result["error"] is not None and result["instance"] is not None:
            if result["instance"] not in found:
                found.append(result["instance"])
    return found


def failed_before(context, order: float) -> str | None:
    """What failed first among the plug-ins so far up to `order` ("Frame rate failed on sh010"),
    or None: a publish goes on to publish only when nothing did."""
    for result in context.data.get("results", []):
        if result["error"] is not None and result["plugin"].order <= order:
            who = result["plugin"].label or result["plugin"].__name__
            return who + " failed" + (f" on {result['instance']}" if result["instance"] is not None else "")
    return None


def plate(instance) -> dict[str, Any]:
    """The plate description (rushes.publish.plates.describe_plate) an instance carries."""
    return instance.data["plate"]


def spec(context) -> Any:
    """The project spec of this publish (defaults when none was given)."""
    from .spec import ProjectSpec

    return context.data.get("rushesSpec") or ProjectSpec()


def jobs(context) -> Any:
    """The job runner of this publish; in a host without one, a local runner staging in a
    temporary folder (removed by the CleanUpStaging plug-in)."""
    found = context.data.get("rushesJobs")
    if found is None:
        import tempfile

        from .jobs import PublishJobs

        found = context.data["rushesJobs"] = PublishJobs(tempfile.mkdtemp(prefix="rushes-publish-"))
        context.data["rushesStagingOwned"] = True
    return found


def publication(context) -> Any:
    """Where this publish stages its versions and claims them: a rushes.publish.integrate.Publication
    in context.data["rushesRoot"] (in a host without one, made here and removed by CleanUpStaging)."""
    found = context.data.get("rushesPublication")
    if found is None:
        root = context.data.get("rushesRoot")
        if not root:
            raise PlateInvalid("No publish root", "set context.data['rushesRoot'] (rushes publish --to)")
        from .integrate import Publication

        found = context.data["rushesPublication"] = Publication(root)
        context.data["rushesPublicationOwned"] = True
    return found


def run_step(instance, step: str, operator: str, **params: Any) -> dict[str, Any]:
    """Run `operator` on the instance's plate for `step`, with the spec's parameters for it."""
    from .plates import media_description

    context = instance.context
    described = plate(instance)
    runner = jobs(context)
    project = spec(context)
    return runner.run(operator, described["path"], runner.folder(described["name"], step),
                      project.params(operator, **params), media_description(described, project))


def step_files(found: dict[str, Any]) -> list[Path]:
    """Every file a job left in its output folder (its results and media; not rushes' bookkeeping)."""
    from ..outputs import META

    out = Path(found["out_dir"])
    return sorted(p for p in out.rglob("*") if p.is_file() and META not in p.relative_to(out).parts)


def add_step(instance, step: str, found: dict[str, Any], files: list[Path] | None = None) -> None:
    """Record an extracted step for the integrator: its files and how they were made."""
    result = found["result"]
    out = Path(found["out_dir"])
    names = [(f"{step}/{p.relative_to(out).as_posix()}", p) for p in (files or step_files(found))]
    instance.data.setdefault("steps", {})[step] = {
        "step": step, "operator": result.get("operator"), "params": result.get("params"),
        "models": result.get("models", []), "media": result.get("media"),
        "files": [name for name, _ in names], "items": names}


class StepExtractor(pyblish.api.InstancePlugin):
    """An extract that runs one operator on the plate for one step and stages what it wrote
    (subclasses name `step`, `operator` and their families)."""

    order = pyblish.api.ExtractorOrder
    hosts = HOSTS
    step = ""
    operator = ""

    def process(self, instance):
        add_step(instance, self.step, run_step(instance, self.step, self.operator))

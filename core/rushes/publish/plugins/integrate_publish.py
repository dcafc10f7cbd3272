"""Integrate: copy a plate and what was extracted from it into the next version folder of the
publish root (`<root>/<plate>/v001`, `v002`, … never overwritten) with a manifest of every file's
sha256, the operators, their parameters and model artifact hashes."""
import pyblish.api

from rushes.publish import lib


class IntegrateVersion(pyblish.api.InstancePlugin):
    """Publishes nothing when any earlier plug-in failed, in this instance or another."""

    label = "Integrate version"
    order = pyblish.api.IntegratorOrder
    hosts = lib.HOSTS
    families = [lib.FAMILY]

    def process(self, instance):
        from pathlib import Path

        from rushes.publish.integrate import integrate

        context = instance.context
        failed = [r for r in context.data.get("results", [])
                  if r["error"] is not None and r["plugin"].order < pyblish.api.IntegratorOrder - 0.5]
        if failed:
            raise lib.PlateInvalid("Not published", f"{failed[0]['plugin'].label or failed[0]['plugin'].__name__} "
                                                    "failed; nothing is integrated until every check passes")
        root = context.data.get("rushesRoot")
        if not root:
            raise lib.PlateInvalid("No publish root", "set context.data['rushesRoot'] (rushes publish --to)")
        described = lib.plate(instance)
        steps = instance.data.get("steps", {})
        items = []
        replaced = steps.get(instance.data.get("plate_replaced_by"))
        if replaced is not None:  # the anonymized pictures are the plate; the original is not published
            media = [(name, p) for name, p in replaced["items"] if _is_media(p)]
            moved = [("plate/" + name.split("/", 1)[1], p) for name, p in media]
            replaced["items"] = [item for item in replaced["items"] if item not in media] + moved
            replaced["files"] = [name for name, _ in replaced["items"]]
        else:
            items += [(f"plate/{Path(f).name}", Path(f)) for f in described["files"]]
        for side in [described["edit"], *described["subtitles"]]:
            if side:
                items.append((f"sidecars/{Path(side).name}", Path(side)))
        for step in steps.values():
            items += step["items"]
        records = [{k: v for k, v in s.items() if k != "items"} for s in steps.values()]
        folder, manifest = integrate(root, described, items, records, lib.spec(context))
        instance.data["published"] = str(folder)
        self.log.info(f"{instance}: published {len(manifest['files'])} file(s) to {folder}")


def _is_media(path):
    from rushes.operators import INPUT_KINDS

    return any(path.suffix.lower() in INPUT_KINDS[k] for k in ("image", "movie", "audio"))


class CleanUpStaging(pyblish.api.ContextPlugin):
    """Remove the staging folder a host's publish made for its jobs (rushes publish removes its own)."""

    label = "Clean up staging"
    order = pyblish.api.IntegratorOrder + 0.4
    hosts = lib.HOSTS

    def process(self, context):
        import shutil

        runner = context.data.get("rushesJobs")
        if runner is not None and context.data.get("rushesStagingOwned"):
            runner.close()
            shutil.rmtree(runner.staging, ignore_errors=True)  # a temporary folder of our own

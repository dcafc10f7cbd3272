"""Integrate: stage each plate and what was extracted from it as a version (with a manifest of
every file's sha256, the operators, their parameters and model artifact hashes), then publish every
staged version at once into the next version folder of its plate (`<root>/<plate>/v001`, `v002`,
… never overwritten), or none of them when anything failed."""
import pyblish.api

from rushes.publish import lib


class IntegrateVersion(pyblish.api.InstancePlugin):
    """Stages the plate's version in the publish root's staging area (PublishVersions publishes
    it); stages nothing when any plug-in failed before, on this plate or another (its integrate too)."""

    label = "Integrate version"
    order = pyblish.api.IntegratorOrder
    hosts = lib.HOSTS
    families = [lib.FAMILY]

    def process(self, instance):
        from pathlib import Path

        context = instance.context
        failed = lib.failed_before(context, self.order)  # another plate's integrate too: no copying in vain
        if failed:
            raise lib.PlateInvalid("Not published", f"{failed}; no plate of this publish is published")
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
        folder = lib.publication(context).stage(described, items, records, lib.spec(context))
        self.log.info(f"{instance}: {len(items)} file(s) staged for {folder}")


def _is_media(path):
    from rushes.operators import INPUT_KINDS

    return any(path.suffix.lower() in INPUT_KINDS[k] for k in ("image", "movie", "audio"))


class PublishVersions(pyblish.api.ContextPlugin):
    """Claims every staged version at once (each plate's next vNNN); when any plug-in before it
    failed, an integrate too, removes what was staged instead: every plate of a publish or none."""

    label = "Publish versions"
    order = pyblish.api.IntegratorOrder + 0.2
    hosts = lib.HOSTS

    def process(self, context):
        publication = context.data.get("rushesPublication")
        if publication is None:
            return  # nothing was staged
        failed = lib.failed_before(context, self.order)
        if failed:
            publication.discard()
            raise lib.PlateInvalid("Not published", f"{failed}; no plate of this publish is published")
        published = publication.claim()
        for instance in context:
            folder = published.get(instance.data.get("plate", {}).get("name"))
            if folder:
                instance.data["published"] = folder
                self.log.info(f"{instance}: published {folder}")


class CleanUpStaging(pyblish.api.ContextPlugin):
    """Remove the staging folders a host's publish made for its jobs and versions (rushes publish
    removes its own)."""

    label = "Clean up staging"
    order = pyblish.api.IntegratorOrder + 0.4
    hosts = lib.HOSTS

    def process(self, context):
        import shutil

        runner = context.data.get("rushesJobs")
        if runner is not None and context.data.get("rushesStagingOwned"):
            runner.close()
            shutil.rmtree(runner.staging, ignore_errors=True)  # a temporary folder of our own
        publication = context.data.get("rushesPublication")
        if publication is not None and context.data.get("rushesPublicationOwned"):
            publication.close()

"""Collect: the plates (movies, image sequences, stills) in the paths given to a publish, one
instance each, with their description and the families that pick their checks and extracts."""
import pyblish.api

from rushes.publish import lib


class CollectPlates(pyblish.api.ContextPlugin):
    """One `plate` instance per movie, sequence or still in context.data["rushesPaths"]."""

    label = "Collect plates"
    order = pyblish.api.CollectorOrder
    hosts = lib.HOSTS

    def process(self, context):
        from rushes.publish.plates import find_plates

        plates, ignored = find_plates(context.data.get("rushesPaths", []))
        context.data["rushesIgnored"] = ignored
        project = lib.spec(context)
        for described in plates:
            extract, anonymized = project.for_plate(described["name"])
            families = [described["kind"]]
            moving = described["kind"] in ("movie", "sequence")
            for step in extract.steps():
                if step == "subtitles" and not described["audio"]:
                    continue  # nothing to hear
                if step == "shots" and not moving:
                    continue
                families.append(step)
            if anonymized:
                families.append("anonymized")
            if described["audio"]:
                families.append("dialogue")
            if described["edit"] and moving:
                families.append("edit")
            instance = context.create_instance(described["name"], family=lib.FAMILY, families=families)
            instance.data["plate"] = described
            instance.data["label"] = f"{described['name']} ({described['kind']})"
            instance.data["anonymize"] = extract.anonymize if extract.anonymize != "none" else "blur"
            self.log.info(f"{described['name']}: {described['kind']} {described['path']}")
        for left in ignored:
            self.log.info(f"left out: {left['path']}: {left['why']}")

"""Validate: each plate can be read, its sequence is whole, and its size, rate and colour space
are the project's. Failures say what is wrong in the artist's words; a repair action where the
plate can be conformed without touching its pixels."""
from fractions import Fraction

import pyblish.api

from rushes.publish import lib


class ValidatePlateReadable(pyblish.api.InstancePlugin):
    """A plate whose file cannot be opened fails here; the other checks leave it alone."""

    label = "Plate can be read"
    order = pyblish.api.ValidatorOrder - 0.2
    hosts = lib.HOSTS
    families = [lib.FAMILY]

    def process(self, instance):
        problem = lib.plate(instance)["problem"]
        if problem:
            raise lib.PlateInvalid("Plate cannot be read", f"{lib.plate(instance)['path']}: {problem}")


class ValidateSequenceComplete(pyblish.api.InstancePlugin):
    """Every frame of a sequence is there, not empty, and reads whole (each frame is read)."""

    label = "Sequence complete"
    order = pyblish.api.ValidatorOrder - 0.1
    hosts = lib.HOSTS
    families = ["sequence"]

    def process(self, instance):
        from rushes.media import ImageSequence

        described = lib.plate(instance)
        if described["problem"] or not lib.spec(instance.context).complete_sequences:
            return
        seq = ImageSequence(described["path"], on_bad_frame="skip")
        for number in range(seq.first_frame, seq.last_frame + 1):
            seq.read_or_none(number)  # records unreadable frames in seq.bad
        if seq.bad:
            listed = "; ".join(f"{n}: {why}" for n, why in sorted(seq.bad.items())[:10])
            more = f" and {len(seq.bad) - 10} more" if len(seq.bad) > 10 else ""
            raise lib.PlateInvalid(
                f"{len(seq.bad)} bad frame(s) in the sequence",
                f"frames {listed}{more}. Re-render or re-copy them into {seq.path}; a plate with holes "
                "is not published.")


def _rate_text(rate: Fraction) -> str:
    return f"{float(rate):.3f}".rstrip("0").rstrip(".") + ("" if rate.denominator == 1 else f" ({rate})")


class ConformRate(lib.RepairAction):
    label = "Interpret at the project rate"


class ValidateFrameRate(pyblish.api.InstancePlugin):
    """The plate's frame rate is the project's (a sequence may be interpreted at it)."""

    label = "Frame rate"
    order = pyblish.api.ValidatorOrder
    hosts = lib.HOSTS
    families = [lib.FAMILY]
    actions = [ConformRate]

    def process(self, instance):
        described, project = lib.plate(instance), lib.spec(instance.context)
        if described["problem"] or project.rate is None or described["kind"] == "image":
            return
        own = described.get("conformed_rate") or described["rate"]
        rate = Fraction(own["num"], own["den"])
        if rate != project.rate:
            hint = ("The sequence's files name no rate of their own (24 is assumed); use the repair "
                    "'Interpret at the project rate'." if described["rate_from"] == "default" else
                    "Re-render or re-wrap it at the project rate." if described["kind"] == "movie" else
                    "Use the repair 'Interpret at the project rate' if the frames are right and only "
                    "their rate tag is wrong.")
            raise lib.PlateInvalid("Frame rate differs from the project",
                                   f"the plate runs at {_rate_text(rate)} fps, the project at "
                                   f"{_rate_text(project.rate)} fps. {hint}")

    def repair(self, instance):
        described, project = lib.plate(instance), lib.spec(instance.context)
        if described["kind"] == "movie":
            self.log.warning(f"{instance}: a movie's rate cannot be reinterpreted; re-wrap it")
            return
        described["conformed_rate"] = {"num": project.rate.numerator, "den": project.rate.denominator}


class ValidateResolution(pyblish.api.InstancePlugin):
    """The plate's size in pixels is the project's."""

    label = "Resolution"
    order = pyblish.api.ValidatorOrder
    hosts = lib.HOSTS
    families = [lib.FAMILY]

    def process(self, instance):
        described, project = lib.plate(instance), lib.spec(instance.context)
        if described["problem"] or project.resolution is None:
            return
        size = (described["width"], described["height"])
        if size != project.resolution:
            raise lib.PlateInvalid("Resolution differs from the project",
                                   f"the plate is {size[0]}x{size[1]}, the project "
                                   f"{project.resolution[0]}x{project.resolution[1]}. Re-render or "
                                   "reformat it; publishing does not resize plates.")


class InterpretColorspace(lib.RepairAction):
    label = "Interpret as the project colour space"


class ValidateColorspace(pyblish.api.InstancePlugin):
    """The plate's colour space (its file's tag, else linear for float and sRGB for integer
    pictures) is the project's."""

    label = "Colour space"
    order = pyblish.api.ValidatorOrder
    hosts = lib.HOSTS
    families = [lib.FAMILY]
    actions = [InterpretColorspace]

    def process(self, instance):
        described, project = lib.plate(instance), lib.spec(instance.context)
        if described["problem"] or project.colorspace is None:
            return
        found = described.get("interpret_colorspace") or described["colorspace"]
        if found != project.colorspace:
            raise lib.PlateInvalid("Colour space differs from the project",
                                   f"the plate reads as {found!r}, the project is {project.colorspace!r}. "
                                   "Convert it, or use the repair 'Interpret as the project colour space' "
                                   "if its files are tagged wrongly.")

    def repair(self, instance):
        described = lib.plate(instance)
        if described["kind"] == "movie":
            self.log.warning(f"{instance}: a movie is always read as video (sRGB); convert it instead")
            return
        described["interpret_colorspace"] = lib.spec(instance.context).colorspace

"""Validate with the operators: no face visible in a plate marked anonymized, no dialogue without
subtitles, and a detected shot list that agrees with the plate's edit. Each runs its operator
through the publish's job runner; the extracts reuse what it found."""
import pyblish.api

from rushes.publish import lib


class AnonymizeOnPublish(lib.RepairAction):
    label = "Anonymize the plate on publish"


class ValidateAnonymized(pyblish.api.InstancePlugin):
    """A plate marked `anonymized` in the project spec must show no face (detect.faces)."""

    label = "No faces in an anonymized plate"
    order = pyblish.api.ValidatorOrder + 0.1
    hosts = lib.HOSTS
    families = ["anonymized"]
    actions = [AnonymizeOnPublish]

    def process(self, instance):
        described = lib.plate(instance)
        if described["problem"] or "anonymize" in instance.data["families"]:
            return  # the published plate is the anonymized one
        found = lib.run_step(instance, "faces", "detect.faces")
        tracks = found["result"]["tracks"]
        if tracks:
            frames = sorted({f["frame"] for t in tracks for f in t["frames"]})
            first = tracks[0]["frames"][0]
            x0, y0, x1, y1 = (round(v) for v in first["box"])
            raise lib.PlateInvalid(
                "Faces visible in an anonymized plate",
                f"{len(tracks)} face track(s) in {len(frames)} frame(s), first at frame {first['frame']} "
                f"(box {x0},{y0}-{x1},{y1}). The project marks this plate anonymized: use the repair "
                "'Anonymize the plate on publish' to publish it with faces hidden, or fix the plate.")

    def repair(self, instance):
        instance.data["families"].append("anonymize")


class TranscribeSubtitles(lib.RepairAction):
    label = "Transcribe subtitles"


class ValidateDialogueSubtitled(pyblish.api.InstancePlugin):
    """A plate whose sound has speech (speech.vad) needs subtitles: an .srt/.vtt beside it, or
    the subtitles extract."""

    label = "Dialogue has subtitles"
    order = pyblish.api.ValidatorOrder + 0.1
    hosts = lib.HOSTS
    families = ["dialogue"]
    actions = [TranscribeSubtitles]

    def process(self, instance):
        described = lib.plate(instance)
        if described["problem"] or not lib.spec(instance.context).dialogue_needs_subtitles:
            return
        if described["subtitles"] or "subtitles" in instance.data["families"]:
            return
        regions = lib.run_step(instance, "qc-speech", "speech.vad")["result"]["regions"]
        if regions:
            talk = sum(r["end"] - r["start"] for r in regions)
            raise lib.PlateInvalid(
                "Dialogue without subtitles",
                f"{len(regions)} stretch(es) of speech ({talk:.1f} s, the first at {regions[0]['start']:.1f} s) "
                f"but no subtitles: put {described['name']}.srt or .vtt beside the plate, or use the repair "
                "'Transcribe subtitles'.")

    def repair(self, instance):
        instance.data["families"].append("subtitles")


class PublishDetectedShots(lib.RepairAction):
    label = "Publish the detected shot list"


class ValidateShotList(pyblish.api.InstancePlugin):
    """The cuts detect.shots finds in the plate agree with its edit (an .otio or .edl with the
    plate's name beside it) within validate.cut_tolerance frames."""

    label = "Shot list agrees with the edit"
    order = pyblish.api.ValidatorOrder + 0.1
    hosts = lib.HOSTS
    families = ["edit"]
    actions = [PublishDetectedShots]

    def process(self, instance):
        from rushes.publish.edits import compare_cuts, edit_cuts

        described = lib.plate(instance)
        if described["problem"] or instance.data.get("edit_overruled"):
            return
        found = lib.run_step(instance, "shots", "detect.shots")["result"]
        rate = found["rate"]
        edit = edit_cuts(described["edit"], rate["num"] / rate["den"], found["first_frame"])
        tolerance = lib.spec(instance.context).cut_tolerance
        missing, extra = compare_cuts(edit, found["cuts"], tolerance)
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"cut(s) in the edit not found in the plate at frame(s) {_frames(missing)}")
            if extra:
                parts.append(f"cut(s) in the plate not in the edit at frame(s) {_frames(extra)}")
            raise lib.PlateInvalid(
                "Shot list disagrees with the edit",
                f"{'; '.join(parts)} (within {tolerance} frame(s); edit {described['edit']}). Check the "
                "conform, or use the repair 'Publish the detected shot list' to publish what is in the plate.")

    def repair(self, instance):
        instance.data["edit_overruled"] = True
        if "shots" not in instance.data["families"]:
            instance.data["families"].append("shots")


def _frames(frames):
    shown = ", ".join(str(f) for f in frames[:12])
    return shown + (f" and {len(frames) - 12} more" if len(frames) > 12 else "")

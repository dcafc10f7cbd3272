"""Extract: shot list, face tracks, subtitles, upscaled and anonymized plates, each by its operator
through the publish's job runner (in-process, worker or Ray), staged for the integrator."""
import pyblish.api

from rushes.publish import lib


class ExtractShotList(lib.StepExtractor):
    """detect.shots: the plate's shots as JSON, OTIO, EDL and CSV."""

    label = "Extract shot list"
    families = ["shots"]
    step, operator = "shots", "detect.shots"


class ExtractFaceTracks(lib.StepExtractor):
    """detect.faces: face tracks with landmarks."""

    label = "Extract face tracks"
    families = ["faces"]
    step, operator = "faces", "detect.faces"


class ExtractSubtitles(lib.StepExtractor):
    """speech.transcribe: the dialogue as a transcript and frame-accurate SRT/WebVTT subtitles."""

    label = "Extract subtitles"
    families = ["subtitles"]
    step, operator = "subtitles", "speech.transcribe"


class ExtractUpscaled(lib.StepExtractor):
    """gan.upscale: the plate upscaled with Real-ESRGAN."""

    label = "Extract upscaled plate"
    families = ["upscale"]
    step, operator = "upscale", "gan.upscale"


class ExtractAnonymized(pyblish.api.InstancePlugin):
    """detect.faces with anonymize: the plate with every face blurred or pixelated. It is
    published as the plate itself; the original plate is not published."""

    label = "Extract anonymized plate"
    order = pyblish.api.ExtractorOrder
    hosts = lib.HOSTS
    families = ["anonymize"]

    def process(self, instance):
        how = instance.data.get("anonymize", "blur")
        found = lib.run_step(instance, "anonymize", "detect.faces", anonymize=how)
        lib.add_step(instance, "anonymize", found)
        instance.data["plate_replaced_by"] = "anonymize"

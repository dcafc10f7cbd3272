"""speech.vad and speech.transcribe: where people speak, what they say, as frame-accurate subtitles."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..operators import Context, Operator, Param
from ..results import SpeechClock, SpeechRegions, Transcript
from .vad import SAMPLE_RATE, RegionRules, SileroVad, speech_regions

if TYPE_CHECKING:  # media I/O imports PyAV; listing operators must not
    from ..media import AudioSource

MODELS = {"tiny.en": "whisper-tiny-en", "base": "whisper-base"}


def vad_params(min_silence: float, pad: float) -> tuple[Param, ...]:
    return (
        Param("threshold", float, 0.5, "Speech threshold", "Silero VAD probability above which a window is speech",
              min=0.05, max=0.95, step=0.05, advanced=True),
        Param("min_speech", float, 0.25, "Shortest speech (s)", "speech shorter than this is ignored", min=0.0, max=10.0,
              unit="s", advanced=True),
        Param("min_silence", float, min_silence, "Shortest pause (s)", "a region ends after this much silence",
              min=0.05, max=10.0, unit="s", advanced=True),
        Param("pad", float, pad, "Padding (s)", "added before and after each region", min=0.0, max=2.0,
              unit="s", advanced=True),
    )


class SpeechOperator(Operator):
    inputs = ("audio", "movie")
    network = True

    @staticmethod
    def rules(params: dict[str, Any]) -> RegionRules:
        return RegionRules(params["threshold"], params["min_speech"], params["min_silence"], params["pad"])

    @staticmethod
    def clock(media: AudioSource, duration: float) -> SpeechClock:
        return SpeechClock(str(media.path), media.rate, media.first_frame, media.start_timecode, duration)

    def find_speech(self, media: AudioSource, params: dict[str, Any], ctx: Context,
                    share: float) -> tuple[list[tuple[int, int]], int]:
        """Speech regions (16 kHz sample indices) and the length in samples, streaming the file once."""
        vad = SileroVad(ctx.models.ensure("silero-vad", progress=lambda m: ctx.report(0.0, m)), ctx.device)
        expected = max((media.info.duration or 0.0) * SAMPLE_RATE, 1.0)
        counted = [0]

        def chunks() -> Iterator[np.ndarray]:
            for chunk in media.chunks(SAMPLE_RATE):
                counted[0] += len(chunk)
                ctx.report(share * min(counted[0] / expected, 1.0),
                           f"finding speech: {counted[0] / SAMPLE_RATE:.0f} s")
                yield chunk

        probs = np.concatenate([np.zeros(0, np.float32), *vad.probabilities(chunks())])
        return speech_regions(probs, counted[0], self.rules(params)), counted[0]


class SpeechVad(SpeechOperator):
    name = "speech.vad"
    summary = "Find where people speak (Silero VAD): regions in seconds and frames, as markers"
    result = "SpeechRegions"
    output_stem = "speech"
    cancel_unit = "second"  # of audio
    params = vad_params(0.5, 0.2)

    @classmethod
    def needs_device(cls, params: dict[str, Any]) -> bool:
        return False  # Silero runs on one CPU thread: it must not hold a GPU (or the CPU) from a network job

    def run(self, media: AudioSource, params: dict[str, Any], ctx: Context) -> SpeechRegions:
        regions, total = self.find_speech(media, params, ctx, 1.0)
        settings = {k: params[k] for k in ("threshold", "min_speech", "min_silence", "pad")}
        return SpeechRegions(self.clock(media, total / SAMPLE_RATE),
                             [(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in regions], settings)


class SpeechTranscribe(SpeechOperator):
    name = "speech.transcribe"
    summary = "Transcribe dialogue (Whisper) into a timed transcript and frame-accurate SRT/WebVTT subtitles"
    result = "Transcript"
    output_stem = "transcript"
    extra = "speech"  # Whisper on CTranslate2
    cancel_unit = "block"  # of audio, up to 4 minutes, between speech pauses
    params = (
        Param("model", str, "tiny.en", "Model", "tiny.en: English, fastest; base: 99 languages, "
              "language detection and translation to English", choices=tuple(MODELS)),
        Param("language", str, "auto", "Language", "spoken language code (en, fr, de, ...); auto: detect "
              "(tiny.en is always English)", widget="language"),
        Param("task", str, "transcribe", "Task", "transcribe in the spoken language, or translate to English "
              "(base only)", choices=("transcribe", "translate"),
              enabled_if=("model", "==", "base")),
        Param("beam_size", int, 5, "Beam size", "decoding beams: more is slower and slightly more accurate",
              min=1, max=10, advanced=True),
        Param("max_chars", int, 42, "Characters per line", "longest subtitle line", min=10, max=200),
        Param("max_lines", int, 2, "Lines per subtitle", "most lines in one subtitle", min=1, max=5),
        Param("min_duration", float, 0.833, "Shortest subtitle (s)", "subtitles are held at least this long "
              "when the next one leaves room", min=0.0, max=10.0, unit="s"),
        Param("max_duration", float, 7.0, "Longest subtitle (s)", "a subtitle is split before it runs longer",
              min=0.5, max=30.0, unit="s"),
        Param("gap_frames", int, 2, "Gap (frames)", "frames left clear between two subtitles", min=0, max=24,
              unit="frames"),
        *vad_params(1.0, 0.4),
    )

    def run(self, media: AudioSource, params: dict[str, Any], ctx: Context) -> Transcript:
        from .subtitles import SubtitleStyle, build_subtitles
        from .whisper import Transcriber, check_request, plan_blocks

        check_request(params["model"], params["language"], params["task"])
        model_dir = ctx.models.ensure(MODELS[params["model"]], progress=lambda m: ctx.report(0.0, m))
        whisper = Transcriber(model_dir, ctx.device)
        regions, total = self.find_speech(media, params, ctx, 0.1)
        blocks = plan_blocks(regions, total)
        language = None if params["language"] == "auto" else params["language"]
        if not whisper.multilingual:
            language = "en"
        probability, segments, notes = 1.0 if language else 0.0, [], []
        speech_total = sum(b - a for a, b in regions) or 1
        done = 0
        for k, (block, audio) in enumerate(_block_audio(media, blocks)):
            ctx.report(0.1 + 0.9 * done / speech_total,
                       f"{params['model']}: block {k + 1}/{len(blocks)} at {block.start / SAMPLE_RATE:.0f} s")
            found, lang, prob = whisper.transcribe(audio, block.start / SAMPLE_RATE, language, params,
                                                   self.rules(params))
            if language is None:  # detected on the first block with speech, then kept for the rest
                language, probability = lang, prob
            segments.extend(found)
            done += sum(min(b, block.end) - max(a, block.start) for a, b in regions if a < block.end and b > block.start)
        if not segments:
            notes.append("no speech found")
        ctx.report(1.0, "subtitles")
        style = SubtitleStyle(params["max_chars"], params["max_lines"], params["min_duration"],
                              params["max_duration"], params["gap_frames"])
        clock = self.clock(media, total / SAMPLE_RATE)
        words = [w for s in segments for w in s.words]
        settings = {k: params[k] for k in ("model", "language", "task", "beam_size", "max_chars", "max_lines",
                                           "min_duration", "max_duration", "gap_frames", "threshold",
                                           "min_silence")}
        return Transcript(clock, language or "und", probability, params["model"], params["task"], segments,
                          build_subtitles(words, clock.rate, style, clock.first_frame), settings, notes)


def _block_audio(media: AudioSource, blocks: list) -> Iterator[tuple[Any, np.ndarray]]:
    """Stream the file again, yielding each block's audio once it is complete (one block in memory)."""
    if not blocks:
        return
    index, pos, held = 0, 0, []
    for chunk in media.chunks(SAMPLE_RATE):
        end = pos + len(chunk)
        while index < len(blocks):
            block = blocks[index]
            a, b = max(block.start, pos), min(block.end, end)
            if b > a:
                held.append(chunk[a - pos:b - pos])
            if block.end > end:
                break
            yield block, np.concatenate(held) if held else np.zeros(0, np.float32)
            held, index = [], index + 1
        pos = end
    if index < len(blocks) and held:
        yield blocks[index], np.concatenate(held)

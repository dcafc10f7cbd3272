"""Whisper through faster-whisper (CTranslate2), loaded from a local model folder only.

Long files are transcribed block by block: the streamed VAD finds the speech, blocks of up to a few
minutes are cut in the silences between it, and only one block of audio is held at a time. Inside a
block faster-whisper gates decoding with the same Silero model, so silence and music reach the
decoder as little as possible; segments that are only non-speech tags are dropped.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..results import Segment, Word
from .vad import SAMPLE_RATE, RegionRules

# what Whisper writes over music, noise and silence when it does decode them
NON_SPEECH = re.compile(r"^[\s\W]*(\[[^\]]*\]|\([^)]*\)|♪+|\*[^*]*\*|music|applause|silence|blank_audio)?[\s\W♪]*$",
                        re.IGNORECASE)


@dataclass
class Block:
    """A stretch of the file (sample indices at 16 kHz) that holds speech regions."""

    start: int
    end: int


def plan_blocks(regions: list[tuple[int, int]], total: int, max_seconds: float = 240.0) -> list[Block]:
    """Group speech regions into blocks of at most `max_seconds`, cut in the middle of silences."""
    limit = int(max_seconds * SAMPLE_RATE)
    blocks: list[Block] = []
    first = None
    for i, (a, b) in enumerate(regions):
        if first is None:
            first = a
        following = regions[i + 1][0] if i + 1 < len(regions) else None
        if following is None or following - first > limit:
            cut = total if following is None else (b + following) // 2
            start = blocks[-1].end if blocks else 0
            blocks.append(Block(start, cut))
            first = None
    return blocks


def check_request(model_name: str, language: str, task: str) -> None:
    """Refuse a language or task the model cannot do, before anything is fetched or loaded.

    Whisper's English-only models are the ones named `*.en`."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    if language != "auto" and language not in _LANGUAGE_CODES:
        raise ParameterError(f"parameter language={language!r} is not a Whisper language code (e.g. en, fr, de)")
    if model_name.endswith(".en") and (language not in ("auto", "en") or task == "translate"):
        raise ParameterError(f"model {model_name} is English only: use model=base to "
                             f"{'translate' if task == 'translate' else 'transcribe ' + language}")


class Transcriber:
    """One loaded Whisper model."""

    def __init__(self, model_dir: Path, device: str = "cpu", threads: int = 0):
        from faster_whisper import WhisperModel

        from ..modelstore.loaded import load_weights

        weights = Path(model_dir) / "model.bin"
        if device.startswith("cuda:"):
            import ctranslate2

            if ctranslate2.get_cuda_device_count() > 0:
                self.model = load_weights(weights, ("whisper", device, "float16"), lambda: WhisperModel(
                    str(model_dir), device="cuda", device_index=int(device[5:]), compute_type="float16"))
                return
        threads = threads or (os.cpu_count() or 1)
        self.model = load_weights(weights, ("whisper", "cpu", "int8", threads), lambda: WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads))

    @property
    def multilingual(self) -> bool:
        return bool(self.model.model.is_multilingual)

    def transcribe(self, audio: np.ndarray, offset: float, language: str | None, params: dict[str, Any],
                   rules: RegionRules) -> tuple[list[Segment], str, float]:
        """Segments of one block (times from the file start), the language and its probability."""
        segments, info = self.model.transcribe(
            audio, language=language, task=params["task"],
            beam_size=params["beam_size"], word_timestamps=True, condition_on_previous_text=False,
            vad_filter=True, vad_parameters={"threshold": rules.threshold,
                                             "min_speech_duration_ms": int(rules.min_speech * 1000),
                                             "min_silence_duration_ms": int(rules.min_silence * 1000),
                                             "speech_pad_ms": int(rules.pad * 1000)},
            hallucination_silence_threshold=2.0)
        out = []
        for seg in segments:
            if NON_SPEECH.match(seg.text) or not seg.words:
                continue
            words = _words(seg.words, offset)
            refine_onsets(words, audio, offset)
            out.append(Segment(words[0].start, offset + seg.end, seg.text.strip(), words))
        return out, info.language, float(info.language_probability)


def _words(raw: list[Any], offset: float) -> list[Word]:
    """Whisper's word pieces as words: a piece with no leading space that continues a Latin word
    ("ill" + "-disposed") joins it."""
    words: list[Word] = []
    for w in raw:
        text = w.word
        if not text.strip():
            continue
        if words and not text[0].isspace() and (text[0] in "-'’" or (text[0].isascii() and text[0].isalnum())):
            last = words[-1]
            last.text += text.strip()
            last.end = offset + w.end
            last.probability = min(last.probability, float(w.probability))
            continue
        words.append(Word(offset + w.start, offset + w.end, text.strip(), float(w.probability)))
    return words


def refine_onsets(words: list[Word], audio: np.ndarray, offset: float, pause: float = 0.1) -> None:
    """Move the start of each word that follows a pause to where its sound begins.

    Whisper's word timings come from attention and often start a word early, inside the silence
    before it (by up to seconds after a long pause), or late; a subtitle that should appear with the
    word would be off by frames. Around the reported start (from 300 ms before it, never before the
    previous word's end, to the word's end) the level is measured in 10 ms steps; the onset is the
    first step that stays, for 30 ms, above the pause's noise floor by a quarter of the way to the
    word's peak (at least 6 dB).
    """
    hop = SAMPLE_RATE // 100
    previous_end = None
    for word in words:
        if previous_end is None or word.start - previous_end >= pause:
            a = max(0, int((word.start - offset - 0.3) * SAMPLE_RATE))
            if previous_end is not None:
                a = max(a, int((previous_end - offset) * SAMPLE_RATE))
            b = min(len(audio), int((word.end - offset) * SAMPLE_RATE))
            steps = (b - a) // hop
            if steps >= 6:
                level = 10 * np.log10((audio[a:a + steps * hop].reshape(steps, hop) ** 2).mean(1) + 1e-12)
                before = level[:max(3, int((word.start - offset) * SAMPLE_RATE - a) // hop)]
                floor = float(np.percentile(before, 20))
                peak = float(level.max())
                threshold = floor + max(6.0, 0.25 * (peak - floor))
                loud = level >= threshold
                sustained = np.nonzero(loud[:-2] & loud[1:-1] & loud[2:])[0]
                if len(sustained) and peak > -60:
                    onset = offset + (a + sustained[0] * hop) / SAMPLE_RATE
                    word.start = min(onset, word.end - 0.02)
        previous_end = word.end

"""Voice activity: Silero VAD v6 (ONNX) run over streamed audio, and the regions where people speak.

The model and the region rules are faster-whisper's (`faster_whisper.vad`), made to stream: audio
arrives in chunks, the network's state is carried from chunk to chunk, and only one probability per
32 ms window is kept, so an hour of sound needs a few hundred kilobytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

SAMPLE_RATE = 16000
WINDOW = 512  # samples per probability (32 ms)
CONTEXT = 64  # samples of the previous window the v6 model sees
BATCH = 2048  # windows per network call


@dataclass(frozen=True)
class RegionRules:
    """How speech probabilities become regions (faster-whisper's VadOptions, in seconds)."""

    threshold: float = 0.5
    min_speech: float = 0.25  # shorter bursts are dropped
    min_silence: float = 0.5  # a region ends only after this much silence
    pad: float = 0.2  # added on each side (split in the middle where two regions are close)

    @property
    def neg_threshold(self) -> float:
        return max(self.threshold - 0.15, 0.01)


class SileroVad:
    """Speech probability per 32 ms window of 16 kHz mono audio."""

    def __init__(self, model_dir: Path, device: str = "cpu"):
        from ..devices import onnx_session
        from ..modelstore.loaded import load_weights

        # one thread: the model is tiny and the windows are sequential; more threads only add overhead.
        # The session holds no state between calls (h and c are passed in), so jobs can share it.
        onnx = Path(model_dir) / "silero_vad_v6.onnx"
        self.session = load_weights(onnx, ("silero-vad", "cpu", 1), lambda: onnx_session(onnx, "cpu", threads=1))

    def probabilities(self, chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Yield arrays of window probabilities as chunks arrive; the last partial window is zero-padded."""
        h = np.zeros((1, 1, 128), np.float32)
        c = np.zeros((1, 1, 128), np.float32)
        context = np.zeros(CONTEXT, np.float32)
        rest = np.zeros(0, np.float32)
        for chunk in _with_padding(chunks):
            audio = np.concatenate([rest, np.asarray(chunk, np.float32)])
            usable = len(audio) - len(audio) % WINDOW
            rest = audio[usable:]
            windows = audio[:usable].reshape(-1, WINDOW)
            for i in range(0, len(windows), BATCH):
                batch = windows[i:i + BATCH]
                before = np.concatenate([context[None], batch[:-1, -CONTEXT:]])
                context = batch[-1, -CONTEXT:].copy()
                probs, h, c = self.session.run(None, {"input": np.concatenate([before, batch], 1), "h": h, "c": c})
                yield np.asarray(probs, np.float32).reshape(-1)


def _with_padding(chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The chunks, then zeros to complete the last window (as faster-whisper pads)."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        yield chunk
    yield np.zeros(WINDOW - total % WINDOW, np.float32)


def speech_regions(probabilities: Iterable[float], total_samples: int, rules: RegionRules,
                   sample_rate: int = SAMPLE_RATE) -> list[tuple[int, int]]:
    """Speech regions as (start, end) sample indices, by faster-whisper's rules (no length cap)."""
    min_speech = sample_rate * rules.min_speech
    min_silence = sample_rate * rules.min_silence
    pad = sample_rate * rules.pad
    regions: list[list[int]] = []
    triggered, start, temp_end = False, 0, 0
    for i, p in enumerate(probabilities):
        here = WINDOW * i
        if p >= rules.threshold and temp_end:
            temp_end = 0
        if p >= rules.threshold and not triggered:
            triggered, start = True, here
            continue
        if p < rules.neg_threshold and triggered:
            if not temp_end:
                temp_end = here
            if here - temp_end < min_silence:
                continue
            if temp_end - start > min_speech:
                regions.append([start, temp_end])
            triggered, temp_end = False, 0
    if triggered and total_samples - start > min_speech:
        regions.append([start, total_samples])
    for i, region in enumerate(regions):
        if i == 0:
            region[0] = int(max(0, region[0] - pad))
        if i != len(regions) - 1:
            following = regions[i + 1]
            silence = following[0] - region[1]
            if silence < 2 * pad:
                region[1] += int(silence // 2)
                following[0] = int(max(0, following[0] - silence // 2))
            else:
                region[1] = int(min(total_samples, region[1] + pad))
                following[0] = int(max(0, following[0] - pad))
        else:
            region[1] = int(min(total_samples, region[1] + pad))
    return [(a, b) for a, b in regions]

"""speech.transcribe against PocketSphinx, side by side in one run: WER, real-time factor, subtitle timing.

Speech: five sentences of a LibriVox reading of Sense and Sensibility (public domain), with their
reference transcripts and PocketSphinx's forced word alignment (tests/data/speech/README.md).
They are laid end to end with 2 s pauses of room tone, then the same audio with white noise at 10 dB SNR; the
real-time factor is measured on a longer file (the clean set repeated 8 times, ~4.5 minutes).

Targets (issue 5): tiny.en WER at most a quarter of PocketSphinx's on clean speech; RTF under 0.2
on the long file on 2 CPU cores; subtitle starts within one frame (24 fps) of the onset of their
first word for at least 90% of subtitles.

    .venv/bin/pip install -e '.[bench]'; .venv/bin/python bench/speech.py
"""
from __future__ import annotations

import json
import re
import sys
import tempfile
import time
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

from rushes.runner import run

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "speech"
RATE = 16000
GAP = 2.0
LEAD = 1.0
NUMBERS = {"mr": "mister", "mrs": "missus", "dr": "doctor"}


def load(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768


def room_tone(seconds: float, seed: int) -> np.ndarray:
    """Quiet noise at the recordings' own floor (about -48 dBFS), as a dialogue track has between lines."""
    return (np.random.default_rng(seed).standard_normal(int(seconds * RATE)) * 0.004).astype(np.float32)


def build() -> tuple[np.ndarray, list[str], list[float]]:
    """The clips end to end with room tone between them: audio, reference words, word onsets (s)."""
    parts, words, onsets, t = [room_tone(LEAD, 0)], [], [], LEAD
    for wav in sorted(DATA.glob("austen-*.wav")):
        audio = load(wav)
        words += normalize(wav.with_suffix(".txt").read_text())
        for w in json.loads(wav.with_suffix(".json").read_text())["w"]:
            if not w["t"].startswith("<"):
                onsets.append(t + w["b"])
        parts += [audio, room_tone(GAP, len(parts))]
        t += len(audio) / RATE + GAP
    return np.concatenate(parts), words, onsets


def normalize(text: str) -> list[str]:
    text = re.sub(r"[-–—]", " ", text.lower())
    words = re.sub(r"[^a-z' ]", " ", text).split()
    return [NUMBERS.get(w, w) for w in words]


def wer(ref: list[str], hyp: list[str]) -> float:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(len(ref), 1)


def write_wav(path: Path, audio: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def with_noise(audio: np.ndarray, snr_db: float, seed: int = 7) -> np.ndarray:
    speech = audio[np.abs(audio) > 1e-3]
    noise = np.random.default_rng(seed).standard_normal(len(audio)).astype(np.float32)
    noise *= np.sqrt(np.mean(speech ** 2) / 10 ** (snr_db / 10))
    return audio + noise


def rushes(path: Path, model: str, out: Path):
    t = time.perf_counter()
    result = run("speech.transcribe", path, out, {"model": model}).result
    return result, time.perf_counter() - t


def pocketsphinx(path: Path, audio: np.ndarray) -> tuple[str, float]:
    """PocketSphinx 5 with its bundled US English model, one utterance per speech region (Silero VAD)."""
    from pocketsphinx import Decoder

    from rushes.modelstore import ModelStore
    from rushes.speech.vad import RegionRules, SileroVad, speech_regions

    t = time.perf_counter()
    vad = SileroVad(ModelStore().ensure("silero-vad"))
    regions = speech_regions(np.concatenate(list(vad.probabilities([audio]))), len(audio), RegionRules())
    decoder = Decoder(samprate=RATE)
    text = []
    for a, b in regions:
        decoder.start_utt()
        decoder.process_raw((np.clip(audio[a:b], -1, 1) * 32767).astype(np.int16).tobytes(), full_utt=True)
        decoder.end_utt()
        if decoder.hyp() is not None:
            text.append(decoder.hyp().hypstr)
    return " ".join(text), time.perf_counter() - t


def onset_hits(result, onsets: list[float], fps: Fraction) -> tuple[int, int]:
    frame = 1 / float(fps)
    hits = 0
    for cue in result.subtitles:
        start = float((cue.start_frame - result.clock.first_frame) / fps)
        nearest = min(onsets, key=lambda o: abs(o - start))
        hits += abs(nearest - start) <= frame
    return hits, len(result.subtitles)


def main() -> int:
    clean, ref, onsets = build()
    seconds = len(clean) / RATE
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = {"clean": write_wav(tmp / "clean.wav", clean),
                 "noise 10 dB": write_wav(tmp / "noisy.wav", with_noise(clean, 10.0))}
        long_audio = np.concatenate([clean] * 8)
        long_file = write_wav(tmp / "long.wav", long_audio)
        print(f"speech: {seconds:.1f} s, {len(ref)} words; long file {len(long_audio) / RATE:.0f} s; 2 CPU cores\n")
        wers: dict[tuple[str, str], float] = {}
        for model in ("tiny.en", "base"):
            rushes(files["clean"], model, tmp / "warm")  # model fetch/load outside the timings
            for label, path in files.items():
                result, _ = rushes(path, model, tmp / f"{model}-{label}")
                wers[(model, label)] = wer(ref, normalize(result.text))
                if label == "clean":
                    hits, count = onset_hits(result, onsets, result.clock.rate)
                    rows.append((model, "subtitle onsets", f"{hits}/{count} within 1 frame ({hits / max(count, 1):.0%})"))
            _, elapsed = rushes(long_file, model, tmp / f"{model}-long")
            rows.append((model, "RTF long file", f"{elapsed / (len(long_audio) / RATE):.3f}"))
        for label, path in files.items():
            text, _ = pocketsphinx(path, load(path))
            wers[("pocketsphinx", label)] = wer(ref, normalize(text))
        _, elapsed = pocketsphinx(long_file, long_audio)
        rows.append(("pocketsphinx", "RTF long file", f"{elapsed / (len(long_audio) / RATE):.3f}"))
    for (system, label), value in wers.items():
        rows.append((system, f"WER {label}", f"{value:.1%}"))
    for system, what, value in sorted(rows):
        print(f"{system:<14} {what:<22} {value}")
    ps = wers[("pocketsphinx", "clean")]
    ratio = wers[("tiny.en", "clean")] / ps if ps else float("inf")
    print(f"\ntiny.en WER / pocketsphinx WER on clean speech: {ratio:.2f} (target <= 0.25)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""speech.synthesize: scratch voice for animatics and temp edits, from a script.

The script is plain text, one line per spoken line, `CHARACTER: what they say` (a line with no
character is narration; `#` starts a comment; `(stage directions)` are not spoken). Each line is
spoken to its own WAV, then all of them into one combined WAV with a pause between lines, and the
result lists where every line sits in it.

Engines: Piper (neural, the en_US "joe" voice) when its optional extra is installed, else Debian's
flite. piper-tts is GPL-3.0-or-later, so rushes never imports it: it runs as its own process
(`python -m piper`), and everything else keeps rushes' MIT licence.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import unicodedata
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MediaError, ModelError
from ..operators import Context, Operator, Param
from ..results import VoiceLine, VoiceLines

PIPER_ENV = "RUSHES_PIPER_PYTHON"  # a Python that has piper-tts, e.g. a separate virtual environment
SPEAKABLE = re.compile(r"[^\W_]|[\s.,;:!?'\"()\-–—…&%$/]", re.UNICODE)


@dataclass
class ScriptLine:
    number: int  # line number in the script file
    character: str
    text: str


@dataclass
class Script:
    path: Path
    lines: list[ScriptLine]


def read_script(path: str | Path) -> Script:
    """Parse a script; a clear MediaError for an empty script or characters the voices cannot speak."""
    path = Path(path)
    if not path.exists():
        raise MediaError("does not exist", path)
    if path.is_dir():
        raise MediaError("is a folder, not a script (a text file of `CHARACTER: line` lines)", path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MediaError("is not UTF-8 text (save the script as UTF-8)", path) from None
    if "\x00" in text:
        raise MediaError("is not a text file", path)
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        line = unicodedata.normalize("NFKC", line).strip()
        line = line.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'}))
        if not line or line.startswith("#"):
            continue
        character, text_part = "", line
        head, sep, rest = line.partition(":")
        if sep and head.strip() and len(head) <= 40 and not any(ch.isdigit() for ch in head):
            character, text_part = head.strip(), rest.strip()
        spoken = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text_part)
        spoken = re.sub(r"\s+", " ", spoken).strip()
        bad = sorted({ch for ch in spoken if not SPEAKABLE.match(ch) or not _latin(ch)})
        if bad:
            shown = " ".join(repr(ch) for ch in bad[:5])
            raise MediaError(f"line {number}: characters the English voices cannot speak: {shown}", path)
        if not any(ch.isalnum() for ch in spoken):
            continue  # a line of stage directions only
        lines.append(ScriptLine(number, character, spoken))
    if not lines:
        raise MediaError("script has no lines to speak (expected `CHARACTER: line` per line)", path)
    return Script(path, lines)


def _latin(ch: str) -> bool:
    if not ch.isalpha():
        return True
    return "LATIN" in unicodedata.name(ch, "")


class Engine:
    name = ""
    voice = ""

    def speak(self, text: str, target: Path) -> None:
        raise NotImplementedError


class Piper(Engine):
    name = "piper"

    def __init__(self, python: str, voice_dir: Path, speed: float):
        self.python, self.voice_dir, self.speed = python, voice_dir, speed
        self.voice = "en_US-joe-medium"

    def speak(self, text: str, target: Path) -> None:
        model = self.voice_dir / "en_US-joe-medium.onnx"
        cmd = [self.python, "-m", "piper", "-m", str(model), "-c", f"{model}.json", "-f", str(target),
               "--length-scale", f"{1.0 / self.speed:.4f}"]
        _run(cmd, text, "piper", self._env())

    def _env(self) -> dict[str, str] | None:
        """This Python may have found piper on a path added at run time (rushes imported inside a
        host application, whose own Python runs the child): the child gets that path too."""
        spec = importlib.util.find_spec("piper") if self.python == sys.executable else None
        if spec is None or spec.origin is None:
            return None
        site = str(Path(spec.origin).parent.parent)
        return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (site, os.environ.get("PYTHONPATH"))))}


class Flite(Engine):
    name = "flite"

    def __init__(self, binary: str, speed: float):
        self.binary, self.speed = binary, speed
        self.voice = "slt"

    def speak(self, text: str, target: Path) -> None:
        cmd = [self.binary, "-voice", "slt", "--setf", f"duration_stretch={1.0 / self.speed:.4f}",
               "-o", str(target)]
        _run(cmd, text, "flite")


def _die_with_parent() -> None:
    """In the child, before exec: be killed when rushes dies (Linux), so no engine outlives a killed run."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run(cmd: list[str], text: str, name: str, env: dict[str, str] | None = None) -> None:
    # subprocess.run kills the child on any exception here (Ctrl-C, SIGTERM turned into one)
    proc = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=600, env=env,
                          preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise ModelError(f"{name} failed: {last}")


def piper_python() -> str | None:
    """A Python that can run piper-tts: $RUSHES_PIPER_PYTHON, or this one when the extra is installed."""
    if os.environ.get(PIPER_ENV):
        return os.environ[PIPER_ENV]
    return sys.executable if importlib.util.find_spec("piper") is not None else None


def choose_engine(choice: str, speed: float, ctx: Context) -> Engine:
    python = piper_python() if choice in ("auto", "piper") else None
    if python:
        return Piper(python, ctx.models.ensure("piper-joe", progress=lambda m: ctx.report(0.0, m)), speed)
    if choice == "piper":
        raise ModelError("Piper is not installed: pip install 'rushes[voice]' (piper-tts, GPL-3.0-or-later), "
                         f"or set {PIPER_ENV} to a Python that has it")
    flite = shutil.which("flite")
    if flite:
        return Flite(flite, speed)
    raise ModelError("no speech engine: install Piper (pip install 'rushes[voice]') or flite (apt install flite)")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2:
            raise MediaError("expected 16-bit PCM from the speech engine", path)
        data = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        return data.reshape(-1, w.getnchannels())[:, 0].copy(), w.getframerate()


def write_wav(target: Path, samples: np.ndarray, rate: int) -> Path:
    """Write 16-bit mono PCM to `target` as it is (callers pass a temporary path to fill)."""
    with wave.open(str(target), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, np.int16).tobytes())
    return target


def line_file(k: int, line: ScriptLine) -> str:
    """The output name of the k-th (0-based) spoken line."""
    slug = _slug(line.character)
    return f"voice/line_{k + 1:03d}" + (f"_{slug}" if slug else "") + ".wav"


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    return slug.strip("_").lower()[:24]


class SpeechSynthesize(Operator):
    name = "speech.synthesize"
    summary = "Speak a script (CHARACTER: line) as scratch voice: a WAV per line, a combined WAV, timings"
    inputs = ("text",)
    result = "VoiceLines"
    output_stem = "voice"
    extra = "speech"  # brings the Piper voice; without it flite speaks, so nothing is required
    extra_modules = ()
    writes_media = ("audio",)
    cancel_unit = "line"
    network = True
    params = (
        Param("engine", str, "auto", "Engine", "auto: Piper when installed, else flite; piper; flite",
              choices=("auto", "piper", "flite")),
        Param("speed", float, 1.0, "Speed", "speaking rate (1: the voice's own)", min=0.5, max=2.0, step=0.05),
        Param("gap", float, 0.5, "Pause between lines (s)", "silence between lines in the combined file",
              min=0.0, max=10.0, unit="s"),
    )

    @classmethod
    def needs_device(cls, params: dict[str, Any]) -> bool:
        return False  # Piper and flite speak on the CPU, in their own process: no device to hold

    def open_input(self, path: str, params: dict[str, Any]) -> Script:
        return read_script(path)

    def outputs(self, script: Script, params: dict[str, Any], frame_range: tuple[int, int] | None) -> list[str]:
        return [line_file(k, line) for k, line in enumerate(script.lines)] + ["voice/combined.wav"]

    def run(self, script: Script, params: dict[str, Any], ctx: Context) -> VoiceLines:
        engine = choose_engine(params["engine"], params["speed"], ctx)
        lines, pieces, rate, t = [], [], None, 0.0
        for k, line in enumerate(script.lines):
            ctx.report(k / len(script.lines), f"{engine.name}: line {k + 1}/{len(script.lines)}")
            name = line_file(k, line)
            # staged: the line files land together with voice.json at the end, or not at all
            with ctx.output.write(name) as tmp:
                engine.speak(line.text, tmp)
                samples, line_rate = read_wav(tmp)
            if rate is None:
                rate = line_rate
            if k:
                pieces.append(np.zeros(int(params["gap"] * rate), np.int16))
                t += params["gap"]
            pieces.append(samples)
            length = len(samples) / rate
            lines.append(VoiceLine(k + 1, line.character, line.text, name, round(t, 4), round(t + length, 4)))
            t += length
        with ctx.output.write("voice/combined.wav") as tmp:
            write_wav(tmp, np.concatenate(pieces), rate)
        ctx.report(1.0, "done")
        return VoiceLines(str(script.path), engine.name, engine.voice, rate, "voice/combined.wav", lines,
                          {k: params[k] for k in ("engine", "speed", "gap")},
                          [f"spoken by {engine.name} ({engine.voice})"])

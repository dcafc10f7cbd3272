"""speech.synthesize: a script to scratch voice (Piper, flite), and back through speech.transcribe."""
import json
import re
import shutil
import wave

import pytest

from rushes.errors import MediaError
from rushes.runner import run
from test_cli import assert_one_line_error, rushes

SCRIPT = """# Scene 12 - scratch voice
MARY: Did you hear that? Someone is at the door.
JOHN: (whispering) Stay here. I will take a look outside.

NARRATOR: The wind was getting stronger.
MARY: Be careful, John.
"""


def words(text):
    return re.sub(r"[^a-z ]", " ", text.lower()).split()


def check_lines(out, result, expected_rate):
    data = json.loads((out / "voice.json").read_text())
    assert data["engine"] == result.engine and data["sample_rate"] == expected_rate
    assert [line["character"] for line in data["lines"]] == ["MARY", "JOHN", "NARRATOR", "MARY"]
    assert data["lines"][1]["text"] == "Stay here. I will take a look outside."  # direction not spoken
    total = 0
    for line in data["lines"]:
        with wave.open(str(out / line["file"])) as w:
            assert w.getframerate() == expected_rate and w.getnchannels() == 1
            seconds = w.getnframes() / expected_rate
        assert seconds > 0.5 and abs((line["end"] - line["start"]) - seconds) < 1e-3
        total = line["end"]
    with wave.open(str(out / "voice" / "combined.wav")) as w:
        assert abs(w.getnframes() / w.getframerate() - total) < 1e-3
    return data


def test_piper_voice_round_trips_through_transcription(tmp_path):
    script = tmp_path / "scène 12.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    out = run("speech.synthesize", script, tmp_path / "voice out", {"engine": "piper"})
    assert out.result.engine == "piper" and out.result.voice == "en_US-joe-medium"
    data = check_lines(tmp_path / "voice out", out.result, 22050)
    heard = run("speech.transcribe", tmp_path / "voice out" / "voice" / "combined.wav", tmp_path / "heard", {}).result
    said = words(" ".join(line["text"] for line in data["lines"]))
    got = words(heard.text)
    assert sum(w in got for w in said) >= 0.9 * len(said)
    # the subtitles start where the timing JSON puts the lines (Piper's voice varies from run to
    # run, and Whisper may now and then join two short lines into one subtitle: all but one)
    starts = [float(c.start_frame / heard.clock.rate) for c in heard.subtitles]
    on_time = [min(abs(s - line["start"]) for s in starts) < 0.25 for line in data["lines"]]
    assert on_time[0] and sum(on_time) >= len(on_time) - 1, (starts, [line["start"] for line in data["lines"]])
    # a second run into the same folder keeps the first one whole, in one version folder
    run("speech.synthesize", script, tmp_path / "voice out", {"engine": "piper", "speed": 1.2})
    kept = tmp_path / "voice out" / "versions"
    assert [p.name for p in kept.iterdir()] == ["v001"]
    assert (kept / "v001" / "voice.json").exists() and (kept / "v001" / "voice" / "combined.wav").exists()


@pytest.mark.skipif(shutil.which("flite") is None, reason="Debian's flite is not installed (apt install flite)")
def test_flite_fallback_speaks_and_says_so(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    out = run("speech.synthesize", script, tmp_path / "out", {"engine": "flite"})
    assert out.result.engine == "flite" and "spoken by flite (slt)" in out.result.notes
    check_lines(tmp_path / "out", out.result, 16000)
    heard = run("speech.transcribe", tmp_path / "out" / "voice" / "combined.wav", tmp_path / "heard", {}).result
    said = words(SCRIPT.split("\n", 1)[1].replace("(whispering)", ""))
    said = [w for w in said if w not in {"mary", "john", "narrator"}] + ["john"]
    assert sum(w in words(heard.text) for w in said) >= 0.7 * len(said)


def test_bad_scripts_fail_in_one_line_and_write_nothing(tmp_path):
    empty = tmp_path / "empty script.txt"
    empty.write_text("# only a comment\n\n(silence)\n", encoding="utf-8")
    with pytest.raises(MediaError, match="no lines to speak"):
        run("speech.synthesize", empty, tmp_path / "out", {})
    japanese = tmp_path / "台本.txt"
    japanese.write_text("MARY: Hello.\nKENJI: こんにちは\n", encoding="utf-8")
    proc = rushes("run", "speech.synthesize", japanese, "--out", tmp_path / "out")
    assert_one_line_error(proc, "台本.txt", "line 2", "cannot speak")
    emoji = tmp_path / "emoji.txt"
    emoji.write_text("MARY: Great 🎉\n", encoding="utf-8")
    with pytest.raises(MediaError, match="line 1"):
        run("speech.synthesize", emoji, tmp_path / "out", {})
    binary = tmp_path / "take.wav"
    binary.write_bytes(b"RIFF\x00\x00\xff\xfe" * 10)
    with pytest.raises(MediaError, match="not UTF-8|not a text file"):
        run("speech.synthesize", binary, tmp_path / "out", {})
    proc = rushes("run", "speech.synthesize", empty, "--out", tmp_path / "out", "-p", "speed=9")
    assert_one_line_error(proc, "speed", "out of range")
    assert not (tmp_path / "out").exists()

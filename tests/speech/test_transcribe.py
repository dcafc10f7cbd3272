"""speech.vad and speech.transcribe on real recorded speech (LibriVox), movies, telephone and 5.1 audio."""
import json
import re
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import srt
import webvtt

from fixtures.audio import tone, write_audio
from rushes.errors import MediaError
from rushes.runner import run

DATA = Path(__file__).resolve().parent.parent / "data" / "speech"


def load(path):
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768


def room_tone(seconds, rate=16000, seed=0):
    return (np.random.default_rng(seed).standard_normal(int(seconds * rate)) * 0.004).astype(np.float32)


def words_of(text):
    return re.sub(r"[^a-z' ]", " ", re.sub(r"[-–]", " ", text.lower())).replace("mr ", "mister ").split()


def wer(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / len(ref)


@pytest.fixture(scope="module")
def reading():
    """The five LibriVox sentences with 2 s of room tone between them: (audio, reference words, starts)."""
    parts, ref, starts, t = [room_tone(1.0)], [], [], 1.0
    for i, wav in enumerate(sorted(DATA.glob("austen-*.wav"))):
        audio = load(wav)
        ref += words_of(wav.with_suffix(".txt").read_text())
        first = next(w["b"] for w in json.loads(wav.with_suffix(".json").read_text())["w"] if w["t"][0] != "<")
        starts.append(t + first)
        parts += [audio, room_tone(2.0, seed=i + 1)]
        t += len(audio) / 16000 + 2.0
    return np.concatenate(parts), ref, starts


def test_transcribes_recorded_speech_into_subtitles(tmp_path, reading):
    audio, ref, starts = reading
    path = tmp_path / "Austen reading, take 1.wav"
    write_audio(path, audio[None], 16000, "mono")
    out = run("speech.transcribe", path, tmp_path / "out", media={"rate": "23.976"})
    result = out.result
    assert {p.name for p in out.files} == {"transcript.json", "transcript.srt", "transcript.vtt", "transcript.nk"}
    assert result.language == "en" and result.clock.rate == Fraction(24000, 1001)
    assert wer(ref, words_of(result.text)) <= 0.08
    assert {"dashwood", "amiable", "respectable", "selfish"} <= set(words_of(result.text))
    # every sentence's first subtitle appears within 0.1 s of the reader's first word
    cue_starts = [float(c.start_frame / result.clock.rate) for c in result.subtitles]
    assert all(min(abs(s - t) for s in cue_starts) <= 0.1 for t in starts)
    # subtitles: at most 2 lines of 42 characters, in order, gaps kept, all words shown once
    for a, b in zip(result.subtitles, result.subtitles[1:]):
        assert a.end_frame <= b.start_frame - 2
    assert all(len(c.lines) <= 2 and all(len(line) <= 42 for line in c.lines) for c in result.subtitles)
    shown = " ".join(" ".join(c.lines) for c in result.subtitles)
    assert shown.split() == " ".join(w.text for s in result.segments for w in s.words).split()
    # the files parse with independent readers and agree with the frames
    cues = list(srt.parse((tmp_path / "out" / "transcript.srt").read_text(encoding="utf-8")))
    vtt = webvtt.read(str(tmp_path / "out" / "transcript.vtt"))
    assert len(cues) == len(vtt) == len(result.subtitles)
    for cue, v, sub in zip(cues, vtt, result.subtitles):
        exact = sub.start_frame * Fraction(1001, 24000)
        assert abs(cue.start.total_seconds() - float(exact)) <= 0.0005
        assert cue.content.split("\n") == sub.lines == v.text.split("\n")
        assert v.start == srt.timedelta_to_srt_timestamp(cue.start).replace(",", ".")
    data = json.loads((tmp_path / "out" / "transcript.json").read_text())
    assert data["rate"] == {"num": 24000, "den": 1001}
    word = data["segments"][0]["words"][1]
    assert word["start_frame"] == round(Fraction(str(word["start"])) * Fraction(24000, 1001))


def test_vad_streams_the_same_regions_as_faster_whisper(tmp_path, reading, store):
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    audio = np.concatenate([reading[0]] * 2)
    path = tmp_path / "reading twice.flac"
    write_audio(path, audio[None], 16000, "mono", codec="flac")
    out = run("speech.vad", path, tmp_path / "vad", {})
    reference = get_speech_timestamps(audio, VadOptions(threshold=0.5, min_speech_duration_ms=250,
                                                        min_silence_duration_ms=500, speech_pad_ms=200))
    got = out.result.regions
    assert len(got) == len(reference) == 10
    for (a, b), r in zip(got, reference):
        assert abs(a - r["start"] / 16000) < 1e-6 and abs(b - r["end"] / 16000) < 1e-6
    assert {p.name for p in out.files} == {"speech.json", "speech.csv", "speech.otio", "speech.nk"}
    import opentimelineio as otio

    markers = otio.adapters.read_from_file(str(tmp_path / "vad" / "speech.otio")).find_clips()[0].markers
    assert len(markers) == 10 and markers[0].marked_range.start_time.value == round(got[0][0] * 24)


def test_movie_with_timecode_six_channels_at_23976(tmp_path, reading):
    """A 5.1 sound track (dialogue in the centre channel) in a 23.976 movie starting at 01:00:00:00 (non-drop: frame 86400)."""
    audio, ref, _ = reading
    speech = audio[:16000 * 12]  # first sentence, resampled to 48 kHz
    x = np.interp(np.arange(len(speech) * 3) / 3, np.arange(len(speech)), speech)
    six = np.zeros((6, len(x)))
    six[2] = x
    six[4:] = 0.003 * np.random.default_rng(1).standard_normal((2, len(x)))
    frames = [np.full((64, 64, 3), 40, np.uint8)] * int(12 * 24000 / 1001)
    path = tmp_path / "sc010 tk2.mov"
    write_audio(path, six, 48000, "5.1", codec="aac", video_frames=frames, video_rate=Fraction(24000, 1001),
                timecode="01:00:00:00")
    result = run("speech.transcribe", path, tmp_path / "out", {}).result
    assert result.clock.rate == Fraction(24000, 1001) and result.clock.first_frame == 86400
    assert {"dashwood", "leisure", "prudently"} <= set(words_of(result.text))
    first = result.subtitles[0]
    assert 86400 + 24 <= first.start_frame <= 86400 + 36  # speech starts ~1.2 s in
    cue = next(srt.parse((tmp_path / "out" / "transcript.srt").read_text()))
    assert abs(cue.start.total_seconds() - (first.start_frame - 86400) * 1001 / 24000) < 0.0005


def test_telephone_audio_and_the_base_model(tmp_path, reading):
    audio, ref, _ = reading
    n = len(audio) // 2
    phone = np.interp(np.arange(n) * 2, np.arange(len(audio)), audio)  # 8 kHz
    path = tmp_path / "phone 8k.wav"
    write_audio(path, phone[None], 8000, "mono")
    tiny = run("speech.transcribe", path, tmp_path / "tiny", {}).result
    base = run("speech.transcribe", path, tmp_path / "base", {"model": "base", "beam_size": 2}).result
    said = words_of(" ".join(open(p).read() for p in sorted(DATA.glob("austen-*.txt"))[:3]))
    assert wer(said, words_of(tiny.text)[:len(said)]) <= 0.25
    assert base.language == "en" and base.language_probability > 0.8  # detected, not given
    assert wer(said, words_of(base.text)[:len(said)]) <= 0.25


def test_silence_and_music_give_empty_transcripts(tmp_path):
    silence = tmp_path / "room tone.wav"
    write_audio(silence, room_tone(20.0)[None], 16000, "mono")
    t = np.arange(16000 * 20) / 16000
    chords = sum(np.sin(2 * np.pi * f * t) * (0.5 + 0.5 * np.sign(np.sin(2 * np.pi * 2 * t))) for f in (220, 277, 330))
    music = tmp_path / "score cue.wav"
    write_audio(music, (0.2 * chords)[None], 16000, "mono")
    for path in (silence, music):
        out = run("speech.transcribe", path, tmp_path / path.stem, {})
        assert out.result.segments == [] and out.result.subtitles == [] and "no speech found" in out.result.notes
        assert (tmp_path / path.stem / "transcript.srt").read_text() == ""
        assert list(webvtt.read(str(tmp_path / path.stem / "transcript.vtt"))) == []


def test_long_file_streams_in_blocks(tmp_path, reading, monkeypatch):
    """Six minutes with speech at both ends: streamed in blocks, times exact, progress only forward."""
    audio = reading[0]
    first, last = audio[16000:16000 * 9], audio[-16000 * 8:]
    long = np.concatenate([room_tone(10), first, room_tone(330, seed=3), last, room_tone(5, seed=4)])
    path = tmp_path / "long take.wav"
    write_audio(path, long[None], 16000, "mono")
    from rushes.speech import operator as op

    blocks = []
    original = op._block_audio
    monkeypatch.setattr(op, "_block_audio", lambda m, b: (blocks.extend(b), original(m, b))[1])
    fractions = []
    result = run("speech.transcribe", path, tmp_path / "out", {}, progress=lambda f, m: fractions.append(f)).result
    assert len(blocks) == 2 and blocks[0].end < 16000 * 300
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert "dashwood" in words_of(result.segments[0].text) and result.segments[0].start < 12
    assert result.segments[-1].start > 345 and "amiable" in words_of(result.segments[-1].text)


def test_bad_inputs(tmp_path, reading):
    video_only = tmp_path / "no sound.mp4"
    import av

    with av.open(str(video_only), "w") as c:
        v = c.add_stream("libx264", rate=24)
        v.width = v.height = 64
        v.pix_fmt = "yuv420p"
        for _ in range(10):
            for p in v.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
    with pytest.raises(MediaError, match="has no audio stream") as err:
        run("speech.transcribe", video_only, tmp_path / "out", {})
    assert "no sound.mp4" in str(err.value)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="0 bytes"):
        run("speech.vad", empty, tmp_path / "out", {})
    from rushes.errors import ParameterError

    ok = tmp_path / "ok.wav"
    write_audio(ok, tone(440, 1.0, 16000), 16000, "mono")
    with pytest.raises(ParameterError, match="English only"):
        run("speech.transcribe", ok, tmp_path / "out", {"task": "translate"})
    with pytest.raises(ParameterError, match="not a Whisper language"):
        run("speech.transcribe", ok, tmp_path / "out", {"model": "base", "language": "klingon"})
    assert not (tmp_path / "out").exists()

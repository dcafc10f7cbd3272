"""Audio from movies and audio files: stream choice, mixdown, resampling, streaming, errors."""
from fractions import Fraction

import av
import numpy as np
import pytest

from fixtures import edit
from fixtures.audio import tone, write_audio
from rushes.errors import MediaError
from rushes.media import probe_audio, read_audio


def test_telephone_wav_is_resampled(tmp_path):
    path = tmp_path / "tél 8k.wav"
    write_audio(path, tone(440, 3.0, 8000), 8000, "mono")
    info = probe_audio(path)
    assert (info.sample_rate, info.channels) == (8000, 1)
    audio = np.concatenate(list(read_audio(path, 16000)))
    assert abs(len(audio) - 48000) <= 64
    spectrum = np.abs(np.fft.rfft(audio[4000:36000]))
    assert abs(np.argmax(spectrum) * 16000 / 32000 - 440) < 2


def test_six_channels_mix_down_and_stream(tmp_path):
    path = tmp_path / "mix 5.1.wav"
    signal = np.zeros((6, 48000 * 4))
    signal[2] = tone(1000, 4.0, 48000)[0]  # dialogue on the centre channel only
    write_audio(path, signal, 48000, "5.1")
    assert probe_audio(path).channels == 6
    chunks = list(read_audio(path, 16000, chunk_seconds=1.0))
    assert len(chunks) >= 4 and all(len(c) == 16000 for c in chunks[:3])
    audio = np.concatenate(chunks)
    assert np.abs(audio).max() > 0.05  # the centre channel survives the mixdown


def test_movie_sound_track_and_missing_stream(tmp_path, sample_clip):
    frames = [np.full((90, 160, 3), 100, np.uint8)] * 25
    movie = tmp_path / "take 1.mp4"
    write_audio(movie, tone(300, 1.0, 48000, 2), 48000, "stereo", codec="aac", video_frames=frames)
    audio = np.concatenate(list(read_audio(movie, 16000)))
    assert abs(len(audio) - 16000) < 2048 and np.abs(audio).max() > 0.1
    with pytest.raises(MediaError, match="stream 1 does not exist"):
        list(read_audio(movie, stream_index=1))
    silent = tmp_path / "picture only.mp4"
    edit._encode(frames, silent, Fraction(25))
    with pytest.raises(MediaError, match="has no audio stream") as err:
        probe_audio(silent)
    assert "picture only.mp4" in str(err.value)
    assert probe_audio(sample_clip).channels >= 1  # the real sample carries its sound track


def test_bad_audio_files(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("not audio\n" * 100)
    with pytest.raises(MediaError, match=r"0 bytes"):
        probe_audio(empty)
    with pytest.raises(MediaError, match="not a readable audio"):
        list(read_audio(text))

"""Loaded models stay warm: a second job reuses the first one's sessions; the cache is bounded,
loads each key once across threads, and is sized by RUSHES_MODEL_CACHE_MB."""
import threading
from pathlib import Path

import numpy as np
import pytest
from fixtures import edit

import rushes
import rushes.devices
from rushes.errors import ParameterError
from rushes.media.image import write_image
from rushes.modelstore.loaded import CACHE_MB_ENV, MODELS, LoadedModels

SPEECH = Path(__file__).parent / "data" / "speech" / "austen-0870.wav"


def test_a_second_job_reuses_the_loaded_models(tmp_path, store, sample_clip, monkeypatch):
    movie = edit.first_frames(sample_clip, tmp_path / "A001.mp4")
    still = write_image(tmp_path / "plate.png", np.linspace(0, 1, 16 * 16 * 3, dtype=np.float32).reshape(16, 16, 3),
                        fmt="uint8")
    jobs = [("detect.shots", movie, {"method": "transnet"}), ("gan.upscale", still, {}),
            ("speech.transcribe", SPEECH, {})]
    first = [rushes.run(op, source, tmp_path / f"first-{op}", params, models=store) for op, source, params in jobs]
    kept, loads = MODELS.entries(), MODELS.loads
    names = {str(key) for key in kept}
    for model in ("transnetv2.onnx", "realesr-animevideov3.onnx", "whisper-tiny-en", "silero_vad_v6.onnx"):
        assert any(model in name for name in names), (model, names)

    def load_again(*args, **kwargs):
        raise AssertionError("a model was loaded again")

    monkeypatch.setattr(rushes.devices, "onnx_session", load_again)
    monkeypatch.setattr("faster_whisper.WhisperModel", load_again)
    second = [rushes.run(op, source, tmp_path / f"second-{op}", params, models=store) for op, source, params in jobs]
    assert MODELS.loads == loads
    after = MODELS.entries()
    assert all(after[key] is model for key, model in kept.items())  # the very same session objects
    # and the same answers
    assert second[0].result.cuts == first[0].result.cuts
    assert [s.text for s in second[2].result.segments] == [s.text for s in first[2].result.segments]


def test_the_cache_is_bounded_and_drops_the_least_recently_used():
    cache = LoadedModels(limit=100)
    a = cache.get_or_load("a", 40, object)
    b = cache.get_or_load("b", 40, object)
    assert cache.get_or_load("a", 40, object) is a  # used: now the most recent
    c = cache.get_or_load("c", 40, object)  # 120 > 100: b, the least recently used, goes
    assert cache.entries() == {"a": a, "c": c} and cache.size() == 80
    assert cache.get_or_load("b", 40, object) is not b
    huge = cache.get_or_load("huge", 1000, object)  # larger than the bound: this caller's only
    assert "huge" not in cache.entries() and cache.get_or_load("huge", 1000, object) is not huge


def test_one_load_per_key_across_threads():
    cache = LoadedModels(limit=1 << 30)
    entered, release, calls = threading.Event(), threading.Event(), []

    def load():
        calls.append(threading.current_thread())
        entered.set()
        assert release.wait(60)
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get_or_load("k", 1, load))) for _ in range(8)]
    for t in threads:
        t.start()
    assert entered.wait(60)
    release.set()
    for t in threads:
        t.join(60)
    assert len(calls) == 1 and len(got) == 8 and all(g is got[0] for g in got)


def test_a_failed_load_is_not_kept_and_the_next_caller_tries_again():
    cache = LoadedModels(limit=1 << 30)
    with pytest.raises(OSError):
        cache.get_or_load("k", 1, lambda: (_ for _ in ()).throw(OSError("disk gone")))
    assert cache.entries() == {} and cache.get_or_load("k", 1, lambda: "ok") == "ok"


def test_the_bound_comes_from_the_environment(monkeypatch):
    cache = LoadedModels()
    monkeypatch.setenv(CACHE_MB_ENV, "0")  # 0: nothing is kept
    cache.get_or_load("k", 1, object)
    assert cache.entries() == {}
    monkeypatch.setenv(CACHE_MB_ENV, "lots")
    with pytest.raises(ParameterError, match="RUSHES_MODEL_CACHE_MB='lots' must be a whole number of megabytes"):
        cache.get_or_load("k", 1, object)

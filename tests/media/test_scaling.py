"""Scaling RGB pictures: scale_rgb8 and the planar Pyramid give the pinned scaler's pixels."""
import av
import numpy as np

from rushes.media import color
from rushes.media.movie import SCALER

SIZES = [((1080, 1920), (1536, 864)), ((61, 59), (128, 128)), ((7, 5), (3, 2)), ((100, 101), (333, 77))]


def packed(rgb8: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """swscale writing packed RGB, as scale_rgb8 did before it wrote planar RGB."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb8), format="rgb24")
    return frame.reformat(width=size[0], height=size[1], interpolation=SCALER).to_ndarray()


def picture(shape: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(sum(shape))
    return (np.cumsum(rng.integers(0, 9, (*shape, 3)), 1) % 256).astype(np.uint8)  # edges and gradients


def test_scale_rgb8_gives_the_packed_scalers_pixels():
    for shape, size in SIZES:
        out = color.scale_rgb8(picture(shape), size)
        assert out.shape == (size[1], size[0], 3) and out.dtype == np.uint8
        assert np.array_equal(out, packed(picture(shape), size)), (shape, size)


def test_pyramid_levels_are_made_from_the_next_larger_level():
    rgb8 = picture((1080, 1920))
    pyramid = color.Pyramid(rgb8)
    fine = np.stack(pyramid.planes(0.8), -1)
    assert np.array_equal(fine, color.scale_rgb8(rgb8, (1536, 864)))
    # a coarser level comes from the 0.8 one, as a chain of scale_rgb8 calls would
    coarse = np.stack(pyramid.planes(0.8 / 3), -1)
    assert np.array_equal(coarse, color.scale_rgb8(fine, (512, 288)))
    # above the source's size, from the source itself; the source's own size is the source
    assert np.array_equal(np.stack(pyramid.planes(1.25), -1), color.scale_rgb8(rgb8, (2400, 1350)))
    assert np.array_equal(np.stack(pyramid.planes(1.0), -1), rgb8)
    r, g, b = pyramid.planes(0.8)
    assert r.shape == (864, 1536) and np.array_equal(r, fine[..., 0]) and np.array_equal(b, fine[..., 2])

from fractions import Fraction

import numpy as np
import pytest

from fixtures import edit
from rushes.errors import MediaError
from rushes.media import Movie, probe


@pytest.fixture(scope="module")
def ntsc_clips(tmp_path_factory, sample_clip):
    """Real frames re-encoded at 23.976 with a start timecode and at 29.97 drop-frame."""
    import av

    with av.open(str(sample_clip)) as c:
        frames = [f.to_ndarray(format="rgb24") for _, f in zip(range(120), c.decode(video=0))]
    folder = tmp_path_factory.mktemp("ntsc")
    a, b = folder / "a 23976.mov", folder / "b 2997.mp4"
    edit._encode(frames, a, Fraction(24000, 1001), timecode="01:00:00:00")
    edit._encode(frames, b, Fraction(30000, 1001), timecode="00:59:59;28")
    return a, b, frames


def test_probe_exact_rates_and_timecode(ntsc_clips):
    a, b, frames = ntsc_clips
    ia, ib = probe(a), probe(b)
    assert ia.rate == Fraction(24000, 1001) and ia.frame_count == len(frames)
    assert ia.start_timecode == "01:00:00:00" and ia.first_frame == 86400
    assert ib.rate == Fraction(30000, 1001)
    assert ib.start_timecode == "00:59:59;28" and ib.first_frame == 107890
    assert (ia.width, ia.height) == (160, 90)


def test_seek_is_frame_accurate(ntsc_clips):
    a, _, _ = ntsc_clips
    movie = Movie(a)
    sequential = {i: f for i, f in movie.frames()}
    assert sorted(sequential) == list(range(120))
    for start in (1, 37, 61, 119):
        index, frame = next(movie.frames(start=start, stop=start + 1))
        assert index == start
        assert np.array_equal(frame, sequential[start])


def test_scaled_frames_use_the_pinned_scaler(sample_clip):
    (_, small), = list(Movie(sample_clip).frames(0, 1, size=(48, 27)))
    assert small.shape == (27, 48, 3) and small.dtype == np.uint8


def test_bad_movies_give_one_line_errors(tmp_path, bad_movies):
    with pytest.raises(MediaError, match=r"empty file \(0 bytes\)"):
        Movie(bad_movies["empty"])
    with pytest.raises(MediaError, match="not a readable movie"):
        Movie(bad_movies["text"])
    with pytest.raises(MediaError, match="does not exist"):
        Movie(tmp_path / "nope.mp4")
    with pytest.raises(MediaError, match="truncated or corrupt|not a readable movie") as err:
        movie = Movie(bad_movies["corrupt"])
        for _ in movie.frames():
            pass
    assert "\n" not in str(err.value) and "cut short.mp4" in str(err.value)

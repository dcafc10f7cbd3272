"""The report's pictures: frames asked of the media layer decoded once each (Movie.pictures), the same
pixels as a frame-accurate read, and JPEGs made in memory that any reader opens."""
from __future__ import annotations

import numpy as np

from rushes.media import Movie, read_image
from rushes.report.pictures import crop_box, jpeg


def test_movie_pictures_are_the_frames_asked_for_each_at_its_size(sample_clip):
    movie = Movie(sample_clip)
    assert movie.frame_count == 5301
    # close frames (decoded through), far ones (sought), the first and the last, and one past the end
    sizes = {0: None, 3: (80, 45), 4: None, 1200: None, 1201: (32, 18), 4000: None, 5300: (160, 90), 9999: None}
    got = list(movie.pictures(sizes))
    assert [i for i, _ in got] == [0, 3, 4, 1200, 1201, 4000, 5300]
    for index, picture in got:
        size = sizes[index]
        (_, expected), = movie.frames(index, index + 1, size=size)
        assert picture.shape == (expected.shape[0], expected.shape[1], 3) and np.array_equal(picture, expected), index
    assert list(movie.pictures({})) == []


def test_movie_pictures_reach_frames_between_key_frames_exactly(edit_clip):
    """The edit's frames either side of its cuts and between its key frames: sought or decoded on,
    frames nothing is made from skipped when none asked for is near, the pixels a plain read gives."""
    clip, truth = edit_clip
    movie = Movie(clip)
    keys = movie._key_frames()
    assert keys[0] == 0 and len(keys) > 2 and keys != list(range(movie.frame_count))
    inside = range(movie.frame_count)
    wanted = sorted({0, *truth["cuts"], *(c - 1 for c in truth["cuts"]), *(k + 7 for k in keys if k + 7 in inside),
                     movie.frame_count - 1})
    got = dict(movie.pictures({f: (160, 90) for f in wanted}))
    everything = dict(movie.frames(size=(160, 90)))
    assert sorted(got) == wanted and all(np.array_equal(got[f], everything[f]) for f in wanted)


def test_jpegs_read_back_close_to_their_pixels(tmp_path):
    ramp = np.zeros((91, 161, 3), np.uint8)  # odd sizes, as crops have
    ramp[:] = np.linspace(0, 255, 161)[None, :, None].astype(np.uint8)
    ramp[20:60, 30:90] = (200, 30, 40)
    (tmp_path / "x.jpg").write_bytes(jpeg(ramp))
    back, meta = read_image(tmp_path / "x.jpg")
    assert back.shape == ramp.shape and np.abs(back * 255 - ramp).mean() < 3


def test_a_crop_is_its_box_grown_by_a_fifth_and_kept_inside_the_frame():
    assert crop_box((100, 50, 150, 110), 640, 360) == (90, 38, 160, 122)
    assert crop_box((-20, -10, 30, 40), 640, 360) == (0, 0, 40, 50)
    assert crop_box((620, 340, 660, 380), 640, 360) == (612, 332, 640, 360)

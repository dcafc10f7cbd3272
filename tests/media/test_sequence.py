import numpy as np
import OpenImageIO as oiio
import pytest

from rushes.errors import MediaError, MissingFramesError
from rushes.media import ImageSequence, parse_pattern, read_image


def write_exr(path, pixels, channels=("R", "G", "B", "A")):
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], "half")
    spec.channelnames = channels
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec)
    out.write_image(pixels.astype(np.float32))
    out.close()


@pytest.mark.parametrize("name,padding,first,last", [
    ("plate.%04d.exr", 4, None, None),
    ("plate.####.exr", 4, None, None),
    ("plate.1001-1100#.exr", 4, 1001, 1100),
    ("plate.1-20@@@.exr", 3, 1, 20),
    ("plate.%d.exr", 1, None, None),
])
def test_patterns(tmp_path, name, padding, first, last):
    p = parse_pattern(tmp_path / name)
    assert (p.prefix, p.suffix, p.padding, p.first, p.last) == ("plate.", ".exr", padding, first, last)
    assert p.path(1001).name == f"plate.{1001:0{padding}d}.exr"


def test_single_file_is_not_a_pattern(tmp_path):
    assert parse_pattern(tmp_path / "plate.1001.exr") is None


def test_missing_and_empty_frames_are_reported(tmp_path):
    px = np.full((8, 8, 4), 0.5, np.float32)
    for f in (1001, 1002, 1004, 1006):
        write_exr(tmp_path / f"sh 010 é.{f}.exr", px)
    (tmp_path / "sh 010 é.1005.exr").write_bytes(b"")
    with pytest.raises(MissingFramesError) as err:
        ImageSequence(tmp_path / "sh 010 é.####.exr")
    assert err.value.missing == [1003, 1005]
    assert "1003, 1005" in str(err.value)
    seq = ImageSequence(tmp_path / "sh 010 é.####.exr", on_bad_frame="hold")
    frames = list(seq.frames())
    assert [i for i, _ in frames] == [0, 1, 2, 3, 4, 5]
    # a held frame repeats its predecessor
    assert np.array_equal(frames[2][1], frames[1][1])


def test_explicit_range_reports_frames_outside_disk(tmp_path):
    write_exr(tmp_path / "p.0001.exr", np.zeros((4, 4, 3), np.float32), ("R", "G", "B"))
    with pytest.raises(MissingFramesError, match="2-5"):
        ImageSequence(tmp_path / "p.1-5#.exr")


def test_half_exr_with_alpha_reads_exactly(tmp_path):
    px = np.random.default_rng(1).uniform(-0.5, 8.0, (6, 5, 4)).astype(np.float16).astype(np.float32)
    write_exr(tmp_path / "hdr.exr", px)
    got, meta = read_image(tmp_path / "hdr.exr")
    assert meta["format"] == "half" and meta["channels"] == ["R", "G", "B", "A"]
    assert np.array_equal(got, px)


def test_no_frames(tmp_path):
    with pytest.raises(MediaError, match="no frames found"):
        ImageSequence(tmp_path / "none.####.exr")

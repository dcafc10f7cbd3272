"""Still images: a damaged PNG is refused in one line, and libpng never writes to the process's stderr."""
import numpy as np
import pytest

from rushes.errors import MediaError
from rushes.media.image import read_image, write_image


@pytest.fixture()
def png(tmp_path):
    pixels = np.random.default_rng(7).random((64, 64, 3), dtype=np.float32)
    return write_image(tmp_path / "plate.png", pixels, fmt="uint8")


def damaged(png, name: str, data: bytes):
    path = png.with_name(name)
    path.write_bytes(data)
    return path


def test_damaged_pngs_are_refused_before_libpng_sees_them(png, capfd, monkeypatch):
    """libpng prints its errors to fd 2, which is the host's console when rushes runs inside one;
    silencing fd 2 would silence the host too. So a damaged PNG never reaches libpng."""
    import OpenImageIO as oiio

    opened = []
    real_open = oiio.ImageInput.open
    monkeypatch.setattr(oiio.ImageInput, "open", lambda name, *a: opened.append(name) or real_open(name, *a))
    data = png.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    cases = {
        damaged(png, "half.png", data[: len(data) // 2]): "PNG cut short inside its IDAT chunk",
        damaged(png, "header only.png", data[:40]): "PNG cut short before its end chunk",
        damaged(png, "flipped.png", bytes(flipped)): "PNG IDAT chunk fails its checksum",
        damaged(png, "junk.png", data[:8] + b"\xff" * 100): "PNG chunk header broken at byte 8",
    }
    for path, problem in cases.items():
        with pytest.raises(MediaError) as err:
            read_image(path)
        assert err.value.line() == f"{path}: corrupt or truncated image ({problem})"
    assert opened == []
    assert read_image(png)[0].shape == (64, 64, 3) and opened == [str(png)]
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # libpng printed nothing: it never saw a damaged file

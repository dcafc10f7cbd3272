"""The Ray backend: a batch of inputs as Ray tasks on a local Ray instance, same results as in-process."""
import json
import subprocess
import sys
from fractions import Fraction

import pytest

import rushes
from fixtures import edit
from rushes.errors import ParameterError
from rushes.jobs.ray_backend import run_on_ray
from rushes.jobs.spec import JobSpec


@pytest.fixture(scope="module")
def two_clips(edit_clip, tmp_path_factory):
    import av

    clip, _ = edit_clip
    with av.open(str(clip)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    second = tmp_path_factory.mktemp("ray") / "second half.mp4"
    edit._encode(frames[240:], second, Fraction(25))
    return clip, second


def test_batch_on_local_ray_matches_in_process(two_clips, tmp_path, store, monkeypatch):
    monkeypatch.setenv("RUSHES_CACHE", str(store.cache_dir))
    a, b = two_clips
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a movie")
    specs = [JobSpec("detect.shots", str(p), str(tmp_path / name), {"method": "fast"})
             for p, name in ((a, "a"), (b, "b"), (broken, "broken"))]
    seen = []
    results = run_on_ray(specs, num_cpus=2, progress=lambda f, m: seen.append(f))
    assert [r["state"] for r in results] == ["done", "done", "failed"]
    assert "not a readable movie" in results[2]["error"] and "broken.mp4" in results[2]["error"]
    assert seen[-1] == 1.0
    for spec, r in zip(specs[:2], results[:2]):
        local = rushes.run("detect.shots", spec.input, tmp_path / "local" / spec.out[-1], {"method": "fast"},
                           models=store)
        assert r["result"]["cuts"] == local.result.cuts
        assert json.loads((tmp_path / spec.out[-1] / "shots.json").read_text())["cuts"] == local.result.cuts
    assert not (tmp_path / "broken").exists()


def test_batch_is_validated_before_anything_runs(two_clips, tmp_path):
    a, _ = two_clips
    with pytest.raises(ParameterError):
        run_on_ray([JobSpec("detect.shots", str(a), str(tmp_path / "o"), {"threshold": 3})])
    assert not (tmp_path / "o").exists()


def test_cli_ray_backend(two_clips, tmp_path):
    a, b = two_clips
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "run", "detect.shots", str(a), str(b), "--out",
                           str(tmp_path / "batch"), "--backend", "ray", "-q", "-p", "method=fast"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "batch").iterdir()) == ["edit clip é", "second half"]
    assert (tmp_path / "batch" / "second half" / "shots.otio").exists()
    assert proc.stdout.count("wrote its results to") == 2


def test_sequence_job_split_into_frame_chunks(tmp_path, store, monkeypatch, sample_clip):
    """gan.upscale on an 8-frame EXR sequence as 3 Ray chunks equals the in-process run, frame for frame."""
    import av
    import numpy as np
    import OpenImageIO as oiio

    from rushes.media import read_image

    monkeypatch.setenv("RUSHES_CACHE", str(store.cache_dir))
    plates = tmp_path / "plates"
    plates.mkdir()
    with av.open(str(sample_clip)) as c:
        for i, f in zip(range(8), c.decode(video=0)):
            rgb = f.to_ndarray(format="rgb24")[:24, :40].astype(np.float32) / 255.0
            path = plates / f"sh020.{1001 + i:04d}.exr"
            out = oiio.ImageOutput.create(str(path))
            out.open(str(path), oiio.ImageSpec(40, 24, 3, "half"))
            out.write_image(rgb)
            out.close()
    spec = JobSpec("gan.upscale", str(plates / "sh020.####.exr"), str(tmp_path / "ray"), {"scale": 2, "threads": 1})
    result, = run_on_ray([spec], num_cpus=2, chunk_frames=3)
    assert result["state"] == "done" and result["chunks"] == 3
    assert result["result"]["written"] == list(range(1001, 1009))
    assert json.loads((tmp_path / "ray" / "frames.json").read_text())["written"] == list(range(1001, 1009))
    local = rushes.run("gan.upscale", plates / "sh020.####.exr", tmp_path / "local", {"scale": 2, "threads": 1},
                       models=store)
    for n in local.result.written:
        a = read_image(tmp_path / "ray" / f"sh020.{n:04d}.exr")[0]
        b = read_image(tmp_path / "local" / f"sh020.{n:04d}.exr")[0]
        assert np.array_equal(a, b)
    assert not (tmp_path / "ray" / "versions").exists()  # chunks did not version each other's files

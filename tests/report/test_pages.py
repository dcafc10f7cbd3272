"""Report pages in a real headless Chromium: every picture loads, the page shows what the result holds
(the shots of a cut list, a studio's own kind with all five annotation types, faces), clicking a
caption shows its frame, and nothing is asked of the network."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import rushes
from fixtures import studio
from rushes import cli
from rushes.media import read_image

CORE = Path(rushes.__file__).parent


def doc_of(out: Path, stem: str) -> dict:
    return json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))


def check_page_basics(page, out: Path) -> list[list]:
    """Every picture loads, all of them lazily, from the folder's own files, and nothing else is asked for."""
    assert page.evaluate("[...document.images].every(i => i.getAttribute('loading') === 'lazy')")
    pictures = page.all_pictures()
    assert pictures and all(width > 0 for _, width in pictures), [p for p in pictures if not p[1]]
    assert page.elsewhere(out) == []
    assert page.evaluate("window.__refused") == []  # nothing the page's policy had to stop
    policy = page.evaluate("document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    assert "default-src 'none'" in policy and "img-src 'self'" in policy and "script-src" not in policy
    assert page.evaluate("document.scripts.length") == 0
    return pictures


def card_frames(page) -> list[list[int]]:
    return page.evaluate("[...document.querySelectorAll('.stretch')].map(c => [...c.querySelectorAll('figcaption')]"
                         ".map(f => +f.textContent.split(' · ')[1].split(' ')[0]))")


def test_a_shots_page_has_one_card_per_shot_with_its_first_middle_and_last_frame(tmp_path, edit_clip, browser, store):
    clip, _ = edit_clip
    out = tmp_path / "shots"
    run = rushes.run("detect.shots", clip, out, {"method": "fast"}, models=store)
    doc = doc_of(out, "shots")
    assert {"path": "shots.html", "kind": "html"} in doc["outputs"] and {"path": "shots_sheet.jpg", "kind": "image"} \
        in doc["outputs"] and [p.name for p in run.files][0] == "shots.json"
    shots = doc["shots"]
    page = browser.open((out / "shots.html").as_uri())
    try:
        check_page_basics(page, out)
        cards = page.evaluate("[...document.querySelectorAll('.stretch')].map(c => [+c.dataset.start, +c.dataset.end])")
        assert cards == [[s["start"], s["end"]] for s in shots]
        assert int(page.evaluate("document.querySelector('.set .count').textContent")) == len(shots)
        assert card_frames(page) == [[s["start"]] for s in shots]  # a run's page: each shot's first frame
        names = page.evaluate("[...document.querySelectorAll('.stretch strong')].map(s => s.textContent)")
        assert names == ["1. start"] + [f"{n}. cut {n - 1}" for n in range(2, len(shots) + 1)]
        # markers on the timeline strip, at their frames
        ticks = page.evaluate("[...document.querySelectorAll('.timeline svg[aria-label=markers] rect')].length")
        assert ticks == len(doc["cuts"])
        assert page.evaluate("document.querySelector('.stretch .meta').textContent").startswith(
            f"0–{shots[0]['end'] - 1} · {shots[0]['end']} frames · {shots[0]['end'] / 25:.2f} s · 00:00:00:00")
    finally:
        page.close()
    # first, middle and last frame, as PySceneDetect shows them: `rushes report --frames-per-stretch 3`
    assert cli.main(["report", str(out), "--frames-per-stretch", "3"]) == 0
    page = browser.open((out / "shots.html").as_uri())
    try:
        pictures = check_page_basics(page, out)
        assert card_frames(page) == [sorted({s["start"], (s["start"] + s["end"] - 1) // 2, s["end"] - 1}) for s in shots]
        assert int(page.evaluate("document.querySelector('.set .count').textContent")) == len(shots)
    finally:
        page.close()
    # the thumbnails are the source's frames (decoded once, sized for the page)
    first = shots[1]["start"]
    thumb, _ = read_image(out / "shots_pictures" / f"s1-{first}-320.jpg")
    frame = dict(rushes.media.Movie(clip).pictures({first: (320, 180)}))[first]
    assert thumb.shape == (180, 320, 3) and np.abs(thumb * 255 - frame).mean() < 4  # JPEG's loss only
    assert sorted(src for src, _ in pictures) == sorted(f"shots_pictures/{p.name}" for p in
                                                        (out / "shots_pictures").iterdir())
    sheet, _ = read_image(out / "shots_sheet.jpg")  # a labelled cell per shot, 6 across
    rows, columns = -(-len(shots) // 6), min(6, len(shots))
    assert sheet.shape[:2] == (rows * (108 + 34 + 4) + 4, columns * (192 + 4) + 4)


def test_a_studio_kind_gets_a_page_with_no_code_of_its_own(tmp_path, edit_clip, browser, plugin_package, store):
    """studio.breakdown's Breakdown uses all five annotation types; the report never heard of it."""
    assert not [p for p in (CORE / "report").rglob("*.py") if "Breakdown" in p.read_text()]
    plugin_package(studio.MODULE, studio.SOURCE)
    clip, _ = edit_clip
    out = tmp_path / "breakdown"
    rushes.run("studio.breakdown", clip, out, {"key": 3}, models=store)
    (aset,) = doc_of(out, "breakdown")["annotations"]["sets"]
    page = browser.open((out / "breakdown.html").as_uri())
    try:
        check_page_basics(page, out)
        # Marker: a thumbnail of its frame, with its name, frame and timecode
        assert page.evaluate("[...document.querySelectorAll('.marker')].map(m => [m.dataset.frame, "
                             "m.querySelector('strong').textContent, m.querySelector('.meta').textContent])") == \
            [["3", "key frame", "frame 3 · 00:00:00:03"]]
        # Range: a bar on the timeline, its length in its title, and a row of the table
        bar = page.evaluate("document.querySelector('.timeline svg[aria-label=action] rect title').textContent")
        assert bar == "action: 1–478 (478 frames · 19.12 s)"
        assert page.evaluate("[...document.querySelectorAll('tr.range td')].map(c => c.textContent)") == \
            ["action", "1", "478", "00:00:00:01", "478 frames · 19.12 s", "the arm moves"]
        # Track: both drawn over a frame they are in, the hand's box, a bone to its parent, a crop each
        sample = "document.querySelector('.sample')"
        frame = int(page.evaluate(f"{sample}.dataset.frame"))
        hand = next(i for i in aset["items"] if i.get("name") == "hand")
        box = next(b for b in hand["boxes"] if b[0] == frame)[1:]
        drawn = page.evaluate(f"(r => [+r.getAttribute('x'), +r.getAttribute('y'), +r.getAttribute('width'), "
                              f"+r.getAttribute('height')])({sample}.querySelector('rect.box'))")
        assert drawn == pytest.approx([box[0], box[1], box[2] - box[0], box[3] - box[1]], abs=0.06)
        bone = page.evaluate(f"(l => [+l.getAttribute('x1'), +l.getAttribute('y1'), +l.getAttribute('x2'), "
                             f"+l.getAttribute('y2')])({sample}.querySelector('line.bone'))")
        assert bone == pytest.approx([320 * 0.25, 180 * 0.5, box[0] + 4, box[1] + 4], abs=0.06)
        assert page.evaluate("[...document.querySelectorAll('.track')].map(t => [t.dataset.track, "
                             "t.querySelector('img').naturalHeight])") == [["shoulder", 112], ["hand", 112]]
        # Caption: in time order with its speaker; a click shows its frame
        caption = "document.querySelector('.caption a')"
        assert page.evaluate(f"{caption}.textContent") == "00:00:00:00DIRECTORAction!"
        assert page.evaluate("getComputedStyle(document.querySelector('.shown')).display") == "none"
        page.evaluate(f"{caption}.click()")
        page.wait_for("location.hash.includes('caption-1')")
        shown = "document.querySelector('.shown:target')"
        assert page.evaluate(f"getComputedStyle({shown}).display") == "flex"
        assert page.wait_for(f"(i => i.complete && i.naturalWidth)({shown}.querySelector('img'))") == 320
        assert page.evaluate(f"{shown}.dataset.frame") == "0"
        # Media: the matte beside the source at the same frame
        pairs = page.evaluate("[...document.querySelectorAll('.media .pair')].map(p => [p.dataset.frame, "
                              "[...p.querySelectorAll('img')].map(i => i.getAttribute('src'))])")
        assert pairs == [["3", ["breakdown_pictures/s1-3-320.jpg", "breakdown_pictures/s1m1-3-320.jpg"]]]
        assert page.elsewhere(out) == []
    finally:
        page.close()
    matte, _ = read_image(out / "breakdown_pictures" / "s1m1-3-320.jpg")  # white top-left quarter, black elsewhere
    assert matte[:80, :150].mean() > 0.95 and matte[100:, 170:].mean() < 0.05


def test_faces_get_a_crop_each_with_the_expressions_of_their_track(tmp_path, browser, store):
    from fractions import Fraction

    from fixtures.faces import face_box, paste, photo
    from rushes.media import encode_movie
    from rushes.outputs import OutputFolder
    from rushes.report import Report
    from rushes.report.pictures import crop_box
    from rushes.results import ExpressionChange, ExpressionSummary

    faces = {name: photo(name) for name in ("astronaut.png", "camera.png")}
    frames, truth = [], []
    for k in range(12):
        frame = np.full((360, 640, 3), 60, np.uint8)
        boxes = {}
        for name, x in (("astronaut.png", 20 + 6 * k), ("camera.png", 380 - 4 * k)):
            scale, offset = paste(frame, name, 90, x, 90, faces[name])
            boxes[name] = face_box(name, scale, offset)
        frames.append(frame)
        truth.append(boxes)
    movie = encode_movie(iter(frames), tmp_path / "two faces.mov", Fraction(25), "h264")
    out = tmp_path / "faces"
    run = rushes.run("detect.faces", movie, out, {}, models=store)
    assert len(run.result.tracks) == 2
    page = browser.open((out / "faces.html").as_uri())
    try:
        check_page_basics(page, out)
        assert page.evaluate("[...document.querySelectorAll('.track')].map(t => t.dataset.track)") == ["face 1", "face 2"]
        assert page.evaluate("document.querySelectorAll('.sample').length") == 1  # both faces are in every frame
        assert page.evaluate("document.querySelectorAll('.sample rect.box').length") == 2
    finally:
        page.close()
    # each crop is its face: the box, a fifth wider on each side
    sample = int(re.search(r'class="sample" data-frame="(\d+)"', (out / "faces.html").read_text()).group(1))
    for t in run.result.tracks:
        crop, _ = read_image(out / "faces_pictures" / f"s1-{sample}-track{t.id}.jpg")
        position = next(p for p in t.positions if p.frame == sample)
        x0, y0, x1, y1 = position.box
        assert crop.shape[0] == 112 and crop.shape[1] == pytest.approx(112 * (x1 - x0) / (y1 - y0), abs=3)
        cx0, cy0, cx1, cy1 = crop_box(position.box, 640, 360)
        assert abs(crop.mean() * 255 - frames[sample][cy0:cy1, cx0:cx1].mean()) < 4

    # a track's expression changes (markers named after it) are listed with its crop, not as loose markers
    result = run.result
    result.tracks[0].expression_summary = ExpressionSummary("happy", {"happy": 0.8}, [
        ExpressionChange(result.tracks[0].first_frame, "neutral"), ExpressionChange(5, "happy")])
    from rushes.interchange import result_json

    doc = result_json(result, run.envelope)
    again = tmp_path / "again"
    output = OutputFolder(again, "test")
    report = Report(doc, again, "faces")
    report.write(output)
    output.write_set({})
    output.finish("done")
    html = (again / "faces.html").read_text()
    notes = re.findall(r"<li>(\d+) [\d:]+: (\w+)</li>", html)
    assert notes == [(str(result.tracks[0].first_frame), "neutral"), ("5", "happy")]
    assert 'class="card marker"' not in html


def test_linear_exr_frames_are_shown_through_opencolorio_as_srgb(tmp_path, browser, store):
    from rushes.media import write_image

    folder = tmp_path / "plate"
    folder.mkdir()
    for n in range(1001, 1013):  # scene-linear 18 % grey, then a cut to linear 1.0 (white) at 1007
        value = 0.18 if n < 1007 else 1.0
        write_image(folder / f"plate.{n:04d}.exr", np.full((90, 160, 3), value, np.float32), fmt="half")
    out = tmp_path / "out"
    rushes.run("detect.shots", folder / "plate.####.exr", out, {"method": "fast"}, models=store)
    doc = doc_of(out, "shots")
    assert doc["cuts"] == [1007]
    grey, _ = read_image(out / "shots_pictures" / "s1-1001-160.jpg")
    white, _ = read_image(out / "shots_pictures" / "s1-1007-160.jpg")
    assert abs(grey.mean() * 255 - 118) < 3 and white.mean() > 0.99  # sRGB's 0.18 is 118/255
    page = browser.open((out / "shots.html").as_uri())
    try:
        check_page_basics(page, out)
        assert page.evaluate("document.querySelectorAll('.stretch').length") == 2
    finally:
        page.close()

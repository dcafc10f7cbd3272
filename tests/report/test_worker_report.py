"""The worker serves a done job's report (GET /v1/jobs/ID/report, token-protected; its files under a key
made from the token, for that job only) and the panel links to it; in a real headless Chromium."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest

from fixtures.worker import serving
from rushes.jobs.client import WorkerClient
from rushes.jobs.server import report_key
from rushes.report import rebuild

SAFETY = 60


@pytest.fixture()
def worker(tmp_path, store):
    with serving(tmp_path / "state", allowed_roots=[tmp_path.parent], models=store, slots=1) as server:
        yield server, WorkerClient.from_state(tmp_path / "state")


def fetch(url: str, token: str | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    req = urllib.request.Request(url, headers=headers, method=method, data=b"{}" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=SAFETY) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def done_job(client, clip, out) -> str:
    job = client.submit({"operator": "detect.shots", "input": str(clip), "out": str(out),
                         "params": {"method": "fast"}})
    assert client.wait(job, poll=0.2, timeout=SAFETY)["state"] == "done"
    return job


def test_a_done_jobs_report_is_served_to_who_holds_the_token(worker, edit_clip, tmp_path):
    server, client = worker
    out = tmp_path / "out"
    job = done_job(client, edit_clip[0], out)
    where = f"{server.url}/v1/jobs/{job}/report"
    for token in (None, "wrong"):
        status, _, body = fetch(where, token)
        assert (status, json.loads(body)) == (401, {"error": "missing or wrong token"})
    status, _, body = fetch(where, client.token)
    answer = json.loads(body)
    base = f"/v1/jobs/{job}/report/{report_key(client.token, job)}/"
    assert status == 200 and answer == {"id": job, "url": base + "shots.html", "page": str(out / "shots.html"),
                                        "index": None}  # a run writes no index; `rushes report` does
    assert client.token not in answer["url"]

    # the page and its pictures, with no token: the key in the address stands for it
    status, headers, page = fetch(server.url + answer["url"])
    assert status == 200 and page == (out / "shots.html").read_bytes()
    assert headers["Content-Type"] == "text/html; charset=utf-8" and "default-src 'none'" in \
        headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
    picture = sorted((out / "shots_pictures").iterdir())[0]
    status, headers, data = fetch(server.url + base + f"shots_pictures/{picture.name}")
    assert (status, headers["Content-Type"], data) == (200, "image/jpeg", picture.read_bytes())
    rebuild(out)
    assert json.loads(fetch(where, client.token)[2])["index"] == base + "index.html"
    assert fetch(server.url + base + "index.html")[2] == (out / "index.html").read_bytes()

    # another job's key, a wrong key, a way out of the folder, hidden or foreign files: refused
    other = done_job(client, edit_clip[0], tmp_path / "other")
    assert fetch(f"{server.url}/v1/jobs/{other}/report/{report_key(client.token, job)}/shots.html")[0] == 401
    assert fetch(f"{server.url}/v1/jobs/{job}/report/{'0' * 32}/shots.html")[0] == 401
    assert fetch(f"{server.url}/v1/jobs/{job}/report//shots.html")[0] == 401
    (out / "mine.txt").write_text("not rushes'\n")
    os.symlink("/etc/passwd", out / "shots_pictures" / "link.jpg")
    for name in ("mine.txt", ".rushes/manifest.jsonl", "..%2Fother%2Fshots.html", "%2E%2E/other/shots.html",
                 "shots_pictures/link.jpg", "shots_pictures", "nothing.html", "shots.html?x=1"):
        status, _, body = fetch(server.url + base + name)
        assert status in (404, 400), (name, status, body)
    picture.unlink()
    os.symlink("/etc/passwd", picture)  # a picture rushes wrote, replaced by a link out of the folder
    assert fetch(server.url + base + f"shots_pictures/{picture.name}")[0] == 404
    assert fetch(server.url + base + "shots.html", method="POST")[0] == 401  # POST: the token first
    assert fetch(where, client.token, method="POST")[0] == 405


def test_no_report_for_a_job_that_is_not_done_or_has_no_page(worker, tmp_path, edit_clip):
    server, client = worker
    assert fetch(f"{server.url}/v1/jobs/{'a' * 12}/report", client.token)[0] == 404
    (tmp_path / "readme.mp4").write_text("not a movie\n")
    failed = client.submit({"operator": "detect.shots", "input": str(tmp_path / "readme.mp4"),
                            "out": str(tmp_path / "x")})
    client.wait(failed, poll=0.2, timeout=SAFETY)
    status, _, body = fetch(f"{server.url}/v1/jobs/{failed}/report", client.token)
    assert status == 409 and json.loads(body)["error"] == f"job {failed} is failed; its report comes with its results"
    out = tmp_path / "out"
    job = done_job(client, edit_clip[0], out)
    (out / "shots.html").unlink()
    status, _, body = fetch(f"{server.url}/v1/jobs/{job}/report", client.token)
    assert status == 404 and f"rushes report {out}" in json.loads(body)["error"]


def test_the_panel_links_a_done_job_to_its_report(worker, browser, edit_clip, tmp_path):
    server, client = worker
    job = done_job(client, edit_clip[0], tmp_path / "out")
    url = json.loads(fetch(f"{server.url}/v1/jobs/{job}/report", client.token)[2])["url"]
    panel = browser.open(client.panel_url())
    try:
        link = f"document.querySelector('[data-job=\"{job}\"] a.report')"
        assert panel.wait_for(f"{link} && !{link}.hidden && {link}.getAttribute('href')") == url
        assert panel.evaluate(f"[{link}.target, {link}.rel, {link}.textContent]") == ["_blank", "noopener", "Open report"]
    finally:
        panel.close()
    page = browser.open(server.url + url)  # where the link leads, in a tab of its own
    try:
        pictures = page.all_pictures()
        assert pictures and all(width > 0 for _, width in pictures)
        assert page.evaluate("document.querySelectorAll('.stretch').length") == \
            len(client.status(job)["result"]["result"]["shots"])
        assert [u for u in page.requests() if not u.startswith(server.url + "/v1/jobs/" + job + "/report/")] == []
        assert page.evaluate("window.__refused") == []
    finally:
        page.close()

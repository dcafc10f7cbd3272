"""The rushes panel: the page `rushes serve` serves at /panel, the notes hosts post to it, `rushes panel`,
and the page itself in a real headless Chromium (listing operators, running a job through its own form,
following it to 100 %, cancelling, and refusing to work without the token)."""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest

from fixtures.worker import serving
import rushes.jobs.server as server_module
from cdp import launched
from rushes import cli
from rushes.jobs.client import WorkerClient
from rushes.jobs.server import MAX_NOTES

SAFETY = 60  # seconds: only ever reached when something is broken
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def worker(tmp_path, store):
    with serving(tmp_path / "state", allowed_roots=[tmp_path.parent], models=store, slots=2) as server:
        yield server, WorkerClient.from_state(tmp_path / "state")


def fetch(url: str, token: str | None = None, body: object = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request; an error status is an answer too."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=SAFETY) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_the_page_is_served_and_holds_nothing_secret(worker):
    server, client = worker
    status, headers, page = fetch(server.url + "/panel")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert page == resources.files("rushes.jobs").joinpath("panel.html").read_bytes()
    assert client.token.encode() not in page
    # only its own script and style run, and it talks to nothing but this worker
    policy = headers["Content-Security-Policy"]
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+';", policy) and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy and headers["Referrer-Policy"] == "no-referrer"
    text = page.decode("utf-8")
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?[a-z]*:?//|@import|url\(|https?://""", text), \
        "the page loads something from elsewhere"
    assert text.count("<script>") == 1 and text.count("<style>") == 1 and "<script src" not in text

    status, headers, _ = fetch(server.url + "/")
    assert status == 302 and headers["Location"] == "/panel"
    assert fetch(server.url + "/?token=x")[1]["Location"] == "/panel?token=x"

    # the page is free; the API behind it is not
    for path, body in (("/v1/ops", None), ("/v1/jobs", None), ("/v1/notes", None),
                       ("/v1/notes", {"text": "hi"}), ("/panel/../v1/jobs", None)):
        for token in (None, "wrong"):
            status, _, answer = fetch(server.url + path, token, body)
            assert (status, json.loads(answer)) == (401, {"error": "missing or wrong token"}), (path, token)
    assert client.list() == [] and fetch(server.url + "/v1/notes?since=0", client.token)[2] == b'{"last": 0, "notes": []}'


def test_the_page_ships_in_the_wheel():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert any(fnmatch("panel.html", pattern) for pattern in data["rushes.jobs"])


def test_notes_round_trip(worker, monkeypatch):
    server, client = worker
    url = server.url + "/v1/notes"
    assert fetch(url, client.token, {"text": "no timeline open", "level": "error", "source": "resolve subtitles"})[0] == 201
    assert json.loads(fetch(url, client.token, {"text": "  markers added  "})[2]) == {"seq": 2}
    notes = json.loads(fetch(url + "?since=0", client.token)[2])
    assert notes["last"] == 2
    assert [(n["seq"], n["level"], n["text"], n["source"]) for n in notes["notes"]] == \
        [(1, "error", "no timeline open", "resolve subtitles"), (2, "info", "markers added", "")]
    assert json.loads(fetch(url + "?since=1", client.token)[2])["notes"][0]["seq"] == 2
    assert json.loads(fetch(url + "?since=2", client.token)[2]) == {"last": 2, "notes": []}
    # a panel that saw more notes than this worker has (the worker restarted) gets an answer at once
    assert json.loads(fetch(url + "?since=9&wait=3600", client.token)[2]) == {"last": 2, "notes": []}

    # a long poll answers as soon as a note arrives
    monkeypatch.setattr(server_module, "MAX_WAIT", 3600.0)
    got: dict = {}
    poll = threading.Thread(target=lambda: got.update(answer=fetch(url + "?since=2&wait=3600", client.token)))
    poll.start()
    assert fetch(url, client.token, {"text": "job failed", "level": "warning"})[0] == 201
    poll.join(SAFETY)
    assert not poll.is_alive() and [n["text"] for n in json.loads(got["answer"][2])["notes"]] == ["job failed"]

    for bad, says in (({"level": "info"}, "text must be"), ({"text": "  "}, "text must be"),
                      ({"text": "x" * 2001}, "text must be"), ({"text": "x", "level": "fatal"}, "level must be"),
                      ({"text": "x", "source": 3}, "source must be"), ({"text": "x", "colour": "red"}, "nothing else"),
                      (["x"], "nothing else")):
        status, _, answer = fetch(url, client.token, bad)
        assert status == 400 and says in json.loads(answer)["error"], bad
    for query, says in (("?since=-1", "since must be"), ("?wait=x", "wait must be"), ("?after=1", "unknown query")):
        status, _, answer = fetch(url + query, client.token)
        assert status == 400 and says in json.loads(answer)["error"], query

    for n in range(MAX_NOTES + 5):  # only the latest are kept
        fetch(url, client.token, {"text": f"note {n}"})
    kept = json.loads(fetch(url + "?since=0", client.token)[2])["notes"]
    assert len(kept) == MAX_NOTES and kept[-1]["text"] == f"note {MAX_NOTES + 4}" and kept[0]["seq"] == 3 + 5 + 1


def test_the_panel_command(worker, capsys, monkeypatch, tmp_path):
    server, client = worker
    link = client.panel_url()
    assert link.startswith(server.url + "/panel#token=")
    assert urllib.parse.unquote(link.split("#token=")[1]) == client.token
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    assert cli.main(["panel", "--print", "--state", str(tmp_path / "state")]) == 0
    assert capsys.readouterr().out == link + "\n" and opened == []
    assert cli.main(["panel", "--state", str(tmp_path / "state")]) == 0
    page = tmp_path / "state" / "panel.html"
    assert capsys.readouterr().out == link + "\n" and opened == [page.as_uri()]  # the link itself is printed only
    assert stat.S_IMODE(page.stat().st_mode) == 0o600 and f'url={link}"' in page.read_text()
    assert cli.main(["panel", "--state", str(tmp_path / "nobody")]) == 2
    assert "no rushes worker running for" in capsys.readouterr().err


def test_the_browser_is_not_handed_the_token(worker, tmp_path):
    """What `rushes panel` puts on the browser's command line (readable by any local user with ps): the
    path of a page only this user can read, which forwards to the panel; never the token."""
    server, client = worker
    seen = tmp_path / "browser argv.json"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import json, sys\nopen({str(seen)!r}, 'w').write(json.dumps(sys.argv))\n")
    env = dict(os.environ, BROWSER=f"{sys.executable} {browser} %s")  # webbrowser runs it with the URL
    env.pop("DISPLAY", None), env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "panel", "--state", str(tmp_path / "state")],
                          env=env, capture_output=True, text=True, timeout=SAFETY)
    assert proc.returncode == 0, proc.stderr
    argv = json.loads(seen.read_text())
    page = tmp_path / "state" / "panel.html"
    assert argv[1:] == [page.as_uri()] and client.token not in " ".join(argv)
    assert stat.S_IMODE(page.stat().st_mode) == 0o600 and client.panel_url() in page.read_text()
    assert proc.stdout.strip() == client.panel_url()  # printed for the user, on their terminal only


# ---- in a real browser ----

@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    yield from launched(tmp_path_factory)


READY = "document.body.dataset.state === 'ready' && document.querySelectorAll('#ops [data-op]').length"


def js(value: object) -> str:
    return json.dumps(value)


def set_value(page, selector: str, value: object) -> None:
    """Set a form control the way a user would, so the page's own input and change handlers run."""
    page.evaluate(f"""(() => {{ const c = document.querySelector({js(selector)});
        if (c.type === 'checkbox') c.checked = {js(value)}; else c.value = {js(value)};
        c.dispatchEvent(new Event('input', {{bubbles: true}})); c.dispatchEvent(new Event('change', {{bubbles: true}}));
        }})()""")


def row(job: str, selector: str = "") -> str:
    return f"document.querySelector('[data-job=\"{job}\"] {selector}')"


def test_the_panel_runs_a_job_in_chromium(worker, chromium, edit_clip, tmp_path):
    server, client = worker
    clip, _ = edit_clip
    page = chromium.open(client.panel_url())
    try:
        assert page.wait_for(READY) == len(client.operators())
        assert page.evaluate("[...document.querySelectorAll('#ops [data-op]')].map(b => b.dataset.op)") == \
            [op["name"] for op in client.operators()]
        assert client.token not in page.evaluate("location.href")  # taken out of the address bar

        # the form of detect.shots, generated from its schema and UI hints
        page.evaluate("document.querySelector('[data-op=\"detect.shots\"]').click()")
        page.wait_for("document.getElementById('form').dataset.op === 'detect.shots'")
        method = page.evaluate("[...document.getElementById('param-method').options].map(o => o.value)")
        assert method == ["transnet", "fast"] and page.evaluate("document.getElementById('param-method').value") == "transnet"
        threshold = page.evaluate("(e => [e.type, e.min, e.max, e.step, e.value, e.disabled])"
                                  "(document.getElementById('param-threshold'))")
        assert threshold == ["number", "0.01", "0.99", "0.05", "0.5", False]
        assert page.evaluate("document.querySelector('[data-field=\"min_shot_length\"] .unit').textContent") == "frames"
        assert page.evaluate("!!document.querySelector('details#advanced #param-backend')")  # advanced: behind a disclosure
        assert page.evaluate("document.getElementById('param-adaptive_ratio').disabled")  # enabled_if method == fast
        media = page.evaluate("[...document.querySelectorAll('#media [data-media]')].map(c => c.dataset.media)")
        assert media == ["rate", "start_timecode", "frame_range", "frame_range", "ocio_config", "colorspace", "on_bad_frame"]

        # a refusal from the worker is shown in the form, in its words
        set_value(page, "#job-input", str(tmp_path / "missing.mov"))
        set_value(page, "#job-out", str(tmp_path / "panel-out"))
        page.evaluate("document.getElementById('submit').click()")
        refusal = page.wait_for("(m => m.className === 'error' && m.textContent)(document.getElementById('form-message'))")
        assert "missing.mov" in refusal and client.list() == []

        set_value(page, "#param-method", "fast")
        assert page.evaluate("document.getElementById('param-threshold').disabled")
        assert not page.evaluate("document.getElementById('param-adaptive_ratio').disabled")
        set_value(page, "#job-input", str(clip))
        set_value(page, "#media-frame_range", "0")
        set_value(page, "#media-frame_range-end", "240")
        page.evaluate("document.getElementById('submit').click()")
        queued = page.wait_for("(t => t.startsWith('queued as job ') && t)(document.getElementById('form-message').textContent)")
        job = queued.split()[-1]
        spec = client.status(job)["spec"]
        assert (spec["operator"], spec["input"], spec["params"]) == ("detect.shots", str(clip), {"method": "fast"})
        assert spec["media"]["frame_range"] == [0, 240]

        # followed through its events to 100 %, then its results
        page.wait_for(f"!!({row(job)} && {row(job)}.dataset.state === 'done' && {row(job, '.files li')})")
        status = client.status(job)
        assert status["state"] == "done"
        assert page.evaluate(f"{row(job, '.percent')}.textContent") == "100 %"
        assert page.evaluate(f"{row(job, 'progress')}.value") == 100
        assert int(page.evaluate(f"{row(job)}.dataset.events")) >= 3  # queued, running, ..., done: from /events
        assert page.evaluate(f"{row(job, '.out-dir')}.textContent") == status["result"]["out_dir"] == \
            str(tmp_path / "panel-out")
        files = page.evaluate(f"[...document.querySelectorAll('[data-job=\"{job}\"] .files li')].map(l => l.textContent)")
        assert files == [Path(f).name for f in status["result"]["files"]] and "shots.json" in files
        assert page.evaluate(f"{row(job, '.cancel')}.hidden")
        assert status["result"]["result"]["frame_count"] == 240  # the frame range from the media fields

        # a host's note appears in the panel
        client._call("POST", "/v1/notes", {"text": "subtitles: no audio clips", "level": "error", "source": "resolve"})
        note = page.wait_for("(l => l && [l.className, l.querySelector('.source').textContent, "
                             "l.querySelector('.text').textContent])(document.querySelector('#notes li[data-note]'))")
        assert note == ["error", "resolve", "subtitles: no audio clips"]

        # nothing spills sideways in a narrow window
        page.call("Emulation.setDeviceMetricsOverride", width=360, height=640, deviceScaleFactor=1, mobile=False)
        page.wait_for("window.innerWidth === 360")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        page.close()


def test_the_panel_cancels_a_running_job(worker, chromium, gated_ops, script, tmp_path):
    server, client = worker
    page = chromium.open(client.panel_url())
    try:
        page.wait_for(READY)
        job = client.submit({"operator": "test.gated", "input": str(script), "out": str(tmp_path / "gated"),
                             "params": {"frames": 4, "hold": 1, "gate": "panel"}})
        assert gated_ops.arrived("panel").wait(SAFETY)  # frame 1 of 4 written and reported; now held
        page.wait_for(f"{row(job)} && {row(job, '.percent')}.textContent === '25 %'")
        assert page.evaluate(f"[{row(job)}.dataset.state, {row(job, '.message')}.textContent, "
                             f"{row(job, '.cancel')}.hidden]") == ["running", "frame 1/4", False]
        page.evaluate(f"{row(job, '.cancel')}.click()")
        page.wait_for(f"{row(job)}.dataset.state === 'cancelled' && {row(job, '.cancel')}.hidden")
        assert client.status(job)["state"] == "cancelled"
    finally:
        gated_ops.gate("panel").set()
        page.close()


def test_the_page_handed_to_the_browser_opens_the_panel(worker, chromium, gated_ops, script, tmp_path):
    """The file:// page `rushes panel` opens forwards Chromium to the panel, which gets the token from it;
    a job finished before the panel opened shows its result files (asked for once, the list has none)."""
    server, client = worker
    job = client.submit({"operator": "test.gated", "input": str(script), "out": str(tmp_path / "early"),
                         "params": {"frames": 2, "hold": 0}})
    done = client.wait(job, poll=0.2, timeout=SAFETY)
    assert done["state"] == "done" and "result" not in client.list()[0]
    page = chromium.open()
    try:
        page.call("Page.navigate", url=client.panel_page())
        page.wait_for(f"location.href.startsWith({js(server.url)}) && document.readyState === 'complete' && "
                      "!!document.body")  # forwarded by the page's meta refresh
        page.wait_for(READY)
        assert page.evaluate("location.href") == server.url + "/panel"  # the token out of the address bar
        files = f"[...document.querySelectorAll('[data-job=\"{job}\"] .files li')].map(l => l.textContent)"
        assert page.wait_for(f"({files}).length && {files}") == [Path(f).name for f in done["result"]["files"]]
        assert page.evaluate(f"{row(job, '.out-dir')}.textContent") == str(tmp_path / "early")
    finally:
        page.close()


def test_a_token_no_worker_could_have_is_called_wrong(worker, chromium):
    """A link whose token holds characters a token never has (which a browser cannot even send) is
    refused as a wrong token at once, not taken for a worker that cannot be reached and tried forever."""
    server, _ = worker
    page = chromium.open(server.url + "/panel#token=" + urllib.parse.quote("токен-✓"))
    try:
        page.wait_for("document.body.dataset.state === 'refused'")
        assert "token is wrong" in page.evaluate("document.getElementById('refused-reason').textContent")
        assert page.evaluate("document.getElementById('connection').textContent") == "refused"
        assert page.evaluate("[document.getElementById('refused').hidden, document.getElementById('app').hidden]") == \
            [False, True]
    finally:
        page.close()


def test_without_the_token_the_panel_is_refused(worker, chromium):
    server, _ = worker
    page = chromium.open(server.url + "/panel")  # a new tab: nothing remembered from another
    try:
        page.wait_for("document.body.dataset.state === 'no-token'")
        assert page.evaluate("[document.getElementById('no-token').hidden, document.getElementById('app').hidden]") == \
            [False, True]
        assert "No token" in page.evaluate("document.body.innerText")
        assert page.evaluate("document.querySelectorAll('#ops [data-op], [data-job]').length") == 0

    finally:
        page.close()
    page = chromium.open(server.url + "/panel#token=wrong")
    try:
        page.wait_for("document.body.dataset.state === 'refused'")
        assert page.evaluate("[document.getElementById('refused').hidden, document.getElementById('app').hidden]") == \
            [False, True]
        assert "missing or wrong token" in page.evaluate("document.getElementById('refused-reason').textContent")
        assert page.evaluate("document.querySelectorAll('#ops [data-op], [data-job]').length") == 0
    finally:
        page.close()

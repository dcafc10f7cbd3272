"""Report tests' shared pieces: a real headless Chromium (tests/jobs/cdp.py) whose tabs record every
request a page makes and every Content-Security-Policy refusal, and a page's pictures loaded in full."""
from __future__ import annotations

from pathlib import Path

import pytest

from jobs.cdp import Chromium, Page, launched


class Tab:
    """A tab that records its requests (DevTools' Network events) and its policy's refusals."""

    def __init__(self, page: Page):
        self.page = page
        self.evaluate, self.wait_for, self.call, self.close = page.evaluate, page.wait_for, page.call, page.close

    def requests(self) -> list[str]:
        """Every URL the page asked for since it was opened (the document, pictures, anything else)."""
        self.evaluate("1")  # collect what arrived meanwhile
        return [e["params"]["request"]["url"] for e in self.page.events if e["method"] == "Network.requestWillBeSent"]

    def elsewhere(self, folder: Path) -> list[str]:
        """The requests that went anywhere but to files in `folder`."""
        base = folder.resolve().as_uri() + "/"
        return [u for u in self.requests() if not u.startswith(base)]

    def all_pictures(self) -> list[list]:
        """Load every picture now, as scrolling to it would (they are lazy), and say [src, naturalWidth] of each."""
        self.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
        self.wait_for("[...document.images].every(i => i.complete)")
        return self.evaluate("[...document.images].map(i => [i.getAttribute('src'), i.naturalWidth])")


class Browser:
    def __init__(self, chromium: Chromium):
        self.chromium = chromium

    def open(self, url: str) -> Tab:
        """A new tab showing `url`, recording its requests and any refusal by the page's policy."""
        page = self.chromium.open()
        page.call("Network.enable")
        page.call("Page.enable")  # for the script below, run before the page's own
        page.call("Page.addScriptToEvaluateOnNewDocument", source=(
            "window.__refused = []; document.addEventListener('securitypolicyviolation', "
            "e => window.__refused.push(e.blockedURI + ' ' + e.violatedDirective));"))
        page.goto(url)
        return Tab(page)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    for chromium in launched(tmp_path_factory):
        yield Browser(chromium)

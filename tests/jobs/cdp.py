"""A real headless Chromium driven through the Chrome DevTools Protocol, over a standard-library
WebSocket client: enough to open a page in its own tab, run JavaScript in it, and wait for what it shows."""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

SAFETY = 60  # seconds: only ever reached when something is broken
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """RUSHES_CHROMIUM if set, else the first Chromium on PATH (Debian's is `chromium`)."""
    for name in (os.environ.get("RUSHES_CHROMIUM"), *NAMES):
        found = name and shutil.which(name)
        if found:
            return found
    return None


def launched(tmp_path_factory) -> Iterator["Chromium"]:
    """A headless Chromium for one test module, closed after it; the test is skipped, saying why,
    where no Chromium is found. For a module fixture: `yield from launched(tmp_path_factory)`."""
    import pytest

    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium found: `make test` installs Debian's chromium where it can (as root with apt-get); "
                    "set RUSHES_CHROMIUM to use another")
    browser = Chromium(binary, tmp_path_factory.mktemp("chromium") / "profile")
    try:
        yield browser
    finally:
        browser.close()


class WebSocket:
    """A client WebSocket (RFC 6455) for text messages: masked frames out, fragmented frames in."""

    def __init__(self, url: str, timeout: float = SAFETY):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout)
        self.reader = self.sock.makefile("rb")
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        status = self.reader.readline().decode()
        headers = {}
        while (line := self.reader.readline().decode().strip()):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        if " 101 " not in status or headers.get("sec-websocket-accept") != accept.decode():
            raise ConnectionError(f"no WebSocket at {url}: {status.strip()}")

    def send(self, text: str) -> None:
        self._frame(0x1, text.encode("utf-8"))

    def _frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else
                                         bytes([0x80 | 126]) + struct.pack("!H", n) if n < 65536 else
                                         bytes([0x80 | 127]) + struct.pack("!Q", n))
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self) -> str:
        message = b""
        while True:
            first, second = self._exact(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exact(8))[0]
            payload = self._exact(n)  # a server's frames are not masked
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("the browser closed the DevTools connection")
            if opcode == 0x9:
                self._frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:
                    return message.decode("utf-8")

    def _exact(self, n: int) -> bytes:
        data = self.reader.read(n)
        if len(data) < n:
            raise ConnectionError("the DevTools connection ended")
        return data

    def close(self) -> None:
        try:
            self._frame(0x8, b"")
        except OSError:
            pass
        self.reader.close()
        self.sock.close()


class Page:
    """One tab: call DevTools methods, evaluate JavaScript, wait until an expression holds."""

    def __init__(self, ws_url: str):
        self.ws = WebSocket(ws_url)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []  # what the domains a test enabled sent (Network.enable, ...)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == msg_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            if "method" in answer:  # an event, of a domain the test enabled
                self.events.append(answer)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            raise AssertionError(f"{expression!r} threw: {details.get('exception', {}).get('description') or details}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = SAFETY) -> Any:
        """The first truthy value of `expression`, polled; fails after `timeout` (a safety limit only),
        showing what the page says."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                body = self.evaluate("document.body ? document.body.innerText : ''")
                raise AssertionError(f"never true: {expression}\n--- the page shows ---\n{body}")
            time.sleep(0.05)

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for(f"location.href.startsWith({json.dumps(url.split('#')[0].split('?')[0])}) && "
                      "document.readyState === 'complete'")

    def close(self) -> None:
        self.ws.close()


class Chromium:
    """A headless Chromium on a free DevTools port, with a profile folder of its own."""

    def __init__(self, binary: str, profile: Path):
        self.profile = profile
        self.log = profile.parent / "chromium.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-port=0",
                 "about:blank"], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + SAFETY
        while not (active.exists() and len(active.read_text().splitlines()) >= 2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{binary} did not start its DevTools server:\n{tail}")
            time.sleep(0.05)
        self.port = int(active.read_text().splitlines()[0])

    def open(self, url: str = "about:blank") -> Page:
        """A new tab (its own session storage) showing `url`."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(req, timeout=SAFETY) as resp:
            target = json.loads(resp.read())
        page = Page(target["webSocketDebuggerUrl"])
        if url != "about:blank":
            page.goto(url)
        return page

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

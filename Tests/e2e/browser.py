"""Headless Chromium driven over the DevTools protocol: open a page, run script in it, collect
console errors and uncaught exceptions, take a screenshot. Needs Debian's `chromium`."""
from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest
import websocket

DEVTOOLS_LINE = re.compile(r"DevTools listening on (ws://\S+)")


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)", pytrace=False)


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="switchyard-chromium-")
        self.proc = subprocess.Popen(
            [chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-dev-shm-usage", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "--window-size=1280,1600", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        self.errors: list[str] = []
        self._ids = itertools.count(1)
        self._replies: dict[int, dict] = {}
        self._cond = threading.Condition()
        browser_ws = self._devtools_url()
        port = re.search(r":(\d+)/", browser_ws).group(1)  # type: ignore[union-attr]
        pages = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json() if t["type"] == "page"]
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        threading.Thread(target=self._read, daemon=True).start()
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")

    def _devtools_url(self) -> str:
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            if m := DEVTOOLS_LINE.search(line):
                threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()  # keep draining
                return m.group(1)
        self.close()
        pytest.fail("chromium did not start:\n" + "".join(seen[-20:]), pytrace=False)

    def _read(self) -> None:
        while True:
            try:
                message = json.loads(self.ws.recv())
            except Exception:
                return
            method = message.get("method")
            params = message.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                self.errors.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                self.errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                self.errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
            elif "id" in message:
                with self._cond:
                    self._replies[message["id"]] = message
                    self._cond.notify_all()

    def call(self, method: str, **params) -> dict:
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        with self._cond:
            if not self._cond.wait_for(lambda: ident in self._replies, timeout=30):
                pytest.fail(f"DevTools call {method} got no answer", pytrace=False)
            reply = self._replies.pop(ident)
        if "error" in reply:
            pytest.fail(f"DevTools call {method} failed: {reply['error']}", pytrace=False)
        return reply["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            pytest.fail(f"script failed in the page: {result['exceptionDetails']}", pytrace=False)
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        """Opens `url` and returns once its document (with its deferred scripts) has loaded."""
        self.call("Page.navigate", url=url)
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'", f"{url} loaded")

    def wait_for(self, expression: str, what: str, timeout: float = 20, shown: str = "document.body.innerText"):
        """Polls `expression` in the page until it is truthy (the page renders asynchronously)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        text = str(self.evaluate(shown))[:2000]
        pytest.fail(f"the page never showed {what}; it shows:\n{text}\nerrors: {self.errors}", pytrace=False)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

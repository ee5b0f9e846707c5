"""Start and stop `switchyard demo`, drive its simulated clouds, read its ledger."""
from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENT_KEY = "sk-demo-acme"
START_TIMEOUT = 60.0  # seconds until "gateway listening" must appear
STOP_TIMEOUT = 20.0  # seconds the demo gets to exit after SIGTERM
HTTP_TIMEOUT = 30.0  # per request; nothing in these tests should take this long

CLOUD_LINE = re.compile(r'simulated cloud "([^"]+)" at (http://\S+)')
LEDGER_LINE = re.compile(r"ledger at (.+?)\s*$")
LISTEN_LINE = re.compile(r"gateway listening on (http://\S+)")


def switchyard_bin() -> str:
    path = os.environ.get("SWITCHYARD_BIN") or str(REPO_ROOT / ".build" / "debug" / "switchyard")
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"switchyard binary not found or not executable: {path}\n"
            "Build it (swift build) and/or set SWITCHYARD_BIN=$(swift build --show-bin-path)/switchyard",
            pytrace=False,
        )
    return path


class Demo:
    """A running `switchyard demo` process. Use start_demo() to get one."""

    def __init__(self, data_dir: Path, extra_args: tuple[str, ...] = ()):
        self.data_dir = data_dir
        self.argv = [switchyard_bin(), "demo", "--port", "0", "--data-dir", str(data_dir), *extra_args]
        self.lines: list[str] = []  # everything the process printed (stdout + stderr)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.clouds: dict[str, str] = {}
        self.db_path = data_dir / "switchyard.db"
        self.gateway_url = ""
        self.exit_code: int | None = None
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            start_new_session=True,  # own process group: a SIGINT to pytest does not reach it
        )
        # Keep draining the pipe for the whole life of the process, so the demo never blocks on
        # a full pipe when it logs, and so failure messages can show what it printed.
        threading.Thread(target=self._pump, daemon=True).start()

    # -- URLs the tests use ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """API base for the OpenAI SDK (…/v1)."""
        return self.gateway_url.rstrip("/") + "/v1"

    @property
    def azure_url(self) -> str:
        return self.clouds["azure"]

    @property
    def aws_url(self) -> str:
        return self.clouds["aws"]

    # -- lifecycle ---------------------------------------------------------------------------
    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)  # EOF: the process closed stdout (normally: it exited)

    def output(self, last: int = 80) -> str:
        shown = self.lines[-last:]
        skipped = len(self.lines) - len(shown)
        head = f"[... {skipped} earlier lines ...]\n" if skipped else ""
        return head + "\n".join(shown) if shown else "<no output>"

    def _fail(self, why: str) -> None:
        self.kill()
        pytest.fail(
            f"switchyard demo {why}\ncommand: {' '.join(self.argv)}\n"
            f"exit code: {self.proc.poll()}\n--- demo output ---\n{self.output()}",
            pytrace=False,
        )

    def wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(f'did not print "gateway listening on …" within {START_TIMEOUT:.0f} s')
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                self._fail('exited before printing "gateway listening on …"')
            if m := CLOUD_LINE.search(line):
                self.clouds[m.group(1)] = m.group(2).rstrip("/")
            elif m := LEDGER_LINE.search(line):
                self.db_path = Path(m.group(1))
            elif m := LISTEN_LINE.search(line):
                self.gateway_url = m.group(1).rstrip("/")
                break
        missing = {"azure", "aws"} - self.clouds.keys()
        if missing:
            self._fail(f"printed no 'simulated cloud' line for {sorted(missing)}")

    def stop(self) -> int:
        """SIGTERM, wait, and return the exit code (fails the test if it does not exit)."""
        if self.exit_code is not None:
            return self.exit_code
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._fail(f"did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM (killed it)")
        self.exit_code = self.proc.returncode
        return self.exit_code

    def assert_clean_stop(self) -> None:
        code = self.stop()
        assert code == 0, (
            f"switchyard demo exited with code {code} after SIGTERM (expected 0)\n"
            f"--- demo output ---\n{self.output()}"
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    # -- simulator control -------------------------------------------------------------------
    def script_faults(self, cloud: str, *faults: dict) -> None:
        """Script the next requests of one simulated cloud, e.g. {"kind": "status", "status": 429}."""
        r = httpx.post(
            f"{self.clouds[cloud]}/_simulator/faults", json={"faults": list(faults)}, timeout=HTTP_TIMEOUT
        )
        assert r.is_success, f"scripting faults on {cloud} failed: {r.status_code} {r.text}"

    def clear_faults(self) -> None:
        for cloud, url in self.clouds.items():
            r = httpx.delete(f"{url}/_simulator/faults", timeout=HTTP_TIMEOUT)
            assert r.is_success, f"clearing faults on {cloud} failed: {r.status_code} {r.text}"

    def simulator_stats(self, cloud: str) -> dict:
        r = httpx.get(f"{self.clouds[cloud]}/_simulator/stats", timeout=HTTP_TIMEOUT)
        assert r.is_success, f"stats of {cloud} failed: {r.status_code} {r.text}"
        return r.json()

    def client(self, api_key: str = CLIENT_KEY) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base_url, api_key=api_key, max_retries=0, timeout=HTTP_TIMEOUT)


class start_demo:
    """Context manager: start a demo in a fresh temp dir; on exit stop it and require exit code 0."""

    def __init__(self, *extra_args: str):
        self.extra_args = extra_args

    def __enter__(self) -> Demo:
        self._dir = Path(tempfile.mkdtemp(prefix="switchyard-e2e-"))
        try:
            self.demo = Demo(self._dir, self.extra_args)
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        try:
            self.demo.wait_until_listening()
        except BaseException:
            self.demo.kill()
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        return self.demo

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.demo.assert_clean_stop()
        finally:
            self.demo.kill()  # no-op if it already exited
            shutil.rmtree(self._dir, ignore_errors=True)


def read_ledger(db_path: Path) -> list[dict]:
    """All rows of ledger_entries as dicts. Uses the sqlite3 module, or the sqlite3 CLI if this
    Python was built without it."""
    try:
        import sqlite3
    except ImportError:
        sqlite3 = None
    if sqlite3 is not None:
        con = sqlite3.connect(db_path)
        try:
            con.row_factory = sqlite3.Row
            return [dict(row) for row in con.execute("SELECT * FROM ledger_entries")]
        finally:
            con.close()
    out = subprocess.run(
        ["sqlite3", "-json", str(db_path), "SELECT * FROM ledger_entries"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out) if out.strip() else []


# -- other processes: `switchyard serve` and `switchyard simulate` ----------------------------
def write_gateway_config(directory: Path, store_url: str, simulator: str, port: int, extra: str = "") -> Path:
    """A `switchyard serve` configuration: model gpt-5 on the simulator, the ledger in
    `store_url`, a spool (and journal) per port; `extra` adds top-level YAML."""
    path = directory / f"gateway-{port}.yaml"
    path.write_text(
        f"""
listen: 127.0.0.1:{port}
store: "{store_url}"
spool: {directory}/spool-{port}
providers:
  sim: {{type: openai, cloud: local, base_url: "{simulator}/v1", api_key: sim-key}}
models:
  gpt-5:
    price: {{input: 1.50, output: 12.00}}
    deployments: [{{provider: sim, target: gpt-5, cost: {{input: 1.25, output: 10.00}}}}]
{extra}"""
    )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, argv: list[str], cwd: Path, ready: str):
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.match: re.Match | None = None

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line.rstrip())
                if not self.ready.is_set() and (m := re.search(ready, line)):
                    self.match = m
                    self.ready.set()

        threading.Thread(target=pump, daemon=True).start()

    def wait_ready(self, what: str) -> None:
        if not self.ready.wait(60):
            self.kill()
            pytest.fail(f"{what} did not become ready:\n" + "\n".join(self.lines[-40:]), pytrace=False)

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            self.kill()
            lifecycle = [line for line in self.lines if "ahc-" not in line]  # per-request client lines are noise here
            pytest.fail("did not exit within 45 s of SIGTERM:\n" + "\n".join(lifecycle[-60:]), pytrace=False)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

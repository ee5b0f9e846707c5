"""What a crash can cost: SIGKILL and SIGTERM under load, ledger rows vs answers the clients got."""
from __future__ import annotations

import concurrent.futures
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx

from harness import CLIENT_KEY, Demo, read_ledger

WORKERS = 16
LOAD_SECONDS = 2.0
BODY = {"model": "gpt-5", "messages": [{"role": "user", "content": "Hello"}]}


class Load:
    """WORKERS threads posting chat completions until stopped; keeps the request ids of the
    answers that completed with 200 (acknowledged to a client)."""

    def __init__(self, demo: Demo):
        self.demo = demo
        self.acknowledged: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.pool = concurrent.futures.ThreadPoolExecutor(WORKERS)
        self.started = time.monotonic()
        self.futures = [self.pool.submit(self._worker) for _ in range(WORKERS)]

    def _worker(self) -> None:
        headers = {"Authorization": f"Bearer {CLIENT_KEY}"}
        with httpx.Client(base_url=self.demo.base_url, headers=headers, timeout=10) as client:
            while not self.stopping.is_set():
                try:
                    response = client.post("/chat/completions", json=BODY)
                except httpx.HTTPError:
                    return  # the gateway is gone
                if response.status_code == 200:
                    with self.lock:
                        self.acknowledged.append(response.headers["x-request-id"])

    def snapshot(self) -> tuple[set[str], float]:
        with self.lock:
            return set(self.acknowledged), len(self.acknowledged) / (time.monotonic() - self.started)

    def stop(self) -> None:
        self.stopping.set()
        for future in self.futures:
            future.result()
        self.pool.shutdown()


def run_and_signal(kill: bool) -> tuple[set[str], set[str], float]:
    directory = Path(tempfile.mkdtemp(prefix="switchyard-crash-"))
    demo = Demo(directory)
    try:
        demo.wait_until_listening()
        load = Load(demo)
        time.sleep(LOAD_SECONDS)  # let the load run: this is the measurement window, not a race fix
        if kill:
            demo.kill()  # SIGKILL to the whole process group, mid-load
        else:
            demo.proc.send_signal(15)  # SIGTERM mid-load: requests in flight finish, ledger drains
        if not kill:
            assert demo.proc.wait(timeout=30) == 0
        load.stop()
        answered, rate = load.snapshot()
        if kill:
            # A supervisor restarts it: the entries it had not committed come back from its journal.
            restarted = Demo(directory)
            try:
                restarted.wait_until_listening()
                restarted.assert_clean_stop()
            finally:
                restarted.kill()
        rows = {row["request_id"] for row in read_ledger(demo.db_path)}
        return answered, rows, rate
    finally:
        demo.kill()
        shutil.rmtree(directory, ignore_errors=True)


def test_sigterm_under_load_loses_nothing():
    answered, rows, rate = run_and_signal(kill=False)
    assert len(answered) > 50, f"the load generator got too few answers ({len(answered)}) to mean anything"
    assert answered <= rows, f"{len(answered - rows)} answered requests are missing from the ledger"


# The documented window is measured on the release build (BENCHMARKS.md: ≤ 25 ms). The tests run
# the debug build, whose commits are several times slower, so the bound here is looser.
SIGKILL_WINDOW_MS = 100


def test_sigkill_under_load_loses_only_the_uncommitted_window():
    answered, rows, rate = run_and_signal(kill=True)
    assert len(answered) > 50, f"the load generator got too few answers ({len(answered)}) to mean anything"
    lost = answered - rows
    window_ms = 1000 * len(lost) / rate
    print(f"SIGKILL at {rate:.0f} req/s: {len(answered)} answered, {len(lost)} not in the ledger = {window_ms:.1f} ms of traffic")
    assert window_ms <= SIGKILL_WINDOW_MS, f"{len(lost)} acknowledged requests lost = {window_ms:.1f} ms of traffic at {rate:.0f} req/s"

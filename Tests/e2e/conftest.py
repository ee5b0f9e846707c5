# End-to-end tests: run the real `switchyard demo` binary (two simulated clouds + the gateway on
# loopback; see harness.py) and talk to it with the official `openai` Python SDK. Run them with
# scripts/test.sh, or: SWITCHYARD_BIN=.build/debug/switchyard .venv/bin/python -m pytest -q Tests/e2e
from __future__ import annotations

import pytest

from harness import Process, start_demo, switchyard_bin


# -- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def demo():
    """One demo shared by the tests that do not change gateway state."""
    with start_demo() as d:
        yield d


@pytest.fixture
def gateway(demo):
    """The shared demo with no simulator faults left over from an earlier test."""
    demo.clear_faults()
    return demo


@pytest.fixture
def fresh_demo():
    """A demo of its own, for tests that script upstream failures: health, cooldown and circuit
    state the gateway learns from those failures cannot leak into other tests."""
    with start_demo() as d:
        yield d


@pytest.fixture
def client(gateway):
    with gateway.client() as c:
        yield c


@pytest.fixture
def simulator(tmp_path):
    """One `switchyard simulate` (every dialect) for tests that run `switchyard serve` themselves."""
    process = Process([switchyard_bin(), "simulate", "--port", "0", "--api-key", "sim-key"], tmp_path, r"listening on (http://\S+)")
    process.wait_ready("switchyard simulate")
    assert process.match is not None
    yield process.match.group(1)
    process.kill()

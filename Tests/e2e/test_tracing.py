"""OpenTelemetry traces: a span per request and per upstream attempt, GenAI attributes, the
client's traceparent honoured and propagated upstream, exported as OTLP JSON to a collector."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from harness import Process, free_port, switchyard_bin

KEY = "sk-trace-test"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


class Collector:
    """A minimal OTLP/HTTP receiver: keeps every span posted to /v1/traces."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.content_types: list[str] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["content-length"]))
                with collector.lock:
                    collector.content_types.append(self.headers["content-type"])
                    for resource in json.loads(body)["resourceSpans"]:
                        service = {a["key"]: a["value"] for a in resource["resource"]["attributes"]}["service.name"]
                        for scope in resource["scopeSpans"]:
                            for span in scope["spans"]:
                                collector.spans.append({**span, "service": service["stringValue"]})
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 15) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.spans) >= count:
                    return list(self.spans)
            time.sleep(0.05)
        pytest.fail(f"the collector got {len(self.spans)} spans, expected {count}", pytrace=False)


def attributes(span: dict) -> dict:
    return {a["key"]: next(iter(a["value"].values())) for a in span["attributes"]}


@pytest.fixture
def traced_gateway(tmp_path):
    collector = Collector()
    simulators = []
    for _ in range(2):
        sim = Process([switchyard_bin(), "simulate", "--port", "0", "--api-key", "sim-key"], tmp_path, r"listening on (http://\S+)")
        sim.wait_ready("switchyard simulate")
        simulators.append(sim)
    port = free_port()
    config = tmp_path / "gateway.yaml"
    config.write_text(f"""
listen: 127.0.0.1:{port}
store: sqlite:{tmp_path}/ledger.db
tracing: {{endpoint: "{collector.url}", service_name: switchyard-e2e}}
providers:
  first: {{type: openai, cloud: azure, base_url: "{simulators[0].match.group(1)}/v1", api_key: sim-key}}
  second: {{type: openai, cloud: aws, base_url: "{simulators[1].match.group(1)}/v1", api_key: sim-key}}
models:
  gpt-5:
    price: {{input: 1.50, output: 12.00}}
    deployments: [{{provider: first, target: gpt-5-prod}}, {{provider: second, target: gpt-5-aws}}]
tenants:
  acme: {{}}
keys:
  - {{key: {KEY}, tenant: acme}}
""")
    gateway = Process([switchyard_bin(), "serve", "--config", str(config)], tmp_path, r"switchyard listening")
    gateway.wait_ready("switchyard serve")
    yield f"http://127.0.0.1:{port}", simulators, collector, gateway
    gateway.kill()
    for sim in simulators:
        sim.kill()
    collector.server.shutdown()


def test_a_failed_over_request_is_one_trace_continuing_the_clients(traced_gateway):
    url, simulators, collector, gateway = traced_gateway
    first, second = (sim.match.group(1) for sim in simulators)
    httpx.post(f"{first}/_simulator/faults", json={"faults": [{"kind": "status", "status": 503}]}, timeout=10).raise_for_status()
    response = httpx.post(
        f"{url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {KEY}", "traceparent": f"00-{TRACE_ID}-{CLIENT_SPAN}-01"},
        json={"model": "gpt-5", "messages": [{"role": "user", "content": "Hello"}]},
        timeout=30,
    )
    assert response.status_code == 200 and response.headers["x-switchyard-attempts"] == "2"

    spans = collector.wait_for(3)
    assert {s["traceId"] for s in spans} == {TRACE_ID}
    assert {s["service"] for s in spans} == {"switchyard-e2e"}
    assert set(collector.content_types) == {"application/json"}
    (server,) = [s for s in spans if s["kind"] == 2]
    attempts = sorted((s for s in spans if s["kind"] == 3), key=lambda s: int(s["startTimeUnixNano"]))
    assert server["parentSpanId"] == CLIENT_SPAN
    assert [a["parentSpanId"] for a in attempts] == [server["spanId"]] * 2
    assert int(server["startTimeUnixNano"]) <= int(attempts[0]["startTimeUnixNano"]) <= int(server["endTimeUnixNano"])

    request = attributes(server)
    usage = response.json()["usage"]
    assert request["gen_ai.operation.name"] == "chat" and request["gen_ai.request.model"] == "gpt-5"
    assert int(request["gen_ai.usage.input_tokens"]) == usage["prompt_tokens"]
    assert int(request["gen_ai.usage.output_tokens"]) == usage["completion_tokens"]
    assert request["switchyard.route.cloud"] == "aws" and int(request["switchyard.attempts"]) == 2
    assert request["switchyard.request_id"] == response.headers["x-request-id"]

    failed, answered = (attributes(a) for a in attempts)
    assert failed["switchyard.cloud"] == "azure" and int(failed["http.response.status_code"]) == 503
    assert attempts[0]["status"]["code"] == 2
    assert answered["switchyard.cloud"] == "aws" and answered["gen_ai.system"] == "openai"
    assert answered["gen_ai.request.model"] == "gpt-5-aws" and attempts[1]["status"]["code"] == 1

    # Upstream saw the attempt's own span as its parent, in the client's trace.
    upstream = httpx.get(f"{second}/_simulator/stats", timeout=10).json()["last_traceparent"]
    assert upstream == f"00-{TRACE_ID}-{attempts[1]['spanId']}-01"
    assert gateway.terminate() == 0


def test_a_request_without_traceparent_starts_a_trace_and_malformed_ones_are_ignored(traced_gateway):
    url, simulators, collector, gateway = traced_gateway
    for header in ({}, {"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}):
        response = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"Authorization": f"Bearer {KEY}", **header},
            json={"model": "gpt-5", "messages": [{"role": "user", "content": "Hello"}]},
            timeout=30,
        )
        assert response.status_code == 200
    spans = collector.wait_for(4)
    servers = [s for s in spans if s["kind"] == 2]
    assert len(servers) == 2 and len({s["traceId"] for s in servers}) == 2
    assert all("parentSpanId" not in s and len(s["traceId"]) == 32 and s["traceId"] != "0" * 32 for s in servers)
    assert gateway.terminate() == 0

"""Prometheus metrics, the access log and JSON logs, as an operator sees them."""
from __future__ import annotations

import json
import re
import sqlite3

import httpx

from harness import CLIENT_KEY, start_demo

ADMIN_KEY = "sk-demo-admin"


def scrape(demo) -> dict[str, float]:
    """Samples of /metrics as {'name{labels}': value}."""
    response = httpx.get(demo.gateway_url + "/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def total(samples: dict[str, float], name: str, **labels: str) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(v for k, v in samples.items() if k.split("{")[0] == name and all(w in k for w in wanted))


def test_metrics_count_what_the_ledger_records():
    with start_demo() as demo, demo.client() as client:
        assert httpx.get(demo.gateway_url + "/metrics", timeout=30).status_code == 401
        # A client key is recognised and forbidden (403), as on the rest of the admin API.
        assert httpx.get(demo.gateway_url + "/metrics", headers={"Authorization": f"Bearer {CLIENT_KEY}"}, timeout=30).status_code == 403
        for _ in range(3):
            client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "Hello"}])
        stream = client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "Hi"}], stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        demo.script_faults("azure", {"kind": "status", "status": 503})  # the first attempt fails over to aws
        client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "Hello"}])

        samples = scrape(demo)
        assert total(samples, "switchyard_requests_total", model="gpt-5", status_class="2xx") == 5
        assert total(samples, "switchyard_requests_total", cloud="azure") == 4
        assert total(samples, "switchyard_requests_total", cloud="aws") == 1
        assert total(samples, "switchyard_failovers_total", cloud="aws") == 1
        assert total(samples, "switchyard_upstream_attempts_total") == 6
        assert total(samples, "switchyard_request_duration_seconds_count") == 5
        assert samples["switchyard_ledger_spool_depth"] == 0
        assert "switchyard_ledger_queue_depth" in samples

        demo.assert_clean_stop()
        with sqlite3.connect(demo.db_path) as db:
            prompt, completion, charge = db.execute(
                "SELECT SUM(prompt_tokens), SUM(completion_tokens), SUM(charge_nanos) FROM ledger_entries"
            ).fetchone()
        assert total(samples, "switchyard_tokens_total", direction="input") == prompt
        assert total(samples, "switchyard_tokens_total", direction="output") == completion
        assert abs(total(samples, "switchyard_charge_usd_total") - charge / 1e9) < 1e-12
        assert total(samples, "switchyard_revenue_share_usd_total", beneficiary="microsoft") > 0


def test_access_log_has_one_line_per_request_and_no_secrets():
    with start_demo("--log-level", "info", "--log-format", "json") as demo, demo.client() as client:
        ids = []
        for _ in range(3):
            raw = client.chat.completions.with_raw_response.create(
                model="gpt-5", messages=[{"role": "user", "content": "a secret prompt"}]
            )
            ids.append(raw.headers["x-request-id"])
        httpx.get(demo.gateway_url + "/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
        demo.assert_clean_stop()

    records = [json.loads(line) for line in demo.lines if line.startswith("{")]
    assert all({"time", "level", "label", "message"} <= r.keys() for r in records)
    access = [r for r in records if r["message"] == "request"]
    assert [r["request_id"] for r in access] == ids
    for record in access:
        assert record["tenant"] == "acme" and record["model"] == "gpt-5" and record["status"] == "200"
        assert record["cloud"] == "azure" and record["attempts"] == "1"
        assert int(record["latency_ms"]) >= 0 and int(record["completion_tokens"]) > 0
    text = "\n".join(line for line in demo.lines if line.startswith("{"))  # the log, not the demo's banner with its curl line
    for secret in (CLIENT_KEY, ADMIN_KEY, "a secret prompt", "sim-"):
        assert secret not in text, f"{secret!r} appeared in the logs"
    assert re.search(r'"key_id":"[^"]+"', text)

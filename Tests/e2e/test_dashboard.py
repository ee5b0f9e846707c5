"""The operator dashboard in a real browser (headless Chromium): it loads without console errors,
shows the same numbers as the admin API, and its route explainer answers."""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import httpx

from browser import Browser
from harness import REPO_ROOT, start_demo

ADMIN = {"Authorization": "Bearer sk-demo-admin"}
SCREENSHOT = Path(os.environ.get("SWITCHYARD_ARTIFACTS", REPO_ROOT / ".build" / "artifacts")) / "dashboard.png"


def month() -> str:
    today = dt.datetime.now(dt.timezone.utc).date()
    first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return f"from={first.isoformat()}&until={following.isoformat()}"


def admin(demo, path: str) -> dict:
    response = httpx.get(demo.gateway_url + path, headers=ADMIN, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_dashboard_shows_the_admin_api_numbers_and_explains_routes():
    with start_demo() as demo, demo.client() as client, Browser() as browser:
        for _ in range(4):
            client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "Hello"}])
        client.chat.completions.create(model="gpt-oss-120b", messages=[{"role": "user", "content": "Hi"}])

        browser.navigate(demo.gateway_url + "/dashboard")
        browser.wait_for("!document.getElementById('login').hidden", "the admin key prompt")
        assert browser.evaluate("document.getElementById('board').hidden") is True  # nothing shown without the key
        browser.evaluate(
            "document.getElementById('key').value = 'sk-demo-admin';"
            "document.getElementById('login').requestSubmit(); true"
        )
        browser.wait_for("document.body.dataset.loaded === 'true'", "its data")

        usage = admin(demo, f"/admin/v1/reports/usage?by=tenant&{month()}")
        assert usage["total"]["requests"] == 5
        shown = browser.evaluate("document.getElementById('charge-total').dataset.nanos")
        assert int(shown) == usage["total"]["charge"] > 0
        assert browser.evaluate("document.getElementById('requests-total').textContent") == "5"
        by_model = admin(demo, f"/admin/v1/reports/usage?by=model&{month()}")
        rows = browser.evaluate(
            "[...document.querySelectorAll('#spend-model tr[data-group]')]"
            ".map(r => [r.dataset.group, Number(r.dataset.chargeNanos)])"
        )
        assert rows == [[r["group"], r["charge"]] for r in by_model["rows"]]

        shares = admin(demo, f"/admin/v1/reports/revenue-share?{month()}")
        shown_shares = browser.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#shares tr[data-beneficiary]')]"
            ".map(r => [r.dataset.beneficiary, Number(r.dataset.nanos)]))"
        )
        assert shown_shares == {r["beneficiary"]: r["amount_nanos"] for r in shares["rows"]}
        assert set(shown_shares) == {"microsoft", "amazon"}

        traffic = admin(demo, "/admin/v1/traffic")
        cards = browser.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#traffic [data-cloud]')]"
            ".map(c => [c.dataset.cloud, Number(c.querySelector('[data-field=requests]').textContent)]))"
        )
        assert cards == {c["cloud"]: c["requests"] for c in traffic["clouds"]} == {"azure": 4, "aws": 1}

        health = admin(demo, "/admin/v1/health")
        states = browser.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#health tr[data-deployment]')]"
            ".map(r => [r.dataset.deployment, r.children[2].textContent]))"
        )
        assert states == {f"{d['provider']}/{d['target']}": d["state"] for d in health["deployments"]}
        assert states["azure-eastus/gpt-5-prod"] == "closed"

        timeline = admin(demo, "/admin/v1/timeline")
        first_change = browser.evaluate("document.querySelector('#timeline li').textContent")
        assert timeline["events"][0]["change"] in first_change

        browser.evaluate(
            "document.getElementById('explain-model').value = 'gpt-5';"
            "document.getElementById('explain-tenant').value = 'acme';"
            "document.getElementById('explain').requestSubmit(); true"
        )
        browser.wait_for(
            "!!document.querySelector('#explain-table tbody tr')",
            "the explainer's answer",
            shown="document.getElementById('explain-result').textContent",
        )
        explained = admin(demo, "/admin/v1/explain?model=gpt-5&tenant=acme")
        providers = browser.evaluate(
            "[...document.querySelectorAll('#explain-table tbody tr')].map(r => r.children[1].textContent)"
        )
        assert providers == [d["provider"] for d in explained["deployments"]]

        browser.screenshot(SCREENSHOT)
        assert browser.errors == []


def test_dashboard_refuses_a_wrong_key_and_asks_again():
    with start_demo() as demo, Browser() as browser:
        browser.navigate(demo.gateway_url + "/dashboard")
        browser.wait_for("!document.getElementById('login').hidden", "the admin key prompt")
        browser.evaluate(
            "document.getElementById('key').value = 'sk-demo-acme';"  # a client key, not the admin key
            "document.getElementById('login').requestSubmit(); true"
        )
        message = browser.wait_for(
            "!document.getElementById('login-error').hidden && document.getElementById('login-error').textContent",
            "a refusal",
        )
        assert "refused" in message
        assert browser.evaluate("sessionStorage.getItem('switchyard-admin-key')") is None
        assert browser.evaluate("document.getElementById('board').hidden") is True

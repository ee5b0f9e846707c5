"""Every request a tenant makes ends up in the ledger exactly once, even after a shutdown."""
from __future__ import annotations

import httpx
import openai
import pytest

from harness import CLIENT_KEY, HTTP_TIMEOUT, read_ledger, start_demo

MESSAGES = [{"role": "user", "content": "Count the requests."}]
COMPLETION_TOKENS = 16


class Requests:
    """What the test sent, keyed by the x-request-id the gateway answered with."""

    def __init__(self):
        self.by_id: dict[str, dict] = {}

    def add(self, headers, *, what: str, model: str, status: int | None, complete: bool = True) -> None:
        request_id = headers.get("x-request-id")
        assert request_id, f"{what}: response has no x-request-id"
        assert request_id not in self.by_id, f"{what}: x-request-id {request_id} was already used"
        self.by_id[request_id] = {
            "what": what,
            "model": model,
            "status": status,
            "complete": complete,
            "provider": headers.get("x-switchyard-provider"),
        }


def make_requests(demo, sent: Requests) -> None:
    with demo.client() as client:
        raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES)
        raw.parse()
        sent.add(raw.headers, what="non-stream gpt-5", model="gpt-5", status=200)

        raw = client.chat.completions.with_raw_response.create(model="gpt-5-mini", messages=MESSAGES)
        raw.parse()
        sent.add(raw.headers, what="non-stream gpt-5-mini", model="gpt-5-mini", status=200)

        raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES, stream=True)
        assert list(raw.parse())
        sent.add(raw.headers, what="stream without usage", model="gpt-5", status=200)

        raw = client.chat.completions.with_raw_response.create(
            model="gpt-5", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        assert list(raw.parse())
        sent.add(raw.headers, what="stream with usage", model="gpt-5", status=200)

        # The client hangs up after the first event of a stream.
        with httpx.stream(
            "POST",
            f"{demo.base_url}/chat/completions",
            json={"model": "gpt-5", "messages": MESSAGES, "stream": True},
            headers={"Authorization": f"Bearer {CLIENT_KEY}"},
            timeout=HTTP_TIMEOUT,
        ) as response:
            assert response.status_code == 200, response.read()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    break
            sent.add(response.headers, what="stream the client left", model="gpt-5", status=None, complete=False)

        # Failover: one request, two attempts, one ledger entry.
        demo.script_faults("azure", {"kind": "status", "status": 429, "retry_after": 1, "count": 1})
        raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES)
        raw.parse()
        assert raw.headers.get("x-switchyard-attempts") == "2"
        sent.add(raw.headers, what="failover", model="gpt-5", status=200)

        # Every deployment fails: still one ledger entry, with the status the client got.
        for cloud in ("azure", "aws"):
            demo.script_faults(cloud, {"kind": "status", "status": 503, "count": 5})
        with pytest.raises(openai.InternalServerError) as err:
            client.chat.completions.create(model="gpt-5", messages=MESSAGES)
        sent.add(err.value.response.headers, what="all deployments failed", model="gpt-5", status=503, complete=False)
        demo.clear_faults()


def test_ledger_records_every_request_once():
    sent = Requests()
    with start_demo() as demo:
        make_requests(demo, sent)
        demo.assert_clean_stop()  # SIGTERM: the ledger must be flushed before the process exits
        rows = read_ledger(demo.db_path)

    by_id: dict[str, list[dict]] = {}
    for row in rows:
        by_id.setdefault(row["request_id"], []).append(row)
    report = "\n".join(f"  {row}" for row in rows) or "  <none>"

    for request_id, request in sent.by_id.items():
        found = by_id.get(request_id, [])
        assert len(found) == 1, (
            f"{request['what']} ({request_id}): {len(found)} ledger rows, expected 1\nledger:\n{report}"
        )
        row = found[0]
        context = f"{request['what']}: {row}"
        assert row["tenant"] == "acme", context
        assert row["model"] == request["model"], context
        assert 0 <= row["completion_tokens"] <= COMPLETION_TOKENS, context
        if request["status"] is not None:
            assert row["status"] == request["status"], context
        if request["complete"]:
            assert row["provider"] == request["provider"], context
            assert row["prompt_tokens"] > 0, context
            assert row["completion_tokens"] == COMPLETION_TOKENS, context
            assert row["charge_nanos"] > 0, context
            assert row["cost_nanos"] >= 0, context

    assert len(rows) == len(sent.by_id), (
        f"ledger has {len(rows)} rows for the {len(sent.by_id)} requests this test made\nledger:\n{report}"
    )

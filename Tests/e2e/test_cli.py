"""`switchyard check`: validates a configuration and prints the routing table."""
from __future__ import annotations

import os
import subprocess

from harness import REPO_ROOT, switchyard_bin

DEMO_ENV = {
    "SWITCHYARD_DEMO_AZURE_URL": "http://127.0.0.1:1",
    "SWITCHYARD_DEMO_AWS_URL": "http://127.0.0.1:2",
    "SWITCHYARD_DEMO_DB": "/tmp/unused.db",
}


def run_check(config: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [switchyard_bin(), "check", "--config", config],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env={**os.environ, **env},
    )


def test_check_prints_the_routing_table_of_the_demo_config():
    result = run_check("examples/demo.yaml", DEMO_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("configuration OK:")
    assert "contract warnings" not in result.stdout  # the demo's terms leave every model served
    lines = result.stdout.splitlines()
    gpt5 = next(i for i, line in enumerate(lines) if line.startswith("gpt-5 "))
    first, second = lines[gpt5].split(), lines[gpt5 + 1].split()
    assert first[:3] == ["gpt-5", "1", "gpt-5-prod"] and "azure" in first
    assert second[0] == "2" and "aws" in second
    assert any(line.startswith("gpt-5-mini ") and "aws" in line.split() for line in lines)


def test_check_names_every_problem_by_path_and_hides_secrets(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(
        """
providers:
  azure-east: {type: openai, cloud: azure, base_url: "https://x.test/v1", api_key: "${SECRET_KEY}"}
models:
  gpt-5:
    deployments:
      - {provider: azure-east, target: a}
      - {provider: bedrock-wst, target: b}
keys:
  - {key: "${CLIENT_KEY}", tenant: nobody}
  - {key: "${MISSING_VAR}", tenant: nobody}
"""
    )
    result = run_check(str(config), {"SECRET_KEY": "sk-upstream-hush", "CLIENT_KEY": "sk-client-hush"})
    assert result.returncode == 2
    assert 'models.gpt-5.deployments[1].provider: unknown provider "bedrock-wst"' in result.stderr
    assert 'keys[0].tenant: unknown tenant "nobody"' in result.stderr
    assert "keys[1].key: environment variable MISSING_VAR is not set" in result.stderr
    assert "hush" not in result.stderr + result.stdout

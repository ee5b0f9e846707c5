#!/usr/bin/env bash
# The test command: Swift unit tests, then the end-to-end tests (Tests/e2e) that run the real
# `switchyard` binary and talk to it with the official OpenAI Python SDK.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The store suite runs against a real PostgreSQL server (Debian's postgresql package).
if [[ -z "${SWITCHYARD_POSTGRES_URL:-}" ]]; then
    SWITCHYARD_POSTGRES_URL="$(scripts/start-postgres.sh)"
    export SWITCHYARD_POSTGRES_URL
fi

swift build --build-tests
swift test --skip-build

# Python venv for the e2e tests; reinstall only when requirements.txt changes.
requirements=Tests/e2e/requirements.txt
stamp=.venv/requirements.sha256
if [[ ! -x .venv/bin/python ]]; then
    rm -rf .venv
    python3 -m venv .venv
fi
if [[ "$(cat "$stamp" 2>/dev/null)" != "$(sha256sum "$requirements")" ]]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
    sha256sum "$requirements" >"$stamp"
fi

SWITCHYARD_BIN="$(swift build --show-bin-path)/switchyard" \
    .venv/bin/python -m pytest -q -p no:cacheprovider Tests/e2e

#!/usr/bin/env bash
# The test command (README, and what CI runs): unit, sandbox, end-to-end and acceptance tests.
# Installs what it needs into .venv on first use; a fresh machine needs only Python >= 3.10 and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[tests,demo]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import source_xero, pytest, requests_mock" # fail loudly if the install did not work
echo "== ruff (lint): source_xero scripts/generate_schemas.py"
.venv/bin/python -m ruff check source_xero scripts/generate_schemas.py || exit 1
echo "== mypy (types): source_xero"
.venv/bin/python -m mypy source_xero || exit 1
# Test files run side by side (pytest-xdist), each file whole on one worker so that its module fixtures (a sandbox,
# a read several tests look at) are built once. Most end-to-end tests wait for the connector's own pacing of Xero's
# 60 calls a minute, not for the CPU, so more workers than cores pay off. PYTEST_WORKERS=0 runs them one by one.
exec .venv/bin/python -m pytest -p airbyte_cdk.test.standard_tests.pytest_hooks -m "not image_tests" -q \
  -n "${PYTEST_WORKERS:-4}" --dist loadfile "$@"

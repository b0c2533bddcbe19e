#!/usr/bin/env bash
# The demo (README's first command): a local Xero sandbox, then spec -> check -> discover -> full read
# into DuckDB through PyAirbyte -> a few edits in the sandbox -> incremental read, and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
echo "Installing source-xero and PyAirbyte into .venv (first run only takes a minute or two)..."
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[demo]" 2>&1 | grep -v "^WARNING: Location" || true
exec .venv/bin/python scripts/demo.py "$@"

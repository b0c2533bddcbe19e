#!/usr/bin/env bash
# The benchmark (`make bench`): source-xero against the local Xero sandbox, scenario by scenario, with
# tap-xero and airbyte-source-xero (each from PyPI, in its own venv under bench/.venvs/) side by side.
# Default size runs in a few minutes; the full run: BENCH_INVOICES=100000 make bench. See docs/benchmark.md.
# Options (or env): --invoices N (BENCH_INVOICES), --journals N (BENCH_JOURNALS), --big-invoices N
# (BENCH_BIG_INVOICES), --latency-ms MS, --scenarios a,b,c,d, --others tap-xero,airbyte-source-xero|none
# (BENCH_OTHERS), --others-limits (BENCH_OTHERS_LIMITS=1), --keep-output.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import source_xero" 2>/dev/null || [ ! -x .venv/bin/source-xero ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e . 2>&1 | grep -v "^WARNING: Location" || true
fi

# Other connectors, each in its own virtualenv, installed once. A failed install is logged and the
# tables say so; the benchmark of source-xero goes on.
OTHERS="${BENCH_OTHERS-tap-xero,airbyte-source-xero}"
for arg in "$@"; do
  case "$arg" in --others=*) OTHERS="${arg#--others=}" ;; esac
done
mkdir -p bench/.venvs
for name in ${OTHERS//,/ }; do
  [ "$name" = "none" ] && continue
  venv="bench/.venvs/$name"
  log="bench/.venvs/$name.install.log"
  if [ ! -f "$venv/.installed" ]; then
    echo "Installing $name into $venv (first run only)..."
    rm -rf "$venv"
    if "$PYTHON" -m venv "$venv" >"$log" 2>&1 \
       && "$venv/bin/python" -m pip install --disable-pip-version-check "$name" >>"$log" 2>&1; then
      touch "$venv/.installed"
    else
      echo "  $name did not install (see $log); the tables will say so."
    fi
  fi
  if [ -f "$venv/.installed" ]; then
    # Redirects their hard-coded https://api.xero.com / identity.xero.com to the sandbox (BENCH_XERO_REDIRECT).
    site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    cp bench/redirect/sitecustomize.py "$site/sitecustomize.py"
  fi
done

exec .venv/bin/python -m bench "$@"

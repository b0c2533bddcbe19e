#!/usr/bin/env bash
# The benchmark (`make bench`): source-xero against the local Xero sandbox, scenario by scenario, with
# tap-xero and airbyte-source-xero (each from PyPI, in its own venv under bench/.venvs/) side by side.
# Default size runs in a few minutes; the full run: BENCH_INVOICES=100000 make bench. See docs/benchmark.md.
# Options (or env): --invoices N (BENCH_INVOICES), --journals N (BENCH_JOURNALS), --small-invoices N and
# --big-invoices N for (d) (BENCH_SMALL_INVOICES, BENCH_BIG_INVOICES), --lines-invoices N and --lines-repeat N
# for (f) (BENCH_LINES_INVOICES, BENCH_LINES_REPEAT), --latency-ms MS, --scenarios a,b,c,d,e,f (f is also
# called lines), --others tap-xero,airbyte-source-xero|none (BENCH_OTHERS), --others-limits
# (BENCH_OTHERS_LIMITS=1), --keep-output, --results-dir DIR (BENCH_RESULTS_DIR).
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
previous=""
for arg in "$@"; do
  case "$arg" in --others=*) OTHERS="${arg#--others=}" ;; esac
  [ "$previous" = "--others" ] && OTHERS="$arg"
  previous="$arg"
done
mkdir -p bench/.venvs
# Per connector: the interpreter and any extra packages it needs to run as published.
#   tap-xero 2.6.0 imports `six` without declaring it (ModuleNotFoundError otherwise): installed alongside.
#   airbyte-source-xero 2.0.1 (airbyte-cdk 1.x) fails to import on Python 3.11 ("mutable default ... JsonDecoder"
#   in its components.py) although it declares >=3.9,<3.12: it gets Python 3.10 (Airbyte's image) when present.
interpreter_for() {
  case "$1" in
    airbyte-source-xero)
      for p in python3.10 python3.9 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python3.10 \
               "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3.9; do
        if "$p" -c "import venv, ensurepip" >/dev/null 2>&1; then echo "$p"; return; fi
      done; echo "$PYTHON" ;;
    *) echo "$PYTHON" ;;
  esac
}
extras_for() {
  case "$1" in
    tap-xero) echo "six" ;;
    *) echo "" ;;
  esac
}
for name in ${OTHERS//,/ }; do
  [ "$name" = "none" ] && continue
  venv="bench/.venvs/$name"
  log="bench/.venvs/$name.install.log"
  if [ ! -f "$venv/.installed" ]; then
    python_for=$(interpreter_for "$name")
    extras=$(extras_for "$name")
    echo "Installing $name into $venv with $python_for${extras:+ (+ $extras)} (first run only)..."
    rm -rf "$venv"
    # shellcheck disable=SC2086
    if "$python_for" -m venv "$venv" >"$log" 2>&1 \
       && "$venv/bin/python" -m pip install --disable-pip-version-check "$name" $extras >>"$log" 2>&1; then
      version=$("$venv/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
      pyver=$("$venv/bin/python" -c "import platform; print(platform.python_version())")
      echo "$name $version, Python $pyver${extras:+, + $extras}" > "$venv/.installed"
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

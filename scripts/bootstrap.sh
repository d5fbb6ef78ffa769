#!/usr/bin/env bash
# Set-up shared by every make target: uv (installed with pip when absent) and the locked .venv.
# `--quiet` (make run): one line on the terminal, uv's and pip's details in var/log/setup.log.
set -euo pipefail
cd "$(dirname "$0")/.."
QUIET=0
if [ "${1:-}" = "--quiet" ]; then
  QUIET=1
  shift
fi
mkdir -p var/log
LOG=var/log/setup.log
quietly() {
  if [ "$QUIET" -eq 1 ]; then "$@" >>"$LOG" 2>&1; else "$@"; fi
}
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
elif "$PY" -m uv --version >/dev/null 2>&1; then
  UV=("$PY" -m uv)
else
  [ "$QUIET" -eq 1 ] || echo "Installing uv with pip..."
  quietly "$PY" -m pip install --quiet --disable-pip-version-check uv 2>/dev/null \
    || quietly "$PY" -m pip install --quiet --disable-pip-version-check --user uv
  UV=("$PY" -m uv)
fi
stamp=.venv/.synced
if [ ! -f "$stamp" ] || [ uv.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  if [ "$QUIET" -eq 1 ]; then
    printf '%s' "Python environment: installing the locked packages into .venv ... "
    if ! "${UV[@]}" sync --frozen --python "$PY" "$@" >>"$LOG" 2>&1; then
      echo "failed; see $LOG" >&2
      exit 1
    fi
    touch "$stamp"
    echo "done ($(find .venv -maxdepth 4 -name '*.dist-info' -path '*site-packages*' | wc -l) packages)"
  else
    "${UV[@]}" sync --frozen --python "$PY" "$@"
    touch "$stamp"
  fi
elif [ "$QUIET" -eq 1 ]; then
  echo "Python environment: .venv is up to date"
fi

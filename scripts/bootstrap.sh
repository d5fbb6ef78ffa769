#!/usr/bin/env bash
# Set-up shared by every make target: uv (installed with pip when absent) and the locked .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
elif "$PY" -m uv --version >/dev/null 2>&1; then
  UV=("$PY" -m uv)
else
  echo "Installing uv with pip..."
  "$PY" -m pip install --quiet --disable-pip-version-check uv 2>/dev/null \
    || "$PY" -m pip install --quiet --disable-pip-version-check --user uv
  UV=("$PY" -m uv)
fi
stamp=.venv/.synced
if [ ! -f "$stamp" ] || [ uv.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "${UV[@]}" sync --frozen --python "$PY" "$@"
  touch "$stamp"
fi
mkdir -p var

#!/usr/bin/env bash
# The monitoring tests run promtool (rules, config, exposition): install Debian's `prometheus`
# package, which provides it, when it is missing; fail loudly (never skip) when that cannot be done.
set -euo pipefail
command -v promtool >/dev/null 2>&1 && exit 0
echo "promtool is missing; installing Debian's prometheus package..."
if command -v apt-get >/dev/null 2>&1; then
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends prometheus
fi
command -v promtool >/dev/null 2>&1 || {
  echo "ERROR: promtool is needed by make test: install Debian's prometheus package (apt-get install prometheus)." >&2
  exit 1
}

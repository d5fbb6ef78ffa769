#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright downloads no browser here): install it
# when it is missing; fail loudly (never skip) when that cannot be done.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
echo "chromium is missing; installing Debian's chromium package..."
if command -v apt-get >/dev/null 2>&1; then
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium
fi
[ -x /usr/bin/chromium ] || {
  echo "ERROR: the browser tests need /usr/bin/chromium: install Debian's chromium package (apt-get install chromium)." >&2
  exit 1
}

#!/usr/bin/env bash
# PDF reports (WeasyPrint) need Pango from Debian and Noto fonts so Devanagari lead names render:
# install them when missing. `--soft` (make run) warns instead of failing: only the PDF needs them.
set -euo pipefail
SOFT=0
[ "${1:-}" = "--soft" ] && SOFT=1
have_all() {
  # Read the lists whole: grep -q closing a pipe early fails it under pipefail.
  local libraries fonts
  libraries=$(ldconfig -p 2>/dev/null || true)
  fonts=$(fc-list 2>/dev/null || true)
  grep -q 'libpango-1.0.so.0' <<<"$libraries" && grep -q 'libpangoft2-1.0.so.0' <<<"$libraries" \
    && grep -q 'Noto Sans Devanagari' <<<"$fonts"
}
have_all && exit 0
echo "PDF reports need Pango and Noto fonts; installing Debian's libpango-1.0-0, libpangoft2-1.0-0, fonts-noto-core..."
if command -v apt-get >/dev/null 2>&1; then
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  { "${SUDO[@]}" apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-noto-core; } || true
  command -v fc-cache >/dev/null 2>&1 && fc-cache -f >/dev/null 2>&1 || true
fi
have_all && exit 0
message="PDF reports need Pango and the Noto fonts: apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core."
if [ "$SOFT" -eq 1 ]; then
  echo "WARNING: $message (everything else works without them)" >&2
  exit 0
fi
echo "ERROR: $message" >&2
exit 1

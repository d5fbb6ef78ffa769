#!/bin/sh
# The browser tests drive Debian's Chromium (Playwright downloads no browser here).
set -e
[ -x /usr/bin/chromium ] && exit 0
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

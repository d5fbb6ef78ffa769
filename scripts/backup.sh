#!/usr/bin/env bash
# Back up the database and the export/import files: scripts/backup.sh [DEST_DIR]
#
# Writes DEST_DIR/voiceagent-<UTC timestamp>/ (DEST_DIR defaults to var/backups) holding
#   db.dump        PostgreSQL custom-format dump (pg_dump), when DATABASE_URL is PostgreSQL
#   db.sqlite3     a consistent copy (SQLite online backup API), in embedded mode
#   media.tar.gz   MEDIA_ROOT (export files, uploaded lead files)
# and prints that directory. Restore with scripts/restore.sh <that directory>.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE_URL=${DATABASE_URL:-sqlite:///$PWD/var/db.sqlite3}
MEDIA_ROOT=${MEDIA_ROOT:-$PWD/var/media}
DEST=${1:-var/backups}
OUT="$DEST/voiceagent-$(date -u +%Y%m%dT%H%M%SZ)"
PY=${PY:-.venv/bin/python}
mkdir -p "$OUT"

case "$DATABASE_URL" in
  postgres://* | postgresql://*)
    # libpq reads the URL itself; custom format restores with pg_restore, in parallel if wanted.
    pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$OUT/db.dump"
    ;;
  sqlite://*)
    # The online backup API copies a consistent snapshot even while the app writes (WAL).
    "$PY" - "${DATABASE_URL#sqlite://}" "$OUT/db.sqlite3" <<'PYTHON'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
PYTHON
    ;;
  *)
    echo "backup: unsupported DATABASE_URL scheme: ${DATABASE_URL%%:*}" >&2
    exit 2
    ;;
esac

mkdir -p "$MEDIA_ROOT"
tar -czf "$OUT/media.tar.gz" -C "$MEDIA_ROOT" .
echo "$OUT"

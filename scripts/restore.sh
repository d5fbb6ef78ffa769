#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh: scripts/restore.sh BACKUP_DIR
#
# Replaces the database of DATABASE_URL (PostgreSQL: pg_restore --clean into the existing
# database; SQLite: the file) and the contents of MEDIA_ROOT with the backup's. Stop the web,
# worker and beat processes first: a restore under live writers mixes two points in time.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKUP=${1:?usage: scripts/restore.sh BACKUP_DIR}
DATABASE_URL=${DATABASE_URL:-sqlite:///$PWD/var/db.sqlite3}
MEDIA_ROOT=${MEDIA_ROOT:-$PWD/var/media}

case "$DATABASE_URL" in
  postgres://* | postgresql://*)
    test -f "$BACKUP/db.dump" || { echo "restore: $BACKUP/db.dump not found" >&2; exit 2; }
    # --single-transaction: all or nothing; --clean --if-exists drops what the dump recreates.
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
      --exit-on-error --dbname="$DATABASE_URL" "$BACKUP/db.dump"
    ;;
  sqlite://*)
    test -f "$BACKUP/db.sqlite3" || { echo "restore: $BACKUP/db.sqlite3 not found" >&2; exit 2; }
    target=${DATABASE_URL#sqlite://}
    mkdir -p "$(dirname "$target")"
    rm -f "$target-wal" "$target-shm"
    cp "$BACKUP/db.sqlite3" "$target"
    ;;
  *)
    echo "restore: unsupported DATABASE_URL scheme: ${DATABASE_URL%%:*}" >&2
    exit 2
    ;;
esac

test -f "$BACKUP/media.tar.gz" || { echo "restore: $BACKUP/media.tar.gz not found" >&2; exit 2; }
mkdir -p "$MEDIA_ROOT"
# Files written after the backup go too: the media then matches the restored database.
find "$MEDIA_ROOT" -mindepth 1 -delete
tar -xzf "$BACKUP/media.tar.gz" -C "$MEDIA_ROOT"
echo "restored $BACKUP"

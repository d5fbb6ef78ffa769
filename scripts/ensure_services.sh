#!/usr/bin/env bash
# make test needs real PostgreSQL and Redis: use them where reachable, start local ones that are
# installed but down, and fail loudly (never skip) when they cannot be had.
set -euo pipefail
db_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voiceagent}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/1}
py=.venv/bin/python

pg_up() { "$py" - "$db_url" <<'PY' >/dev/null 2>&1
import sys, psycopg, dj_database_url
c = dj_database_url.parse(sys.argv[1])
psycopg.connect(host=c["HOST"], port=c["PORT"] or 5432, user=c["USER"], password=c["PASSWORD"] or None,
                dbname="postgres", connect_timeout=3).close()
PY
}
redis_up() { "$py" -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()" "$redis_url" >/dev/null 2>&1; }

if ! pg_up; then
  echo "PostgreSQL is not reachable at $db_url; trying to start the local cluster..."
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
  fi
  pg_up || { echo "ERROR: PostgreSQL is needed by make test and could not be reached or started." >&2; exit 1; }
fi
if ! redis_up; then
  echo "Redis is not reachable at $redis_url; trying to start a local one..."
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  fi
  redis_up || { echo "ERROR: Redis is needed by make test and could not be reached or started." >&2; exit 1; }
fi
echo "PostgreSQL and Redis are up."

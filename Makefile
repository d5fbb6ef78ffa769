# voiceagent: `make run` (embedded: SQLite, no servers) and `make test` (real PostgreSQL and Redis).
SHELL := /bin/bash
PORT ?= 8000
PY := .venv/bin/python

# The environment of the test suite: production parts, production-like settings.
TEST_ENV := DEBUG=0 SECRET_KEY=test-secret-key-not-for-production-0123456789abcdef \
	ALLOWED_HOSTS=testserver,localhost,127.0.0.1 SECURE_SSL_REDIRECT=0 \
	SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voiceagent} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/1} \
	STATIC_ROOT=var/static-test WEBHOOK_ALLOW_PRIVATE=1

.PHONY: setup run test pytest lint format bench bench-exports clean

setup:
	@scripts/bootstrap.sh

# One line per step (details in var/log/), then the banner once everything is up.
run:
	@scripts/bootstrap.sh --quiet
	@$(PY) scripts/embedded.py --port $(PORT)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test: setup lint
	@scripts/ensure_services.sh
	@scripts/ensure_promtool.sh
	@scripts/ensure_chromium.sh
	@scripts/ensure_pdf.sh
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput -v 0
	$(TEST_ENV) $(PY) -m pytest $(ARGS)

# The suite alone (no lint), e.g. `make pytest ARGS="tests/voiceagent -x"`.
pytest: setup
	@scripts/ensure_services.sh
	@scripts/ensure_promtool.sh
	@scripts/ensure_chromium.sh
	@scripts/ensure_pdf.sh
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput -v 0
	$(TEST_ENV) $(PY) -m pytest $(ARGS)

clean:
	rm -rf var .venv

# Performance at reference scale (SCALE=small for a one-minute run); see README "Performance".
bench: setup
	@scripts/ensure_services.sh
	SCALE=$${SCALE:-reference} $(PY) bench/run.py

# Exports at 100k and 1M result rows: CSV and XLSX time and peak RSS against COPY and plain
# xlsxwriter/openpyxl (a dedicated database, about 15 minutes); see README "Exports".
bench-exports: setup
	@scripts/ensure_services.sh
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(PY) bench/export_bench.py

# Hardening (see README "Hardening"): backup/restore of database + MEDIA_ROOT, load and faults.
.PHONY: backup restore load faults
backup:
	@scripts/backup.sh $(DEST)

restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/voiceagent-..." >&2; exit 2; }
	@scripts/restore.sh $(BACKUP)

# The load run serves the app itself (uvicorn --workers 2) on its own database and Redis db.
LOAD_ENV := DEBUG=0 SECRET_KEY=load-secret-key-not-for-production-0123456789abcdef \
	ALLOWED_HOSTS=localhost,127.0.0.1 SECURE_SSL_REDIRECT=0 \
	SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
	DATABASE_URL=$${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voiceagent_load} \
	REDIS_URL=$${LOAD_REDIS_URL:-redis://127.0.0.1:6379/4}

LOAD_ARGS ?= --serve 2

load: setup
	@scripts/ensure_services.sh
	$(LOAD_ENV) $(PY) scripts/load.py $(LOAD_ARGS) $(ARGS)

faults: setup
	@scripts/ensure_chromium.sh
	$(PY) scripts/faults.py $(ARGS)

# A primary and a streaming replica of its own (temp dir, free ports), the app served on both,
# analytics figures read from the replica compared with the primary's; see README "Scaling".
.PHONY: replica-drill
replica-drill: setup
	$(PY) scripts/replica_drill.py $(ARGS)

"""Fixtures of the hardening tests: a scratch PostgreSQL database beside the test database."""

import psycopg
import pytest
from django.conf import settings


def _server_params():
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }


@pytest.fixture
def scratch_database_url(request):
    """A new, empty database (dropped afterwards) as a postgres:// URL."""
    params = _server_params()
    suffix = request.node.name.removeprefix("test_")[:20]
    name = f"{settings.DATABASES['default']['NAME']}_scratch_{suffix}"[:63]
    admin = params | {"dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = f"{params['user']}:{params['password']}" if params["password"] else params["user"]
    yield f"postgres://{auth}@{params['host']}:{params['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

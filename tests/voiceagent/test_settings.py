"""Production settings are safe: `check --deploy` is clean, and nothing runs without a SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#k2Lq9!vR4mZ8pW1nT6yB3cF0hJ5sD-ugE_oA+iK&lX*Qe7rT2yU9oP4aS6",
    "ALLOWED_HOSTS": "voiceagent.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/voiceagent",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
}


def manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT",
                                                             "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"}}  # fmt: skip
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_no_default_secret_key_outside_debug():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr

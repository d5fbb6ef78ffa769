"""The embedded mode's settings file (`var/embedded.env`, written by `make run`), read by manage.py
and the ASGI/WSGI entry points so that every `manage.py` command works as written after `make run`.

Plain standard library: it runs before Django is imported. A value of the file is used only for a
variable the environment does not set (set and empty counts as set), and the file is ignored
whole when the environment names DATABASE_URL or REDIS_URL: a process pointed at real services
(production, the test suite, `make load`) is never in embedded mode.
"""

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "var" / "embedded.env"
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL")
HEADER = """\
# Written by `make run` (scripts/embedded.py): the settings of the embedded mode. manage.py and
# the ASGI/WSGI app read it for every variable the environment leaves unset, unless the
# environment sets DATABASE_URL or REDIS_URL. Delete it to stop that; `make run` writes it again.
"""


def embedded_env_path(environ=os.environ):
    """Where the file is: EMBEDDED_ENV_FILE, else var/embedded.env of this checkout."""
    return Path(environ.get("EMBEDDED_ENV_FILE") or DEFAULT_PATH)


def read_embedded_env(path):
    """{name: value} of a KEY=VALUE file (blank lines and # comments skipped); {} when absent."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    values = {}
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def apply_embedded_env(environ=os.environ):
    """Put the file's values into `environ` where it has none; the names applied."""
    if any(name in environ for name in SERVICE_VARIABLES):
        return []
    applied = []
    for name, value in read_embedded_env(embedded_env_path(environ)).items():
        if name not in environ:
            environ[name] = value
            applied.append(name)
    return applied


def embedded_defaults(var_dir):
    """The embedded mode's settings: development mode, SQLite and the filesystem broker in
    `var_dir`, webhooks allowed to loopback receivers."""
    return {
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{Path(var_dir).resolve() / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://localhost/",
        "WEBHOOK_ALLOW_PRIVATE": "1",
    }


def write_embedded_env(path, values):
    """Write `values` to the file, with a SECRET_KEY of its own: the one already there (logins
    survive a restart), else a new random one. Returns everything written."""
    path = Path(path)
    key = read_embedded_env(path).get("SECRET_KEY") or secrets.token_urlsafe(50)
    written = {**values, "SECRET_KEY": key}
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{name}={value}\n" for name, value in written.items())
    path.write_text(HEADER + body, encoding="utf-8")
    return written

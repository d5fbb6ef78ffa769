"""Settings: production is safe (`check --deploy` clean, no default SECRET_KEY), settings.py
assigns each name once, and README's configuration table lists every variable the product reads."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packages import our_packages

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


# --- settings.py assigns each name once, in one place --------------------------------------------

SETTINGS_PY = ROOT / "voiceagent" / "settings.py"
README = ROOT / "README.md"
MUTATING_METHODS = {"append", "extend", "insert", "update", "setdefault", "pop", "remove", "clear"}
ENV_HELPERS = {"env_str", "env_bool", "env_int", "env_float", "env_list"}


def _module_level(body):
    """Statements run at import: the module body and the blocks of its if/try/with/for."""
    for node in body:
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _module_level(getattr(node, field, []))
        for handler in getattr(node, "handlers", []):
            yield from _module_level(handler.body)


def _expressions(statement):
    """Nodes evaluated at import by one statement (function and lambda bodies excluded)."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return
    stack = [child for child in ast.iter_child_nodes(statement) if not isinstance(child, ast.stmt)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _bound_names(target):
    """The names a target binds: `A` or the `A, B` of an unpacking (not the `A` of `A[k]`)."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _bound_names(element)]
    return []


def settings_problems(source):
    """Every way `source` (a settings module) writes a name twice or changes a value in place."""
    problems, seen = [], {}
    for statement in _module_level(ast.parse(source).body):
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names = [n for t in targets for n in _bound_names(t)]
            if any(isinstance(t, ast.Subscript | ast.Attribute) for t in targets):
                problems.append(f"line {statement.lineno}: item or attribute assignment")
        elif isinstance(statement, ast.AugAssign):
            names = []
            problems.append(f"line {statement.lineno}: augmented assignment")
        elif isinstance(statement, ast.FunctionDef | ast.ClassDef):
            names = [ast.Name(id=statement.name)]
        else:
            names = []
        for name in names:
            if name.id in seen:
                problems.append(f"line {statement.lineno}: {name.id} assigned again")
            seen.setdefault(name.id, statement.lineno)
        for node in _expressions(statement):
            is_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if is_call and node.func.attr in MUTATING_METHODS:
                problems.append(f"line {node.lineno}: .{node.func.attr}() at module level")
    return problems


def test_settings_assign_each_name_once_and_change_nothing_in_place():
    assert settings_problems(SETTINGS_PY.read_text()) == []


def test_settings_check_catches_late_additions():
    source = (
        "MIDDLEWARE = ['a']\n"
        "if DEBUG:\n"
        "    MIDDLEWARE = ['b']\n"
        "MIDDLEWARE.insert(0, 'c')\n"
        "REST_FRAMEWORK['PAGE_SIZE'] = 5\n"
        "SPECTACULAR_SETTINGS |= {}\n"
        "X = SPECTACULAR_SETTINGS.setdefault('ENUM_NAME_OVERRIDES', {})\n"
        "def helper():\n"
        "    options = {}\n"
        "    options.update(a=1)\n"
    )
    assert settings_problems(source) == [
        "line 3: MIDDLEWARE assigned again",
        "line 4: .insert() at module level",
        "line 5: item or attribute assignment",
        "line 6: augmented assignment",
        "line 7: .setdefault() at module level",
    ]


# --- README's configuration table lists every variable the product reads ------------------------


def _constant(node):
    """The value of a literal default such as `3`, `"INFO"` or `4 * 3600`; None otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Add | ast.Sub):
        left, right = _constant(node.left), _constant(node.right)
        if isinstance(left, int | float) and isinstance(right, int | float):
            return {ast.Mult: left * right, ast.Add: left + right, ast.Sub: left - right}[
                type(node.op)
            ]
    return None


def settings_env_reads():
    """{variable: literal default or None} of every env_*("NAME", default) call in settings.py."""
    reads = {}
    for node in ast.walk(ast.parse(SETTINGS_PY.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ENV_HELPERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            default = _constant(node.args[1]) if len(node.args) > 1 else None
            reads[node.args[0].value] = default
    return reads


def product_environ_reads():
    """Variables read through os.environ / os.getenv by the product's own modules and scripts."""
    pattern = re.compile(r"""(?:os\.environ\.get|os\.environ\.setdefault|os\.getenv)\(\s*["']([A-Z0-9_]+)["']"""
                         r"""|os\.environ\[\s*["']([A-Z0-9_]+)["']\s*\]""")  # fmt: skip
    files = [ROOT / "manage.py", ROOT / "scripts" / "embedded.py"]
    for package in our_packages():
        files += sorted((ROOT / package).rglob("*.py"))
    return {a or b for path in files for a, b in pattern.findall(path.read_text())}


def readme_configuration_rows():
    """{variable: its table row} of the table under README's "## Configuration"."""
    text = README.read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split(" | ", 1)[0]
            for name in re.findall(r"`([A-Z0-9_]+)`", first_cell):
                rows[name] = line
    return rows


def test_settings_read_the_variables_this_test_expects():
    reads = settings_env_reads()
    assert reads["CELERY_TASK_TIME_LIMIT"] == 3 * 3600 + 300
    assert reads["DEBUG"] is False
    assert reads["APP_VERSION"] == "0.1.0"
    assert len(reads) > 60  # the parser sees the reads (each one is checked against README below)


def test_every_variable_read_by_settings_is_in_readme_configuration_table():
    missing = sorted(set(settings_env_reads()) - set(readme_configuration_rows()))
    assert missing == []


def test_every_variable_read_by_the_product_is_in_readme_configuration_table():
    reads = product_environ_reads()
    assert {"PORT", "PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE"} <= reads
    assert sorted(reads - set(readme_configuration_rows())) == []


def test_readme_configuration_table_gives_each_literal_default():
    rows = readme_configuration_rows()
    wrong = {}
    for name, default in settings_env_reads().items():
        if default is None or default == "":
            continue
        if isinstance(default, bool):
            shown = "1" if default else "0"
        elif isinstance(default, float) and default.is_integer():
            shown = str(int(default))
        else:
            shown = str(default)
        if f"`{shown}`" not in rows.get(name, ""):
            wrong[name] = shown
    assert wrong == {}


def test_a_pool_size_gives_postgresql_a_connection_pool_instead_of_persistent_ones(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from voiceagent import settings as project_settings

    url = "postgres://postgres@127.0.0.1:5432/voiceagent"
    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)
    monkeypatch.delenv("DB_POOL_TIMEOUT", raising=False)
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    assert "pool" not in project_settings._database(url)["OPTIONS"]

    monkeypatch.setenv("DB_POOL_SIZE", "8")
    pooled = project_settings._database(url)
    assert pooled["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10}
    assert pooled["CONN_MAX_AGE"] == 0

    monkeypatch.setenv("DB_CONN_MAX_AGE", "600")
    with pytest.raises(ImproperlyConfigured, match="Set DB_POOL_SIZE or DB_CONN_MAX_AGE"):
        project_settings._database(url)

"""Security headers on pages, API and docs; production cookies and HSTS; `check --deploy` clean."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture
def member_client(client, team):
    client.force_login(team.member)
    return client


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/dashboard/realtime", "/health/live"])
def test_every_answer_carries_the_strict_policy_and_frame_denial(member_client, path):
    response = member_client.get(path)
    assert (
        response.status_code,
        response["Content-Security-Policy"],
        response["X-Frame-Options"],
        response["X-Content-Type-Options"],
        response["Referrer-Policy"],
    ) == (200, STRICT_CSP, "DENY", "nosniff", "same-origin")


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/admin/login/"])
def test_docs_and_admin_allow_inline_styles_but_never_inline_scripts(client, team, path):
    client.force_login(team.staff)
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc", "/accounts/login/"])
def test_our_pages_have_no_inline_script(member_client, path):
    body = member_client.get(path).content.decode()
    inline = [
        chunk.split(">", 1)[0]
        for chunk in body.split("<script")[1:]
        if "src=" not in chunk.split(">", 1)[0]
    ]
    assert inline == []


def test_swagger_ui_start_up_script_is_served_as_javascript(member_client):
    response = member_client.get("/docs?script=")
    assert (response.status_code, response["Content-Type"]) == (
        200,
        "application/javascript",
    )


def test_production_settings_set_hsts_and_secure_cookies():
    # The suite runs with DEBUG off; the Makefile turns the cookie flags off for plain http.
    env = {k: v for k, v in os.environ.items() if not k.endswith(("COOKIE_SECURE", "SSL_REDIRECT"))}
    env.update(DEBUG="0", SECRET_KEY="x" * 60, ALLOWED_HOSTS="example.com")
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='voiceagent.settings'; "
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["31536000", "True", "True", "True", "True", "DENY"]


def test_check_deploy_is_clean_in_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.endswith(("COOKIE_SECURE", "SSL_REDIRECT"))}
    env.update(DEBUG="0", SECRET_KEY="k3y-" + "x7Q9" * 15, ALLOWED_HOSTS="example.com")
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )
    assert (out.returncode, out.stderr) == (0, "")

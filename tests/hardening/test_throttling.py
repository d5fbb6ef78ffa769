"""Login lockout per username and address; API rate limits per user, ingestion per token."""

import json

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_ingest_user, make_lead
from voiceagent.web.throttling import UserOrScopeRateThrottle

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(monkeypatch):
    def set_rates(**rates):
        monkeypatch.setattr(UserOrScopeRateThrottle, "THROTTLE_RATES", rates)

    return set_rates


def fail_logins(client, username, times, path="/accounts/login/"):
    for _ in range(times):
        client.post(path, {"username": username, "password": "wrong"})


def test_fifth_failure_locks_the_username_out_with_429_and_a_clear_message(client, team, settings):
    settings.LOGIN_MAX_FAILURES = 5
    fail_logins(client, "member", 5)
    response = client.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed login attempts for this username from your address." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_four_failures_still_let_the_right_password_in(client, team, settings):
    settings.LOGIN_MAX_FAILURES = 5
    fail_logins(client, "member", 4)
    response = client.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    assert (response.status_code, int(client.session["_auth_user_id"])) == (302, team.member.pk)


def test_successful_login_resets_the_failure_count(client, team, settings):
    settings.LOGIN_MAX_FAILURES = 3
    fail_logins(client, "member", 2)
    client.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    client.logout()
    fail_logins(client, "member", 2)
    response = client.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 302


def test_lockout_is_per_address(client, team, settings):
    settings.LOGIN_MAX_FAILURES = 2
    fail_logins(client, "member", 2)
    response = client.post(
        "/accounts/login/",
        {"username": "member", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 302


def test_lockout_is_per_username(client, team, settings):
    settings.LOGIN_MAX_FAILURES = 2
    fail_logins(client, "member", 2)
    response = client.post("/accounts/login/", {"username": "outsider", "password": PASSWORD})
    assert response.status_code == 302


def test_admin_login_is_locked_out_too_and_says_so(client, team, settings):
    settings.LOGIN_MAX_FAILURES = 2
    fail_logins(client, "staff", 2, path="/admin/login/")
    response = client.post("/admin/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_api_user_over_the_user_rate_gets_429(api_client, team, rates):
    rates(user="3/min", ingest="100/min")
    client = api_client(team.member)
    statuses = [client.get("/api/campaigns").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_throttled_answer_says_when_to_retry(api_client, team, rates):
    rates(user="1/min", ingest="100/min")
    client = api_client(team.member)
    client.get("/api/campaigns")
    response = client.get("/api/campaigns")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled. Expected available in")
    assert int(response["Retry-After"]) > 0


def test_user_rate_is_counted_per_user(api_client, team, rates):
    rates(user="1/min", ingest="100/min")
    api_client(team.member).get("/api/campaigns")
    assert api_client(team.outsider).get("/api/campaigns").status_code == 200


def event(lead, n):
    return {
        "event_id": f"throttle-{n}",
        "type": "call.queued",
        "occurred_at": timezone.now().isoformat(),
        "call_sid": f"CAthrottle{n}",
        "campaign_id": lead.campaign_id,
        "lead_id": lead.pk,
        "data": {},
    }


def test_ingestion_has_its_own_rate_per_token(api_client, team, rates):
    rates(user="1/min", ingest="2/min")
    lead = make_lead(team.campaign)
    agent, other_agent = api_client(make_ingest_user()), api_client(make_ingest_user())

    def post(client, n):
        body = json.dumps(event(lead, n))
        return client.post("/api/call-events", body, content_type="application/json").status_code

    assert [post(agent, 1), post(agent, 2), post(agent, 3), post(other_agent, 4)] == [
        202,
        202,
        429,
        202,
    ]


def test_probes_are_never_throttled(client, rates):
    rates(user="1/min", ingest="1/min")
    assert [client.get("/health/live").status_code for _ in range(3)] == [200, 200, 200]


def test_default_ingest_rate_is_generous(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["ingest"] == "6000/min"


@pytest.fixture
def cache_down():
    # A Redis nobody listens on: every cache call fails as in an outage.
    broken = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(CACHES=broken):
        yield


def test_ingestion_goes_on_when_the_cache_is_down(api_client, team, cache_down):
    lead = make_lead(team.campaign)
    response = api_client(make_ingest_user()).post(
        "/api/call-events", json.dumps(event(lead, 99)), content_type="application/json"
    )
    assert (response.status_code, response.json()) == (202, {"accepted": 1, "duplicates": 0})


def test_login_goes_on_when_the_cache_is_down(client, team, cache_down, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    response = client.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 302


def test_concurrent_requests_never_share_the_last_places(team, rates):
    """The check is one atomic script in Redis: twelve requests at once, five places, five pass."""
    import threading
    from types import SimpleNamespace

    rates(user="5/min", ingest="100/min")
    request, view = SimpleNamespace(user=team.member), SimpleNamespace()
    start, allowed = threading.Barrier(12), []

    def ask():
        start.wait()
        allowed.append(UserOrScopeRateThrottle().allow_request(request, view))

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(allowed) == [False] * 7 + [True] * 5


def test_a_rate_of_none_per_minute_refuses_every_request_and_says_when_to_retry(
    api_client, team, rates
):
    rates(user="0/min", ingest="100/min")
    response = api_client(team.member).get("/api/campaigns")
    assert (response.status_code, response["Retry-After"]) == (429, "60")


def test_the_rate_limit_counts_in_the_redis_the_cache_options_name(api_client, team, rates):
    """The throttle talks to Redis through the cache's own client: a database given in OPTIONS
    (not in the URL) is where the window is kept, as for every other cache key."""
    import redis
    from django.conf import settings

    # This run's own Redis database, named in OPTIONS instead of the URL.
    location = redis.connection.parse_url(settings.CACHES["default"]["LOCATION"])
    server = f"redis://{location.get('host', '127.0.0.1')}:{location.get('port', 6379)}"
    db = location.get("db", 0)
    cache_in_options = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server,
            "OPTIONS": {"db": db, "socket_timeout": 2},
        }
    }
    named = redis.Redis.from_url(server, db=db)
    named.delete(f"throttle:throttle_user_{team.member.pk}")
    rates(user="1/min", ingest="100/min")
    with override_settings(CACHES=cache_in_options):
        statuses = [api_client(team.member).get("/api/campaigns").status_code for _ in range(2)]
    try:
        assert statuses == [200, 429]
        assert named.zcard(f"throttle:throttle_user_{team.member.pk}") == 1
    finally:
        named.delete(f"throttle:throttle_user_{team.member.pk}")


def test_requests_in_contexts_of_their_own_share_one_redis_client_for_the_rate_limit(team, rates):
    """Under ASGI every request runs in a context of its own, and Django makes its cache object
    (and that object's connection pool) anew in each: the rate limit must neither keep each
    request's pool (a leak) nor open a connection per request."""
    import asyncio
    import contextvars
    from types import SimpleNamespace

    from asgiref.sync import sync_to_async
    from django.core.cache import caches

    from voiceagent.web import throttling

    rates(user="100/min", ingest="100/min")
    request, view = SimpleNamespace(user=team.member), SimpleNamespace()
    seen = []

    def one_request():
        assert UserOrScopeRateThrottle().allow_request(request, view)
        seen.append((caches["default"], throttling._cache_redis()))

    async def requests():
        for _ in range(3):  # each in an empty context, as a server's new connection is
            await asyncio.create_task(sync_to_async(one_request)(), context=contextvars.Context())

    asyncio.run(requests())
    cache_objects = {id(cache_object) for cache_object, _ in seen}
    scripts = {id(script) for _, script in seen}
    assert (len(cache_objects), len(scripts)) == (3, 1)

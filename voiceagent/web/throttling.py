"""Rate limits: API requests per user (ingestion per token, its own scope) and login attempts.

API: one DRF throttle for every view. A view naming a `throttle_scope` (ingestion: "ingest") is
limited per user in that scope's rate (INGEST_RATE, generous: the agent posts in bursts);
every other view by the user rate (API_USER_RATE). Anonymous requests are not counted here:
the API refuses them anyway, and the open probes (/health/*) must never be throttled. The
window slides as DRF's does (requests within the last `duration` seconds), but with Redis the
check is one atomic script on a sorted set: one round trip instead of DRF's read and write of
a pickled list, and concurrent requests cannot both take the last place. It runs on a Redis
client built once per process from the default cache's settings (its writing server, OPTIONS
included); with another cache (embedded mode's file cache) DRF's own check runs.

Login: failures are counted per username and client address in the cache; after
LOGIN_MAX_FAILURES within LOGIN_LOCKOUT_SECONDS that pair is locked out for the rest of the
window. The check sits in the authentication backend, so every login form (ours and the
admin's) is covered, and the forms say so plainly instead of "wrong password".
"""

import logging
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from voiceagent.redis_client import cache_redis_client

logger = logging.getLogger(__name__)
# What the cache raises when its server is away (Redis; the file cache of embedded mode: OSError).
CACHE_ERRORS = (RedisError, OSError)


# KEYS[1]: the user's sorted set of request times; ARGV: now, duration, limit, a unique member.
# Answers {allowed (1/0), requests in the window, the oldest request's time (a string: Lua
# numbers come back truncated to integers)}.
SLIDING_WINDOW_SCRIPT = """
local key, now, duration, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
local count = redis.call('ZCARD', key)
if count >= limit then
  return {0, count, redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or ARGV[1]}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(duration * 1000))
return {1, count + 1, ARGV[1]}
"""


# The script, bound to the process's client of each cache configuration (normally one).
_scripts = {}


def _cache_redis():
    """The sliding-window script on the default cache's Redis (voiceagent.redis_client: one
    client per process), or None when the cache is not Redis (the throttle then keeps DRF's
    history in the cache)."""
    client = cache_redis_client()
    if client is None:
        return None
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts.setdefault(id(client), client.register_script(SLIDING_WINDOW_SCRIPT))
    return script


class UserOrScopeRateThrottle(SimpleRateThrottle):
    """Per authenticated user; the rate of the view's `throttle_scope`, else of "user"."""

    def allow_request(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return True
        self.scope = getattr(view, "throttle_scope", None) or "user"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            script = _cache_redis() if self.rate is not None else None
            if script is None:
                return super().allow_request(request, view)
            return self._allow_in_redis(script, request, view)
        except CACHE_ERRORS as exc:
            # Fail open: a Redis outage must not stop ingestion (the fault drill found it did).
            logger.warning("Rate limit not applied, the cache is unavailable: %s", exc)
            return True

    def _allow_in_redis(self, script, request, view):
        self.now = self.timer()
        allowed, count, oldest = script(
            keys=[f"throttle:{self.get_cache_key(request, view)}"],
            args=[repr(self.now), self.duration, self.num_requests, uuid.uuid4().hex],
        )
        if not allowed:  # what DRF's wait() reads: the requests in the window, the oldest's time
            self.history = [float(oldest)] * int(count)
        return bool(allowed)

    def get_rate(self):
        return self.THROTTLE_RATES.get(getattr(self, "scope", None) or "user")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


def _client_address(request):
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a proxy rewrites it.
    return (request.META.get("REMOTE_ADDR") if request is not None else None) or "unknown"


def _failures_key(request, username):
    return f"login-failures:{(username or '').strip().lower()}:{_client_address(request)}"


def login_locked(request, username):
    try:
        failures = cache.get(_failures_key(request, username), 0)
    except CACHE_ERRORS as exc:
        logger.warning("Login lockout not checked, the cache is unavailable: %s", exc)
        return False
    return failures >= settings.LOGIN_MAX_FAILURES


def lockout_message():
    minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
    return (
        f"Too many failed login attempts for this username from your address. "
        f"Try again in {minutes} minutes."
    )


class ThrottledModelBackend(ModelBackend):
    """Django's backend, refusing a locked-out username and address without checking the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if login_locked(request, username):
            raise PermissionDenied(lockout_message())
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed, dispatch_uid="count-login-failure")
def count_login_failure(sender, credentials, request=None, **kwargs):
    key = _failures_key(request, credentials.get("username"))
    try:
        # add() starts the window at the first failure; incr() never extends it.
        if not cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    except CACHE_ERRORS as exc:
        logger.warning("Login failure not counted, the cache is unavailable: %s", exc)


@receiver(user_logged_in, dispatch_uid="reset-login-failures")
def reset_login_failures(sender, request, user, **kwargs):
    try:
        cache.delete(_failures_key(request, user.get_username()))
    except CACHE_ERRORS as exc:
        logger.warning("Login failures not reset, the cache is unavailable: %s", exc)

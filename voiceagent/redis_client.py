"""One Redis client per process for the default cache's server, for what the cache's own API
cannot do in one round trip (the rate limit's script, live sequence numbers' INCRBY).

It is built as the cache builds its own (the same servers and OPTIONS: database, credentials,
timeouts), once per process: the cache object itself is made anew for every request under ASGI
(Django keeps caches per context), its connection pool with it, so a client taken from each
cache object held every request's pool and connection for good (`make load` saw the web
workers grow ~12 MiB a minute), and one built anew each time opened a connection per use.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_clients = {}


def cache_redis_client():
    """The writing client of the default cache's Redis, or None when the cache is not Redis."""
    default = caches["default"]
    if not isinstance(default, RedisCache):
        return None
    key = repr((default._servers, sorted(default._options.items())))
    client = _clients.get(key)
    if client is None:
        client = default._class(default._servers, **default._options).get_client(write=True)
        client = _clients.setdefault(key, client)
    return client

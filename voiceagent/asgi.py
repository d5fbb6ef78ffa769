"""ASGI entry point: HTTP through Django, WebSockets through Channels (session auth, origin check)."""

import gc
import os

from django.core.asgi import get_asgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from monitoring.asgi import WebSocketMetricsMiddleware, process_lifespan  # noqa: E402
from voiceagent.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebSocketMetricsMiddleware(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
        "lifespan": process_lifespan,
    }
)

# What start-up made lives as long as the process: frozen out of the cyclic collector's reach,
# so that its full passes walk what requests make instead of the whole application as well (in
# `make bench` they cost a 500-event batch about 3.5 ms on average before). The URLconf, and the
# views, serializers and services it imports, would load on the first request, after the freeze:
# loaded now, they are frozen with the rest.
get_resolver().url_patterns  # noqa: B018
gc.freeze()

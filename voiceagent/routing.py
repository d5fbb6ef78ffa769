"""WebSocket routes; the consumers live in analytics.consumers. Any other path is refused with close
code 4404 (the consumers' "not found"), never a 500 from the router."""

from django.urls import path, re_path

from analytics.consumers import LiveConsumer


async def unknown_route(scope, receive, send):
    """Refuse the handshake of a WebSocket path no consumer serves: close code 4404 before accept
    (a browser sees the handshake refused; the server logs no error)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4404})


websocket_urlpatterns = [
    path("ws/dashboard/", LiveConsumer.as_asgi()),
    path("ws/campaigns/<int:campaign_id>/", LiveConsumer.as_asgi()),
    re_path(r"", unknown_route),
]

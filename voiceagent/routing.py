"""WebSocket routes (the consumers live in analytics.consumers)."""

websocket_urlpatterns = []

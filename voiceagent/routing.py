"""WebSocket routes; the consumers live in analytics.consumers."""

from django.urls import path

from analytics.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/dashboard/", LiveConsumer.as_asgi()),
    path("ws/campaigns/<int:campaign_id>/", LiveConsumer.as_asgi()),
]

"""Routes of call-event ingestion and the Exotel webhook."""

from voiceagent.ingestion.api import CallEventsView
from voiceagent.ingestion.exotel import ExotelStatusView
from voiceagent.web.urltools import slash_optional

urlpatterns = [
    *slash_optional("api/call-events", CallEventsView.as_view(), name="call-events"),
    *slash_optional("webhooks/exotel/status", ExotelStatusView.as_view(), name="exotel-status"),
]

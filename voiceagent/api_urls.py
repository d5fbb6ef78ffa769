"""REST API routes of the call domain: campaigns, leads and DNC; call-event ingestion and webhooks."""

from django.urls import include, path

urlpatterns = [
    path("", include("voiceagent.urls_campaigns")),
    path("", include("voiceagent.urls_ingest")),
]

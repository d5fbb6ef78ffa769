"""REST API routes of the call domain (campaigns, leads, DNC, ingestion)."""

urlpatterns = []

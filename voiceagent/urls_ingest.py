"""Routes of call-event ingestion and the Exotel webhook."""

urlpatterns = []

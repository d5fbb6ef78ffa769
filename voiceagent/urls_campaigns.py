"""Routes of the campaigns, leads and DNC API."""

urlpatterns = []

"""URLs of exports."""

urlpatterns = []

"""URLs of monitoring."""

urlpatterns = []

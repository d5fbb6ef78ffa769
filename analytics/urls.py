"""URLs of analytics."""

urlpatterns = []

"""Root URLs: admin, login, the REST API, analytics, exports, monitoring and pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("voiceagent.api_urls")),
    path("", include("analytics.urls")),
    path("", include("exports.urls")),
    path("", include("monitoring.urls")),
    path("", include("voiceagent.urls_docs")),
    path("", include("analytics.page_urls")),
]

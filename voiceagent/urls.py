"""Root URLs: admin, login, the REST API, analytics, exports, monitoring and pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from voiceagent.web.login import AdminLoginForm, LoginView

# The admin's login form tells a locked-out user so (voiceagent.web.throttling).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("voiceagent.campaigns.urls")),
    path("", include("voiceagent.personal_data.urls")),
    path("", include("voiceagent.ingestion.urls")),
    path("", include("analytics.urls")),
    path("", include("exports.urls")),
    path("", include("monitoring.urls")),
    path("", include("notifications.urls")),
    path("", include("reports.urls")),
    path("", include("voiceagent.web.urls")),
    path("", include("analytics.page_urls")),
]

handler404 = "voiceagent.web.errors.page_not_found"
handler500 = "voiceagent.web.errors.server_error"
handler400 = "voiceagent.web.errors.bad_request"
handler403 = "voiceagent.web.errors.permission_denied"

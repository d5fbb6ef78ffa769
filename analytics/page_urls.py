"""Routes of the dashboard pages (the JSON API of analytics lives in analytics.urls)."""

from django.urls import path

from analytics import pages
from voiceagent.web.urltools import slash_optional

urlpatterns = [
    path("", pages.overview, name="home"),
    *slash_optional("campaigns/<int:campaign_id>", pages.campaign_detail, "campaign-detail"),
    *slash_optional("calls/<str:call_sid>", pages.call_detail, "call-detail"),
    *slash_optional("calls", pages.calls_list, "calls-list"),
    *slash_optional("search", pages.transcript_search, "transcript-search"),
    *slash_optional("live", pages.live_calls, "live-calls"),
    *slash_optional("exports", pages.export_jobs, "export-jobs"),
    path("static/dashboard.html", pages.dashboard_html, name="dashboard-html"),
]

"""Routes of reports: the campaign PDF and the report-schedules API (slash optional)."""

from rest_framework.routers import SimpleRouter

from reports import api
from voiceagent.web.urltools import slash_optional

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("api/report-schedules", api.ReportScheduleViewSet, basename="report-schedule")

# <str:>, not <int:>: a malformed id is the view's JSON 404, not Django's HTML one.
urlpatterns = [
    *slash_optional(
        "reports/campaigns/<str:campaign_id>.pdf",
        api.CampaignReportPDFView.as_view(),
        "report-campaign-pdf",
    ),
    *router.urls,
]

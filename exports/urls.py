"""URLs of exports: campaign exports and export jobs, each with and without a trailing slash."""

from exports import api
from voiceagent.web.urltools import slash_optional

app_name = "exports"

urlpatterns = [
    *slash_optional(
        "exports/campaigns/<int:campaign_id>/<str:kind>",
        api.CampaignExportView.as_view(),
        "campaign-export",
    ),
    *slash_optional("exports/jobs", api.ExportJobListView.as_view(), "jobs"),
    *slash_optional("exports/jobs/<int:job_id>", api.ExportJobDetailView.as_view(), "job-detail"),
    *slash_optional(
        "exports/jobs/<int:job_id>/download",
        api.ExportJobDownloadView.as_view(),
        "job-download",
    ),
]

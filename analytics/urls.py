"""URLs of the analytics and dashboard JSON API (each with and without a trailing slash)."""

from analytics import api
from voiceagent.web.urltools import slash_optional

urlpatterns = [
    *slash_optional(
        "analytics/campaigns/<int:campaign_id>/metrics",
        api.CampaignMetricsView.as_view(),
        "analytics-campaign-metrics",
    ),
    *slash_optional(
        "analytics/campaigns/<int:campaign_id>/funnel",
        api.CampaignFunnelView.as_view(),
        "analytics-campaign-funnel",
    ),
    *slash_optional(
        "analytics/campaigns/<int:campaign_id>/best-hours",
        api.CampaignBestHoursView.as_view(),
        "analytics-campaign-best-hours",
    ),
    *slash_optional(
        "analytics/campaigns/<int:campaign_id>/objections",
        api.CampaignObjectionsView.as_view(),
        "analytics-campaign-objections",
    ),
    *slash_optional(
        "analytics/campaigns/<int:campaign_id>/variants",
        api.CampaignVariantsView.as_view(),
        "analytics-campaign-variants",
    ),
    *slash_optional(
        "analytics/campaigns/<int:campaign_id>/score-calibration",
        api.CampaignScoreCalibrationView.as_view(),
        "analytics-campaign-score-calibration",
    ),
    *slash_optional("analytics/daily-stats", api.DailyStatsView.as_view(), "analytics-daily-stats"),
    *slash_optional(
        "analytics/conversations/<str:call_sid>",
        api.ConversationView.as_view(),
        "analytics-conversation",
    ),
    *slash_optional("analytics/system", api.SystemMetricsView.as_view(), "analytics-system"),
    *slash_optional(
        "analytics/leads/activity", api.LeadActivityView.as_view(), "analytics-lead-activity"
    ),
    *slash_optional(
        "analytics/calls/attention",
        api.CallsNeedingAttentionView.as_view(),
        "analytics-calls-attention",
    ),
    *slash_optional(
        "analytics/transcripts/search",
        api.TranscriptSearchView.as_view(),
        "analytics-transcript-search",
    ),
    *slash_optional(
        "dashboard/overview", api.DashboardOverviewView.as_view(), "dashboard-overview"
    ),
    *slash_optional(
        "dashboard/realtime", api.DashboardRealtimeView.as_view(), "dashboard-realtime"
    ),
    *slash_optional(
        "dashboard/campaigns/<int:campaign_id>/summary",
        api.CampaignSummaryView.as_view(),
        "dashboard-campaign-summary",
    ),
]

"""DRF views of /analytics/* and /dashboard/*: validate the query, call a selector, serialize."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import attention, comparison, experiments, search, selectors
from analytics import serializers as s
from analytics.openapi_examples import EXAMPLES
from analytics.periods import describe_period
from voiceagent.access import get_campaign_for_user, visible_campaigns
from voiceagent.db_routers import analytics_reads
from voiceagent.models import AuditAction
from voiceagent.personal_data import audit

ANALYTICS, DASHBOARD = ["analytics"], ["dashboard"]
# Every figure is defined once, for managers and API users alike, in the repository's
# docs/metrics.md; each response with call counts says which days they cover in `period`.
GLOSSARY = (
    " Figures as defined in docs/metrics.md; `period` ({from, to, label}, dates inclusive in "
    "the configured time zone, null: unbounded) says which days the call counts cover."
)
CAMPAIGN_ID = OpenApiParameter(
    "campaign_id", int, OpenApiParameter.PATH, description="A campaign you may see."
)


def errors(*statuses):
    described = {
        400: "A query parameter is invalid: `detail` and `errors` name it.",
        403: "Not logged in: use a session or `Authorization: Token <key>`.",
        404: "No such campaign or call among those you may see.",
    }
    return {
        status: OpenApiResponse(
            s.ApiErrorSerializer,
            description=described[status],
            examples=[EXAMPLES[f"error_{status}"]],
        )
        for status in statuses
    }


def ok(serializer, example):
    return {200: OpenApiResponse(serializer, examples=[EXAMPLES[example]])}


def query_params(request, serializer_class):
    """Validated query parameters; an empty value counts as absent (HTML forms send them)."""
    data = {key: value for key, value in request.query_params.items() if value != ""}
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def campaigns_in_scope(request, campaign_id):
    """One campaign (404 unless visible) or every campaign the user may see."""
    if campaign_id is None:
        return visible_campaigns(request.user)
    return get_campaign_for_user(request.user, campaign_id)


class AnalyticsReadView(APIView):
    """An analytics endpoint: its reads go to the replica when there is one (db_routers)."""

    def dispatch(self, request, *args, **kwargs):
        with analytics_reads():
            return super().dispatch(request, *args, **kwargs)


class CampaignMetricsView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="A campaign's metrics (glossary: docs/metrics.md)",
        description="Call counts and rates over all time (the default), the last `days`, or "
        "`from`–`to`; lead counts and live counts (in progress, queued: running campaigns "
        "only) are as of now." + GLOSSARY,
        parameters=[CAMPAIGN_ID, s.ComparablePeriodQuerySerializer],
        responses={**ok(s.CampaignMetricsSerializer, "campaign_metrics"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.ComparablePeriodQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        read = comparison.campaign_metrics if query.get("compare") else selectors.campaign_metrics
        metrics = read(campaign=campaign, period=query["period"])
        return Response(s.CampaignMetricsSerializer(metrics).data)


class DailyStatsView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Calls per calendar day",
        description="A continuous series (days without calls are zeros), oldest first, today "
        "included, days in the configured time zone; a call counts on its initiated_at's day."
        + GLOSSARY,
        parameters=[s.DailyStatsQuerySerializer],
        responses={**ok(s.DailyStatsSerializer, "daily_stats"), **errors(400, 403, 404)},
    )
    def get(self, request):
        query = query_params(request, s.DailyStatsQuerySerializer)
        campaign_id = query.get("campaign_id")
        read = comparison.daily_report if query.get("compare") else selectors.daily_report
        # One statement reads the series and checks the campaign is visible (404 unless).
        report = read(
            campaigns=visible_campaigns(request.user),
            period=query["period"],
            campaign_id=campaign_id,
        )
        return Response(s.DailyStatsSerializer(report).data)


class ConversationView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="One conversation: stages, objections, qualification, latency, transcript",
        parameters=[OpenApiParameter("call_sid", str, OpenApiParameter.PATH)],
        responses={**ok(s.ConversationSerializer, "conversation"), **errors(403, 404)},
    )
    def get(self, request, call_sid):
        conversation = selectors.conversation(
            campaigns=visible_campaigns(request.user), call_sid=call_sid
        )
        audit.record_call_view(action=AuditAction.TRANSCRIPT_VIEWED, conversation=conversation)
        return Response(s.ConversationSerializer(conversation, context={"request": request}).data)


class SystemMetricsView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Totals over your campaigns and component statuses",
        description="Rates over the last 30 days (`period`); components come from the cached "
        "health checks, never from a request to the service." + GLOSSARY,
        parameters=[s.SystemQuerySerializer],
        responses={**ok(s.SystemMetricsSerializer, "system"), **errors(400, 403)},
    )
    def get(self, request):
        query = query_params(request, s.SystemQuerySerializer)
        read = comparison.system_metrics if query.get("compare") else selectors.system_metrics
        metrics = read(campaigns=visible_campaigns(request.user))
        return Response(s.SystemMetricsSerializer(metrics).data)


class LeadActivityView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Leads most recently called, with their next action",
        parameters=[s.LeadActivityQuerySerializer],
        responses={
            200: OpenApiResponse(
                s.LeadActivitySerializer(many=True), examples=[EXAMPLES["lead_activity"]]
            ),
            **errors(400, 403, 404),
        },
    )
    def get(self, request):
        query = query_params(request, s.LeadActivityQuerySerializer)
        campaign_id = query.get("campaign_id")
        # One statement reads the leads and checks the campaign is visible (404 unless).
        activity = selectors.lead_activity(
            campaigns=visible_campaigns(request.user),
            campaign_id=campaign_id,
            status=query.get("status"),
            limit=query["limit"],
        )
        audit.record(
            action=AuditAction.LEADS_LISTED,
            object_type="campaign" if campaign_id else "",
            object_id=campaign_id or "",
            campaign_id=campaign_id,
            detail={"count": len(activity)},
        )
        return Response(
            s.LeadActivitySerializer(activity, many=True, context={"request": request}).data
        )


class CampaignFunnelView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Funnel: leads → dialed → answered → each stage → qualified",
        description="Counts of distinct leads; a stage counts leads whose answered call reached "
        "it or a later stage. step_rate is the share of the previous step." + GLOSSARY,
        parameters=[CAMPAIGN_ID, s.PeriodQuerySerializer],
        responses={**ok(s.FunnelSerializer, "funnel"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.PeriodQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        funnel = selectors.campaign_funnel(campaign=campaign, period=query["period"])
        return Response(s.FunnelSerializer(funnel).data)


class CampaignBestHoursView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Answer and qualification rate by weekday × hour (configured time zone)",
        description="Over all time (the default), the last `days`, or `from`–`to`." + GLOSSARY,
        parameters=[CAMPAIGN_ID, s.BestHoursQuerySerializer],
        responses={**ok(s.BestHoursSerializer, "best_hours"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.BestHoursQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        hours = selectors.best_hours(
            campaign=campaign, period=query["period"], min_calls=query["min_calls"]
        )
        return Response(s.BestHoursSerializer(hours).data)


class CampaignObjectionsView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Objections by category and the share of those calls that still qualified",
        description="Over all time (the default), the last `days`, or `from`–`to`." + GLOSSARY,
        parameters=[CAMPAIGN_ID, s.PeriodQuerySerializer],
        responses={**ok(s.ObjectionBreakdownSerializer, "objections"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.PeriodQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        breakdown = selectors.objection_breakdown(campaign=campaign, period=query["period"])
        return Response(s.ObjectionBreakdownSerializer(breakdown).data)


class CampaignVariantsView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Script A/B test: qualification rate per script variant, with significance",
        description="Per variant (call.initiated's script_variant) of the campaign's finished "
        "calls: counts, qualification rate per answered call with its 95% Wilson interval, and "
        "the two-sided pooled two-proportion z-test against the baseline (the variant with the "
        "most answered calls). Read docs/metrics.md on peeking and many variants." + GLOSSARY,
        parameters=[CAMPAIGN_ID, s.VariantsQuerySerializer],
        responses={**ok(s.VariantsSerializer, "variants"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.VariantsQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        rows = selectors.variant_totals(campaign=campaign, period=query["period"])
        report = experiments.variant_report(rows, min_answered=query["min_answered"])
        document = {
            "campaign_id": campaign.pk,
            "period": describe_period(query["period"]),
            **report,
        }
        return Response(s.VariantsSerializer(document).data)


class CampaignScoreCalibrationView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Does the lead score predict? Leads and qualified leads per score decile",
        description="The campaign's leads by their current score (docs/metrics.md, Lead "
        "score): per decile, leads, leads with a qualified call, site visits booked when calls "
        "report them, and the qualified share.",
        parameters=[CAMPAIGN_ID],
        responses={**ok(s.ScoreCalibrationSerializer, "score_calibration"), **errors(403, 404)},
    )
    def get(self, request, campaign_id):
        campaign = get_campaign_for_user(request.user, campaign_id)
        calibration = selectors.score_calibration(campaign=campaign)
        return Response(s.ScoreCalibrationSerializer(calibration).data)


class DashboardOverviewView(AnalyticsReadView):
    @extend_schema(
        tags=DASHBOARD,
        summary="Dashboard: system totals, recent campaigns and the daily series",
        description="recent_campaigns and daily_stats cover the last `days` (default 30, the "
        "period of the overview page, the campaign page and the admin campaign list)." + GLOSSARY,
        parameters=[s.DashboardOverviewQuerySerializer],
        responses={**ok(s.DashboardOverviewSerializer, "overview"), **errors(400, 403)},
    )
    def get(self, request):
        query = query_params(request, s.DashboardOverviewQuerySerializer)
        read = (
            comparison.dashboard_overview if query.get("compare") else selectors.dashboard_overview
        )
        overview = read(campaigns=visible_campaigns(request.user), period=query["period"])
        return Response(s.DashboardOverviewSerializer(overview).data)


# On the primary: its timestamp is compared with the live pushes' `as_of` (db_routers).
class DashboardRealtimeView(APIView):
    @extend_schema(
        tags=DASHBOARD,
        summary="Calls in progress now (poll every 3–5 s, or use the live socket)",
        description="calls_queued: queued calls plus pending scheduled calls due now, of "
        "running campaigns only (docs/metrics.md).",
        parameters=[s.RealtimeQuerySerializer],
        responses={**ok(s.RealtimeSerializer, "realtime"), **errors(400, 403)},
    )
    def get(self, request):
        query = query_params(request, s.RealtimeQuerySerializer)
        live = selectors.realtime(campaigns=visible_campaigns(request.user), limit=query["limit"])
        return Response(s.RealtimeSerializer(live).data)


class CampaignSummaryView(AnalyticsReadView):
    @extend_schema(
        tags=DASHBOARD,
        summary="Dashboard: a campaign's metrics, daily series and recent lead activity",
        description="metrics' call counts and daily_stats cover the last `days` (default 30, "
        "as on the campaign page)." + GLOSSARY,
        parameters=[CAMPAIGN_ID, s.CampaignSummaryQuerySerializer],
        responses={**ok(s.CampaignSummarySerializer, "campaign_summary"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.CampaignSummaryQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        summary = selectors.campaign_summary(
            campaign=campaign, period=query["period"], limit=query["limit"]
        )
        audit.record(
            action=AuditAction.LEADS_LISTED,
            object_type="campaign",
            object_id=campaign.pk,
            campaign_id=campaign.pk,
            detail={"count": len(summary["recent_activity"])},
        )
        return Response(s.CampaignSummarySerializer(summary, context={"request": request}).data)


class CallsNeedingAttentionView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Finished calls needing attention: slow turns, AI errors, failures, hang-ups, "
        "silences",
        description="Newest first, paginated; reasons are defined in docs/metrics.md "
        "(slow_turn uses SLOW_TURN_MS). Without from/to/days: all time.",
        parameters=[s.AttentionQuerySerializer],
        responses={**ok(s.AttentionSerializer, "calls_attention"), **errors(400, 403, 404)},
    )
    def get(self, request):
        query = query_params(request, s.AttentionQuerySerializer)
        page = attention.attention_page(
            campaigns=campaigns_in_scope(request, query.get("campaign_id")),
            period=query["period"],
            reason=query.get("reason"),
            page=query["page"],
            page_size=query["page_size"],
        )
        page["period"] = attention.period_document(query["period"])
        return Response(s.AttentionSerializer(page).data)


class TranscriptSearchView(AnalyticsReadView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Search what was said in your calls' transcripts",
        description="Turns holding every word of `q` (whole words, English, Hinglish or "
        "Devanagari), best match first; `snippet` is HTML with the matches in <mark> and "
        "everything else escaped.",
        parameters=[s.TranscriptSearchQuerySerializer],
        responses={
            **ok(s.TranscriptSearchSerializer, "transcript_search"),
            **errors(400, 403, 404),
        },
    )
    def get(self, request):
        query = query_params(request, s.TranscriptSearchQuerySerializer)
        found = search.search_transcripts(
            campaigns=campaigns_in_scope(request, query.get("campaign_id")),
            text=query["q"],
            period=query["period"],
            page=query["page"],
            page_size=query["page_size"],
        )
        found["period"] = attention.period_document(query["period"])
        return Response(s.TranscriptSearchSerializer(found).data)

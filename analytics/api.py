"""DRF views of /analytics/* and /dashboard/*: validate the query, call a selector, serialize."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import attention, search, selectors
from analytics import serializers as s
from analytics.openapi_examples import EXAMPLES
from voiceagent.access import get_call_for_user, get_campaign_for_user, visible_campaigns

ANALYTICS, DASHBOARD = ["analytics"], ["dashboard"]
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
    if not serializer.is_valid():
        detail = " ".join(
            f"Invalid query parameter {name}: {message}"
            for name, messages in serializer.errors.items()
            for message in messages
        )
        raise ValidationError({"detail": detail, "errors": serializer.errors})
    return serializer.validated_data


def campaigns_in_scope(request, campaign_id):
    """One campaign (404 unless visible) or every campaign the user may see."""
    if campaign_id is None:
        return visible_campaigns(request.user)
    return get_campaign_for_user(request.user, campaign_id)


class CampaignMetricsView(APIView):
    @extend_schema(
        tags=ANALYTICS,
        summary="A campaign's metrics (glossary of DESIGN.md)",
        description="Call counts and rates over all time, the last `days`, or `from`–`to`; "
        "lead counts and live counts (in progress, queued) are as of now.",
        parameters=[CAMPAIGN_ID, s.PeriodQuerySerializer],
        responses={**ok(s.CampaignMetricsSerializer, "campaign_metrics"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.PeriodQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        metrics = selectors.campaign_metrics(campaign=campaign, period=query["period"])
        return Response(s.CampaignMetricsSerializer(metrics).data)


class DailyStatsView(APIView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Calls per calendar day",
        description="A continuous series (days without calls are zeros), oldest first, today "
        "included, days in the configured time zone; a call counts on its initiated_at's day.",
        parameters=[s.DailyStatsQuerySerializer],
        responses={**ok(s.DailyStatsSerializer, "daily_stats"), **errors(400, 403, 404)},
    )
    def get(self, request):
        query = query_params(request, s.DailyStatsQuerySerializer)
        campaign_id = query.get("campaign_id")
        report = selectors.daily_report(
            campaigns=campaigns_in_scope(request, campaign_id),
            period=query["period"],
            campaign_id=campaign_id,
        )
        return Response(s.DailyStatsSerializer(report).data)


class ConversationView(APIView):
    @extend_schema(
        tags=ANALYTICS,
        summary="One conversation: stages, objections, qualification, latency, transcript",
        parameters=[OpenApiParameter("call_sid", str, OpenApiParameter.PATH)],
        responses={**ok(s.ConversationSerializer, "conversation"), **errors(403, 404)},
    )
    def get(self, request, call_sid):
        call = get_call_for_user(request.user, call_sid)
        return Response(s.ConversationSerializer(selectors.conversation(call=call)).data)


class SystemMetricsView(APIView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Totals over your campaigns and component statuses",
        description="Rates over the last 30 days; components come from the cached health "
        "checks, never from a request to the service.",
        responses={**ok(s.SystemMetricsSerializer, "system"), **errors(403)},
    )
    def get(self, request):
        metrics = selectors.system_metrics(campaigns=visible_campaigns(request.user))
        return Response(s.SystemMetricsSerializer(metrics).data)


class LeadActivityView(APIView):
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
        activity = selectors.lead_activity(
            campaigns=campaigns_in_scope(request, query.get("campaign_id")),
            status=query.get("status"),
            limit=query["limit"],
        )
        return Response(s.LeadActivitySerializer(activity, many=True).data)


class CampaignFunnelView(APIView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Funnel: leads → dialed → answered → each stage → qualified",
        description="Counts of distinct leads; a stage counts leads whose answered call reached "
        "it or a later stage. step_rate is the share of the previous step.",
        parameters=[CAMPAIGN_ID, s.PeriodQuerySerializer],
        responses={**ok(s.FunnelSerializer, "funnel"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.PeriodQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        funnel = selectors.campaign_funnel(campaign=campaign, period=query["period"])
        return Response(s.FunnelSerializer(funnel).data)


class CampaignBestHoursView(APIView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Answer and qualification rate by weekday × hour (configured time zone)",
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


class CampaignObjectionsView(APIView):
    @extend_schema(
        tags=ANALYTICS,
        summary="Objections by category and the share of those calls that still qualified",
        parameters=[CAMPAIGN_ID, s.PeriodQuerySerializer],
        responses={**ok(s.ObjectionBreakdownSerializer, "objections"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.PeriodQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        breakdown = selectors.objection_breakdown(campaign=campaign, period=query["period"])
        return Response(s.ObjectionBreakdownSerializer(breakdown).data)


class DashboardOverviewView(APIView):
    @extend_schema(
        tags=DASHBOARD,
        summary="Dashboard: system totals, recent campaigns and the daily series",
        parameters=[s.DashboardQuerySerializer],
        responses={**ok(s.DashboardOverviewSerializer, "overview"), **errors(400, 403)},
    )
    def get(self, request):
        query = query_params(request, s.DashboardQuerySerializer)
        overview = selectors.dashboard_overview(
            campaigns=visible_campaigns(request.user), period=query["period"]
        )
        return Response(s.DashboardOverviewSerializer(overview).data)


class DashboardRealtimeView(APIView):
    @extend_schema(
        tags=DASHBOARD,
        summary="Calls in progress now (poll every 3–5 s, or use the live socket)",
        parameters=[s.RealtimeQuerySerializer],
        responses={**ok(s.RealtimeSerializer, "realtime"), **errors(400, 403)},
    )
    def get(self, request):
        query = query_params(request, s.RealtimeQuerySerializer)
        live = selectors.realtime(campaigns=visible_campaigns(request.user), limit=query["limit"])
        return Response(s.RealtimeSerializer(live).data)


class CampaignSummaryView(APIView):
    @extend_schema(
        tags=DASHBOARD,
        summary="Dashboard: a campaign's metrics, daily series and recent lead activity",
        parameters=[CAMPAIGN_ID, s.CampaignSummaryQuerySerializer],
        responses={**ok(s.CampaignSummarySerializer, "campaign_summary"), **errors(400, 403, 404)},
    )
    def get(self, request, campaign_id):
        query = query_params(request, s.CampaignSummaryQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        summary = selectors.campaign_summary(
            campaign=campaign, period=query["period"], limit=query["limit"]
        )
        return Response(s.CampaignSummarySerializer(summary).data)


class CallsNeedingAttentionView(APIView):
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


class TranscriptSearchView(APIView):
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

"""HTTP of reports: the campaign PDF and the /api/report-schedules/ CRUD (thin; visibility
through voiceagent.access)."""

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.renderers import BaseRenderer, JSONRenderer

from analytics import serializers as analytics_serializers
from analytics.api import AnalyticsReadView, errors, query_params
from analytics.periods import default_period
from reports import pdf, selectors
from reports.models import ReportSchedule
from reports.serializers import ReportScheduleSerializer
from voiceagent.access import get_campaign_for_user


class PDFRenderer(BaseRenderer):
    """Lets `Accept: application/pdf` through; errors still go out as JSON bytes."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class CampaignReportPDFView(AnalyticsReadView):
    renderer_classes = [JSONRenderer, PDFRenderer]

    @extend_schema(
        tags=["reports"],
        summary="A campaign's report as PDF",
        description="Headline figures (as /analytics/campaigns/{id}/metrics for the same range), "
        "calls per day, funnel, outcomes, objections, best hours and AI latency of `from`–`to` "
        "(or the last `days`); without them, the campaign page's default period.",
        parameters=[
            OpenApiParameter("campaign_id", int, OpenApiParameter.PATH),
            analytics_serializers.PeriodQuerySerializer,
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="The PDF (attachment)."),
            **errors(400, 403, 404),
        },
    )
    def get(self, request, campaign_id):
        query = query_params(request, analytics_serializers.PeriodQuerySerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        # Without from/to the PDF covers what the campaign page shows without them.
        period = query["period"] or default_period()
        report = selectors.campaign_report(campaign=campaign, period=period)
        response = HttpResponse(pdf.render_campaign_pdf(report), content_type="application/pdf")
        filename = pdf.pdf_filename(campaign, period)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@extend_schema_view(
    list=extend_schema(summary="Report schedules of the campaigns you may see"),
    retrieve=extend_schema(summary="One report schedule"),
    create=extend_schema(summary="Email a campaign's report daily or weekly"),
    update=extend_schema(summary="Replace a report schedule"),
    partial_update=extend_schema(summary="Change a report schedule"),
    destroy=extend_schema(summary="Stop and delete a report schedule"),
)
class ReportScheduleViewSet(viewsets.ModelViewSet):
    """Managers manage the schedules of their campaigns, staff all (campaign visibility); a 400
    names each invalid field (the one error path, voiceagent/web/errors.py)."""

    serializer_class = ReportScheduleSerializer
    filterset_fields = ["campaign", "frequency", "active"]
    ordering_fields = ["id", "hour"]
    search_fields = []

    def get_queryset(self):
        return ReportSchedule.objects.visible_to(self.request.user).order_by("pk")

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)

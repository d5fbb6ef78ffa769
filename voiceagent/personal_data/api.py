"""The audit log API (staff only, read only): GET /api/audit-events and its CSV export."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAdminUser
from rest_framework.views import APIView

from analytics.api import query_params
from exports.writers import CONTENT_TYPES, Column, iter_csv
from voiceagent.models import AuditAction
from voiceagent.personal_data import audit, selectors
from voiceagent.personal_data.serializers import AuditEventQuerySerializer, AuditEventSerializer


def _filtered(request):
    query = query_params(request, AuditEventQuerySerializer)
    return query, selectors.audit_events(
        actor=query.get("actor", ""),
        action=query.get("action", ""),
        campaign_id=query.get("campaign_id"),
        first=query.get("from"),
        last=query.get("to"),
    )


class AuditEventListView(GenericAPIView):
    permission_classes = [IsAdminUser]
    serializer_class = AuditEventSerializer
    filter_backends = []

    @extend_schema(
        operation_id="audit_events_list",
        summary="The audit log, newest first (staff only)",
        description="Who processed which personal data: logins, exports, views of leads, calls "
        "and transcripts, imports, erasures, admin changes. Append-only: there is no way to "
        "change or delete an event (they are pruned after AUDIT_RETENTION_DAYS).",
        parameters=[AuditEventQuerySerializer],
        responses={200: AuditEventSerializer(many=True)},
    )
    def get(self, request):
        _, events = _filtered(request)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AuditEventExportView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="audit_events_export",
        summary="The audit log as CSV, with the list's filters (staff only)",
        parameters=[AuditEventQuerySerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, "The CSV file")},
    )
    def get(self, request):
        query, events = _filtered(request)
        audit.record(
            action=AuditAction.AUDIT_EXPORTED,
            detail={key: str(value) for key, value in query.items()},
        )
        columns = [Column(header) for header in selectors.CSV_HEADER]
        response = StreamingHttpResponse(
            iter_csv(columns, selectors.audit_csv_rows(events)), content_type=CONTENT_TYPES["csv"]
        )
        filename = f"audit-events-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["Cache-Control"] = "private, no-store"
        return response

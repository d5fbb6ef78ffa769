"""The /exports/* API: campaign exports (the file, or a job when large) and export jobs."""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api import query_params
from exports import services
from exports.models import ExportFormat, ExportJob, ExportKind, ExportStatus
from exports.queries import get_job_for_user, visible_jobs
from exports.serializers import (
    ExportErrorSerializer,
    ExportJobCreateSerializer,
    ExportJobSerializer,
    ExportPeriodSerializer,
    leads_period_error,
)
from voiceagent.access import get_campaign_for_user

FILE_MEDIA_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class FileFormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the export's file format here, not a DRF renderer: errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


async def _async_chunks(chunks):
    # Under ASGI a sync iterator would be read whole into memory before the first byte is sent;
    # reading it chunk by chunk on the request's thread keeps it streamed (and its connection).
    read = sync_to_async(next, thread_sensitive=True)
    try:
        while (chunk := await read(chunks, None)) is not None:
            yield chunk
    finally:
        await sync_to_async(chunks.close, thread_sensitive=True)()


def prefers_async(request):
    """Whether the client asked `Prefer: respond-async` (RFC 7240: preference names are
    case-insensitive, may carry a value or parameters, and may share the header with others)."""
    preferences = request.headers.get("Prefer", "")
    names = {item.split(";")[0].split("=")[0].strip().lower() for item in preferences.split(",")}
    return "respond-async" in names


def file_response(request, export):
    """The streamed answer of a FileExport, to a DRF or a plain Django request."""
    chunks = export.chunks
    if isinstance(getattr(request, "_request", request), ASGIRequest):
        chunks = _async_chunks(chunks)
    response = StreamingHttpResponse(chunks, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    response["Cache-Control"] = "private, no-store"
    if export.size is not None:
        response["Content-Length"] = str(export.size)
    return response


def job_response(request, job, *, created=False):
    data = ExportJobSerializer(job, context={"request": request}).data
    if not created:
        return Response(data)
    location = request.build_absolute_uri(reverse("exports:job-detail", args=[job.pk]))
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


def _choice(value, choices, what):
    """`value` if it is one of `choices`, else the field error every endpoint gives."""
    if value not in choices.values:
        raise ValidationError({what: [f'"{value}" is not a valid choice.']})
    return value


ERRORS = {
    400: ExportErrorSerializer,
    401: ExportErrorSerializer,
    403: ExportErrorSerializer,
    404: ExportErrorSerializer,
}


class CampaignExportView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        operation_id="exports_campaign_export",
        summary="Export a campaign's results, transcripts or leads as CSV or XLSX",
        description="At most EXPORT_SYNC_MAX_ROWS rows (XLSX: EXPORT_SYNC_MAX_XLSX_ROWS): the "
        "file itself. Above, or with the header `Prefer: respond-async` (RFC 7240, answered "
        "with `Preference-Applied: respond-async`): 202 with the export job, its URL in the "
        "Location header; the user's pending or running job of the same export when there is "
        "one, never a second. Results and transcripts hold the finished "
        "calls (those counted in calls_made) of `days` or `from`/`to` (read as the analytics "
        "endpoints read them; default all time), every call with `include=all`.",
        parameters=[
            OpenApiParameter(
                "kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ExportKind.values
            ),
            OpenApiParameter("format", OpenApiTypes.STR, enum=ExportFormat.values, default="csv"),
            OpenApiParameter(
                "Prefer",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="`respond-async`: always answer 202 with a job, whatever the size.",
            ),
            ExportPeriodSerializer,
        ],
        responses={
            (200, FILE_MEDIA_TYPES[0]): OpenApiResponse(OpenApiTypes.BINARY, "The CSV file"),
            (200, FILE_MEDIA_TYPES[1]): OpenApiResponse(OpenApiTypes.BINARY, "The XLSX file"),
            202: ExportJobSerializer,
            **ERRORS,
        },
    )
    def get(self, request, campaign_id, kind):
        kind = _choice(kind, ExportKind, "kind")
        fmt = _choice(request.query_params.get("format", ExportFormat.CSV), ExportFormat, "format")
        refused = leads_period_error(kind, request.query_params)
        if refused is not None:
            raise ValidationError({refused[0]: [refused[1]]})
        calls = query_params(request, ExportPeriodSerializer)
        campaign = get_campaign_for_user(request.user, campaign_id)
        respond_async = prefers_async(request)
        result = services.start_export(
            user=request.user,
            campaign=campaign,
            kind=kind,
            fmt=fmt,
            period=calls["period"],
            include=calls["include"],
            respond_async=respond_async,
        )
        if isinstance(result, ExportJob):
            response = job_response(request, result, created=True)
            if respond_async:
                response["Preference-Applied"] = "respond-async"
        else:
            response = file_response(request, result)
        patch_vary_headers(response, ["Prefer"])
        return response


class ExportJobListView(GenericAPIView):
    serializer_class = ExportJobSerializer
    filter_backends = []

    def get_queryset(self):
        return visible_jobs(self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        operation_id="exports_jobs_list",
        summary="Export jobs of the user (staff: everyone's), newest first",
        responses={200: ExportJobSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        operation_id="exports_jobs_create",
        summary="Queue an export job",
        request=ExportJobCreateSerializer,
        responses={202: ExportJobSerializer, **ERRORS},
    )
    def post(self, request):
        payload = ExportJobCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        campaign = get_campaign_for_user(request.user, payload.validated_data["campaign_id"])
        job = services.create_export_job(
            user=request.user,
            campaign=campaign,
            kind=payload.validated_data["kind"],
            fmt=payload.validated_data["format"],
            period=payload.validated_data["period"],
            include=payload.validated_data["include"],
        )
        return job_response(request, job, created=True)


class ExportJobDetailView(APIView):
    @extend_schema(
        operation_id="exports_jobs_detail",
        summary="One export job with its progress",
        responses={200: ExportJobSerializer, **ERRORS},
    )
    def get(self, request, job_id):
        return job_response(request, get_job_for_user(request.user, job_id))


class ExportJobDownloadView(APIView):
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="exports_jobs_download",
        summary="The file of a succeeded export job (own jobs; staff all)",
        responses={
            (200, FILE_MEDIA_TYPES[0]): OpenApiResponse(OpenApiTypes.BINARY, "The CSV file"),
            (200, FILE_MEDIA_TYPES[1]): OpenApiResponse(OpenApiTypes.BINARY, "The XLSX file"),
            409: ExportErrorSerializer,
            410: ExportErrorSerializer,
            **ERRORS,
        },
    )
    def get(self, request, job_id):
        job = get_job_for_user(request.user, job_id)
        expired = job.status == ExportStatus.EXPIRED or (
            job.status == ExportStatus.SUCCEEDED and job.expires_at <= timezone.now()
        )
        if expired:
            return Response(
                {"detail": "This export has expired and its file was deleted; export again."},
                status=status.HTTP_410_GONE,
            )
        if job.status != ExportStatus.SUCCEEDED:
            return Response(
                {"detail": f"This export is {job.status}; its file is not available."},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            return file_response(request, services.open_job_file(job=job))
        except FileNotFoundError:
            return Response(
                {"detail": "The file of this export is no longer stored; export again."},
                status=status.HTTP_410_GONE,
            )

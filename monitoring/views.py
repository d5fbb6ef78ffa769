"""/health/* probes and the Prometheus exposition; open to all (no login), never cached.

live touches nothing; ready checks what serving needs (database, cache, broker); detailed checks
everything, the external APIs through their background results. Each answers within
HEALTH_CHECK_DEADLINE_SECONDS whatever a dependency does.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring import checks, metrics, serializers


class ProbeView(APIView):
    """No authentication, JSON only, never cached by a proxy."""

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


def _checks_payload(outcomes):
    return {
        outcome.name: {
            "status": outcome.status,
            "response_time_ms": outcome.response_time_ms,
            "message": outcome.message,
        }
        for outcome in outcomes
    }


class HealthIndexView(ProbeView):
    @extend_schema(
        tags=["health"],
        summary="The app serves (no dependency is touched)",
        responses=serializers.HealthIndexSerializer,
    )
    def get(self, request):
        payload = {"status": "ok", "version": settings.VERSION, "timestamp": timezone.now()}
        return Response(serializers.HealthIndexSerializer(payload).data)


class LivenessView(ProbeView):
    @extend_schema(
        tags=["health"],
        summary="Liveness for orchestrators: never touches a dependency",
        responses=serializers.LivenessSerializer,
    )
    def get(self, request):
        # A failing liveness restarts the process: a database outage must not do that.
        payload = {"status": "alive", "timestamp": timezone.now()}
        return Response(serializers.LivenessSerializer(payload).data)


class ReadinessView(ProbeView):
    @extend_schema(
        tags=["health"],
        summary="Readiness: 503 when the database, cache or broker is unreachable",
        responses={200: serializers.ReadinessSerializer, 503: serializers.ReadinessSerializer},
    )
    def get(self, request):
        outcomes = checks.run_checks(checks.readiness_checks())
        ready = all(outcome.status != checks.UNHEALTHY for outcome in outcomes)
        payload = {
            "status": "ready" if ready else "not_ready",
            "checks": _checks_payload(outcomes),
            "timestamp": timezone.now(),
        }
        return Response(serializers.ReadinessSerializer(payload).data, status=200 if ready else 503)


class DetailedHealthView(ProbeView):
    @extend_schema(
        tags=["health"],
        summary="Every component's status, response time and message (503 when unhealthy)",
        responses={
            200: serializers.DetailedHealthSerializer,
            503: serializers.DetailedHealthSerializer,
        },
    )
    def get(self, request):
        outcomes = checks.run_checks(checks.detailed_checks())
        checks.store_outcomes(outcomes)
        status = checks.overall_status(outcomes)
        payload = {
            "status": status,
            "checks": _checks_payload(outcomes),
            "version": settings.VERSION,
            "timestamp": timezone.now(),
        }
        return Response(
            serializers.DetailedHealthSerializer(payload).data,
            status=503 if status == "unhealthy" else 200,
        )


class PrometheusTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "prometheus"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class MetricsView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [PrometheusTextRenderer, JSONRenderer]

    @extend_schema(
        tags=["health"],
        summary="Prometheus metrics (text format); bearer token when METRICS_TOKEN is set",
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR),
            401: serializers.DetailSerializer,
        },
    )
    def get(self, request):
        if not metrics.scrape_authorized(request.headers.get("Authorization")):
            response = JsonResponse(
                {"detail": "A valid 'Authorization: Bearer <METRICS_TOKEN>' header is required."},
                status=401,
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        response = HttpResponse(
            generate_latest(metrics.scrape_registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4
        )
        add_never_cache_headers(response)
        return response

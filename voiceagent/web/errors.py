"""Project error pages: API paths answer JSON `{"detail": ...}`, pages keep Django's HTML.

A path under the API that matches no route (`/analytics/campaigns/abc/metrics`, an id that is
not a number) is resolved by no DRF view, so without this it would get Django's HTML 404: the
contract says every API error is JSON.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/analytics/", "/dashboard/", "/exports/jobs", "/exports/campaigns/")
API_PREFIXES += ("/health", "/metrics", "/webhooks/")


def is_api_path(path):
    return path.startswith(API_PREFIXES)


def exception_handler(exc, context):
    """DRF's handler, with field errors wrapped so that every 4xx body has a `detail`."""
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(response.data, (dict, list))
        and not (isinstance(response.data, dict) and "detail" in response.data)
    ):
        response.data = {"detail": "Invalid input.", "errors": response.data}
    return response


def page_not_found(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def bad_request(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_path(request.path):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


class DatabaseUnavailableMiddleware:
    """A request that finds the database away (restarting, failing over, refusing connections)
    answers 503 with `Retry-After` instead of a 500: the client is told to come back, the
    error is not ours. Ingestion batches are one transaction each, so nothing was half stored
    and the agent resends the same batch."""

    RETRY_AFTER_SECONDS = "5"
    MESSAGE = "The database is unavailable for a moment; retry shortly."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
        if is_api_path(request.path):
            response = JsonResponse({"detail": self.MESSAGE}, status=503)
        else:
            response = HttpResponse(
                f"<!doctype html><title>Unavailable</title><h1>Back in a moment</h1><p>{self.MESSAGE}</p>",
                status=503,
            )
        response["Retry-After"] = self.RETRY_AFTER_SECONDS
        return response

"""Project error pages: API paths answer JSON `{"detail": ...}`, pages keep Django's HTML.

A path under the API that matches no route (`/analytics/campaigns/abc/metrics`, an id that is
not a number) is resolved by no DRF view, so without this it would get Django's HTML 404: the
contract says every API error is JSON.
"""

from django.http import JsonResponse
from django.views import defaults

API_PREFIXES = ("/api/", "/analytics/", "/dashboard/", "/exports/jobs", "/exports/campaigns/")
API_PREFIXES += ("/health", "/metrics", "/webhooks/")


def is_api_path(path):
    return path.startswith(API_PREFIXES)


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

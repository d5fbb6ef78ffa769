"""Shared DRF pieces: pagination and the exception handler that keeps every error `{"detail": ...}`."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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

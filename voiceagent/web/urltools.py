"""Routes that answer with and without a trailing slash, never redirecting (httpx clients)."""

from django.urls import path


def slash_optional(route, view, name=None):
    """Two routes for one view: `route` and `route/`; only the first carries the name."""
    route = route.rstrip("/")
    return [path(route, view, name=name), path(f"{route}/", view)]

"""OpenAPI document and its readers: /api/schema, Swagger UI at /docs, ReDoc at /redoc.

All three need a login like the rest of the API. The pages load Swagger UI and ReDoc from our
own static files (drf-spectacular-sidecar), never from a CDN, and link back to the app and to
the schema (`/api/schema?format=json` shows the JSON in a browser; plain `/api/schema` is YAML).
"""

from functools import cache
from pathlib import Path

import drf_spectacular_sidecar
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.templatetags.static import static
from django.urls import path
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import IsAuthenticated

from voiceagent.web.urltools import slash_optional

REDOC_BUNDLE = (
    Path(drf_spectacular_sidecar.__file__).parent
    / "static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
)
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _redoc_bundle_text():
    # ReDoc's "API docs by Redocly" footer loads its logo from Redocly's CDN, which the pages'
    # CSP refuses (a console error) and which would be a request to another host: our favicon.
    return REDOC_BUNDLE.read_text(encoding="utf-8").replace(
        REDOCLY_LOGO, static("voiceagent/favicon.svg")
    )


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on pages that name no icon (JSON, files): ours, not a 404."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("voiceagent/favicon.svg")


@require_GET
def redoc_bundle(request):
    """ReDoc's standalone script, with its one outside address pointed at our static files."""
    response = HttpResponse(_redoc_bundle_text(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("favicon.ico", FaviconView.as_view()),
    *slash_optional("redoc/redoc.standalone.js", redoc_bundle, "redoc-bundle"),
    *slash_optional(
        "api/schema", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), "schema"
    ),
    # Pages for people: a browser without a session goes to the login form and comes back.
    *slash_optional(
        "docs",
        login_required(
            # The split view serves its start-up script as a file: no inline script (CSP).
            SpectacularSwaggerSplitView.as_view(
                url_name="schema",
                permission_classes=[IsAuthenticated],
                template_name="api_docs/swagger_ui.html",
            )
        ),
        "swagger-ui",
    ),
    *slash_optional(
        "redoc",
        login_required(
            SpectacularRedocView.as_view(
                url_name="schema",
                permission_classes=[IsAuthenticated],
                # Stock template minus its Google Fonts links: nothing is loaded from a CDN.
                template_name="api_docs/redoc.html",
            )
        ),
        "redoc",
    ),
]

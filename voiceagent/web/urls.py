"""OpenAPI document and its readers: /api/schema, Swagger UI at /docs, ReDoc at /redoc.

All three need a login like the rest of the API. The pages load Swagger UI and ReDoc from our
own static files (drf-spectacular-sidecar), never from a CDN.
"""

from django.contrib.auth.decorators import login_required
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import IsAuthenticated

from voiceagent.web.urltools import slash_optional

urlpatterns = [
    *slash_optional(
        "api/schema", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), "schema"
    ),
    # Pages for people: a browser without a session goes to the login form and comes back.
    *slash_optional(
        "docs",
        login_required(
            # The split view serves its start-up script as a file: no inline script (CSP).
            SpectacularSwaggerSplitView.as_view(
                url_name="schema", permission_classes=[IsAuthenticated]
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

"""Request and response hardening: Content-Security-Policy, and refusal of control characters.

Content-Security-Policy on every answer: our pages load only our own scripts and styles.
Django 5.2 has no CSP of its own. The policy is one header built from settings; the API docs
(Swagger UI, ReDoc), the admin and DRF's browsable API pages set styles inline at run time, so
those answers also allow inline *styles* (never inline scripts: Swagger UI's start-up script is served as a file).
"""

from django.conf import settings
from django.http import JsonResponse

from voiceagent.web.errors import is_api_path
from voiceagent.web.text_safety import first_control_character


def _header(policy):
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.strict = _header(settings.CONTENT_SECURITY_POLICY)
        self.inline_styles = _header(
            settings.CONTENT_SECURITY_POLICY | settings.CONTENT_SECURITY_POLICY_INLINE_STYLES
        )
        self.inline_style_prefixes = tuple(settings.CONTENT_SECURITY_POLICY_INLINE_STYLE_PATHS)

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            relaxed = request.path.startswith(self.inline_style_prefixes) or (
                # DRF's browsable API pages (HTML answers of API paths) set a few inline styles.
                is_api_path(request.path)
                and response.get("Content-Type", "").startswith("text/html")
            )
            response["Content-Security-Policy"] = self.inline_styles if relaxed else self.strict
        return response


class RejectControlCharactersMiddleware:
    """A query parameter of the API with a control character is refused with 400 naming it.

    NUL reaching PostgreSQL in a filter is an error (a 500); the others are never meaningful.
    API paths only: the pages clean their own filters (a stray NUL in a search box is dropped
    there, the page still shows). The Exotel callback answers in its own documented error
    shape, so it validates itself.
    """

    own_validation = ("/webhooks/",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_path(request.path) or request.path.startswith(self.own_validation):
            return self.get_response(request)
        for name, values in request.GET.lists():
            for text in (name, *values):
                found = first_control_character(text)
                if found:
                    detail = f"Query parameter {name!r} contains a control character ({found})."
                    return bad_request(request, detail)
        return self.get_response(request)


def bad_request(request, detail):
    return JsonResponse({"detail": detail}, status=400)

"""Content-Security-Policy on every answer: our pages load only our own scripts and styles.

Django 5.2 has no CSP of its own. The policy is one header built from settings; the API docs
(Swagger UI, ReDoc) and the admin set styles inline at run time, so those paths also allow
inline *styles* (never inline scripts: Swagger UI's start-up script is served as a file).
"""

from django.conf import settings


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
            relaxed = request.path.startswith(self.inline_style_prefixes)
            response["Content-Security-Policy"] = self.inline_styles if relaxed else self.strict
        return response

"""URLs of monitoring: /health/* probes and the Prometheus exposition, with or without a slash."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from monitoring import views
from voiceagent.web.urltools import slash_optional


def probe_routes(route, view_class, name):
    """slash_optional's two routes; the OpenAPI schema lists only the one without the slash
    (the same operation twice would collide on its operationId)."""
    documented, with_slash = slash_optional(route, view_class.as_view(), name)
    undocumented = extend_schema_view(get=extend_schema(exclude=True))(
        type(view_class.__name__, (view_class,), {})
    )
    with_slash.callback = undocumented.as_view()
    return [documented, with_slash]


urlpatterns = [
    *probe_routes("health", views.HealthIndexView, "health"),
    *probe_routes("health/live", views.LivenessView, "health-live"),
    *probe_routes("health/ready", views.ReadinessView, "health-ready"),
    *probe_routes("health/detailed", views.DetailedHealthView, "health-detailed"),
    *probe_routes("health/metrics", views.MetricsView, "health-metrics"),
    *probe_routes("metrics", views.MetricsView, "metrics"),
]

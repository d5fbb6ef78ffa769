"""Routes of /api/alert-rules/ and /api/webhooks/ (with and without trailing slash)."""

from rest_framework.routers import SimpleRouter

from notifications import api

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("api/alert-rules", api.AlertRuleViewSet, basename="alert-rule")
router.register("api/webhooks", api.WebhookEndpointViewSet, basename="webhook")

urlpatterns = router.urls

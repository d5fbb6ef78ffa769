"""Routes of the campaigns, leads, DNC and lead-import API (with and without trailing slash)."""

from rest_framework.routers import SimpleRouter

from voiceagent.campaigns import api

# SimpleRouter, not DefaultRouter: its API root view would take "/" from the overview page.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("api/campaigns", api.CampaignViewSet, basename="campaign")
router.register("api/leads", api.LeadViewSet, basename="lead")
router.register("api/dnc", api.DoNotCallViewSet, basename="dnc")
router.register("api/lead-imports", api.LeadImportViewSet, basename="lead-import")

urlpatterns = router.urls

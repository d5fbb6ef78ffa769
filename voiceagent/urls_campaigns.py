"""Routes of the campaigns, leads, DNC and lead-import API (with and without trailing slash)."""

from rest_framework.routers import SimpleRouter

from voiceagent import api_campaigns

# SimpleRouter, not DefaultRouter: its API root view would take "/" from the overview page.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("api/campaigns", api_campaigns.CampaignViewSet, basename="campaign")
router.register("api/leads", api_campaigns.LeadViewSet, basename="lead")
router.register("api/dnc", api_campaigns.DoNotCallViewSet, basename="dnc")
router.register("api/lead-imports", api_campaigns.LeadImportViewSet, basename="lead-import")

urlpatterns = router.urls

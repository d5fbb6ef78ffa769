"""docs/metrics.md ships the glossary: every figure the API serves is defined there, and the
README sends readers to it (not to a file the repository lacks)."""

from django.conf import settings

from analytics.periods import DEFAULT_PERIOD_DAYS
from analytics.serializers import CampaignMetricsSerializer, SystemMetricsSerializer

NOT_FIGURES = {"campaign_id", "campaign_name", "campaign_status", "from", "to", "period"}
NOT_FIGURES |= {"total_campaigns", "active_campaigns", "rates_days", "components"}


def read(path):
    return (settings.BASE_DIR / path).read_text()


def test_every_figure_of_the_api_is_defined_in_docs_metrics():
    doc = read("docs/metrics.md")
    fields = set(CampaignMetricsSerializer().fields) | set(SystemMetricsSerializer().fields)

    missing = {name for name in fields - NOT_FIGURES if f"`{name}`" not in doc}

    assert missing == set()


def test_docs_metrics_names_the_default_period_and_the_lifecycle_rules():
    doc = read("docs/metrics.md")

    assert f"The default period is the last {DEFAULT_PERIOD_DAYS} days" in doc
    assert "running campaigns only" in doc
    assert "09:00–21:00" in doc


def test_readme_links_the_glossary_and_no_missing_design_file():
    readme = read("README.md")

    assert "[docs/metrics.md](docs/metrics.md)" in readme
    assert "DESIGN.md" not in readme

"""OpenAPI 3: the schema validates, every endpoint is described once, and /docs and /redoc
serve Swagger UI and ReDoc from our own static files to logged-in users."""

import json
import re

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from tests.analytics.conftest import API_PATHS

pytestmark = pytest.mark.django_db

OUR_PATHS = set(API_PATHS)


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    target = tmp_path_factory.mktemp("openapi") / "schema.yaml"
    with django_db_blocker.unblock():
        # --fail-on-warn: any warning (an unresolvable field, a duplicate operation id) fails.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_the_schema_validates_and_describes_each_endpoint_once(schema):
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= OUR_PATHS
    assert not any(
        path.rstrip("/") in schema["paths"]
        for path in schema["paths"]
        if path.endswith("/") and path != "/"
    )


PERIOD_REF = {"$ref": "#/components/schemas/Period"}


def test_every_response_with_call_counts_says_its_period(schema):
    components = schema["components"]["schemas"]

    assert set(components["Period"]["required"]) == {"from", "to", "label"}
    assert components["Period"]["properties"]["from"]["format"] == "date"
    for name in ("CampaignMetrics", "DailyStats", "SystemMetrics", "Funnel", "BestHours",
                 "ObjectionBreakdown", "DashboardOverview", "RecentCampaign", "CampaignSummary"):  # fmt: skip
        period = components[name]["properties"]["period"]
        assert period == PERIOD_REF or period["allOf"] == [PERIOD_REF], name
        assert "period" in components[name]["required"], name


def test_the_glossary_the_schema_links_to_ships_with_the_repo(schema):
    description = schema["paths"]["/analytics/campaigns/{campaign_id}/metrics"]["get"]
    assert "docs/metrics.md" in description["description"]
    assert (settings.BASE_DIR / "docs" / "metrics.md").is_file()


@pytest.mark.parametrize("path", sorted(OUR_PATHS))
def test_each_endpoint_documents_its_response_and_errors(schema, path):
    operation = schema["paths"][path]["get"]
    success = operation["responses"]["200"]["content"]["application/json"]

    assert "$ref" in success["schema"] or success["schema"]["type"] == "array"
    assert success["examples"]
    assert {"403"} <= set(operation["responses"])
    assert operation["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"
    }


def test_the_schema_needs_a_login(client, api_client, team):
    assert client.get("/api/schema").status_code == 403

    response = api_client(team.member).get("/api/schema?format=json")

    assert response.status_code == 200
    assert set(json.loads(response.content)["paths"]) >= OUR_PATHS


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_send_anonymous_visitors_to_the_login_form(path, client):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", ["/docs", "/docs/", "/redoc", "/redoc/"])
def test_docs_pages_load_their_assets_from_our_static_files(path, client, team):
    client.force_login(team.member)

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    # Swagger UI's start-up script is served by the page itself (no inline script: CSP).
    start_up = [url for url in assets if url.endswith("?script=")]
    assets = [url for url in assets if url not in start_up]
    for url in start_up:
        html += client.get(url).content.decode()
    assert "/api/schema" in html
    assert assets, html
    assert not [url for url in assets if url.startswith(("http:", "https:", "//"))]
    # A host name, not any "cdn" inside the page's random CSRF token.
    assert not re.findall(r"[\w.-]*(?:googleapis|cdn)[\w-]*\.[a-z]{2,}", html, re.IGNORECASE)
    for url in assets:
        assert url.startswith(("/static/", "/redoc", "/docs", "/api/schema")) or url == "/", url
        if url != "/":
            assert client.get(url).status_code == 200, url


def test_the_browsable_api_works_for_a_logged_in_user(client, team):
    client.force_login(team.member)

    response = client.get(
        f"/analytics/campaigns/{team.campaign.pk}/metrics", HTTP_ACCEPT="text/html"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Powai launch" in response.content.decode()


def test_the_schema_points_readers_at_the_shipped_glossary(client, team):
    client.force_login(team.member)
    schema = client.get("/api/schema?format=json").json()
    assert "docs/metrics.md" in schema["info"]["description"]

"""GET /reports/campaigns/{id}.pdf: the campaign report as PDF, with the metrics endpoint's numbers."""

import io
from datetime import timedelta

import pypdf
import pytest
from django.utils import timezone

from analytics.periods import DEFAULT_PERIOD_DAYS as CAMPAIGN_DEFAULT_DAYS
from analytics.periods import local_today
from tests.factories import make_call, make_lead
from tests.reports.conftest import CAMPAIGN_NAME, PERIOD

pytestmark = pytest.mark.django_db


def pdf_text(content):
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def font_names(reader):
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def url(campaign, **query):
    params = "&".join(f"{name}={value}" for name, value in query.items())
    return f"/reports/campaigns/{campaign.pk}.pdf" + (f"?{params}" if params else "")


def test_pdf_holds_the_metrics_endpoints_numbers_for_the_same_range(
    report_campaign, team, api_client, django_assert_max_num_queries
):
    client = api_client(team.member)
    metrics = client.get(f"/analytics/campaigns/{report_campaign.pk}/metrics", PERIOD).json()
    assert (metrics["calls_made"], metrics["answer_rate"], metrics["qualification_rate"]) == (
        5,
        60.0,
        66.67,
    )

    with django_assert_max_num_queries(20):
        response = client.get(url(report_campaign, **PERIOD))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="campaign-{report_campaign.pk}-report-2025-01-13-to-2025-01-15.pdf"'
    )
    text, _ = pdf_text(response.content)
    assert CAMPAIGN_NAME in text
    assert "Calls made 5" in text
    assert "Answer rate 60.00%" in text
    assert "Qualification rate 66.67%" in text
    assert "13 Jan 2025 to 15 Jan 2025 (3 days)" in text


def test_pdf_embeds_a_devanagari_font_for_names(report_campaign, team, api_client):
    response = api_client(team.member).get(url(report_campaign, **PERIOD))

    text, reader = pdf_text(response.content)
    assert any("NotoSansDevanagari" in name.replace("-", "") for name in font_names(reader))
    assert CAMPAIGN_NAME in text


def test_pdf_has_every_section_and_the_generated_time_in_time_zone(
    report_campaign, team, api_client
):
    response = api_client(team.member).get(url(report_campaign, **PERIOD))

    text, _ = pdf_text(response.content)
    for heading in (
        "Headline figures",
        "Outcomes",
        "Calls per day",
        "Funnel",
        "Objections",
        "Best hours to call (Asia/Kolkata)",
        "AI response time",
    ):
        assert heading in text
    assert "(Asia/Kolkata); leads and live counts are as of then" in text
    assert "Not interested 1" in text
    assert "Voicemail 1" in text
    assert "0.5–1 s 1" in text  # the one turn: 200 + 600 + 150 ms


def test_without_a_range_the_pdf_covers_the_campaign_pages_default_period(
    report_campaign, team, api_client
):
    lead = make_lead(report_campaign)
    make_call(lead, initiated_at=timezone.now() - timedelta(hours=1), outcome="qualified")
    today = local_today()
    first = today - timedelta(days=CAMPAIGN_DEFAULT_DAYS - 1)

    response = api_client(team.member).get(url(report_campaign))

    assert response.status_code == 200
    text, _ = pdf_text(response.content)
    assert f"{first:%-d %b %Y} to {today:%-d %b %Y} ({CAMPAIGN_DEFAULT_DAYS} days)" in text
    assert "Calls made 1" in text


def test_another_teams_campaign_is_404(report_campaign, team, api_client):
    response = api_client(team.outsider).get(url(report_campaign, **PERIOD))

    assert response.status_code == 404


def test_a_malformed_campaign_id_is_a_json_404(team, api_client):
    response = api_client(team.member).get("/reports/campaigns/null,null.pdf")

    assert response.status_code == 404
    assert response.json() == {"detail": "No campaign with that id."}


def test_anonymous_is_refused(report_campaign, api_client):
    response = api_client(None).get(url(report_campaign, **PERIOD))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2025-13-01"},
        {"from": "2025-01-15", "to": "2025-01-13"},
        {"to": "2025-01-13"},
        {"days": "0"},
    ],
)
def test_a_bad_range_is_the_same_400_as_the_metrics_endpoint(
    report_campaign, team, api_client, query
):
    client = api_client(team.member)
    expected = client.get(f"/analytics/campaigns/{report_campaign.pk}/metrics", query)

    response = client.get(url(report_campaign, **query))

    assert response.status_code == expected.status_code == 400
    assert response.json() == expected.json()


def test_the_campaign_page_links_the_pdf_of_its_period(report_campaign, team, client):
    client.force_login(team.member)

    page = client.get(f"/campaigns/{report_campaign.pk}/", PERIOD)

    href = f"/reports/campaigns/{report_campaign.pk}.pdf?from=2025-01-13&amp;to=2025-01-15"
    assert f'href="{href}"' in page.content.decode()
    assert "Download PDF" in page.content.decode()


def test_a_campaign_without_calls_reads_dashes_as_on_its_page(team, api_client):
    from tests.factories import make_campaign

    draft = make_campaign("Draft launch", status="draft", members=[team.member])
    response = api_client(team.member).get(url(draft, **PERIOD))
    text, _ = pdf_text(response.content)
    assert "Answer rate —" in text
    assert "Qualification rate — Conversion rate —" in text
    assert "Average call — Total talk time —" in text
    assert "0.00%" not in text.split("Outcomes")[0]

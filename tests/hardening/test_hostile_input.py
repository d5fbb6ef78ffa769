"""Hostile input gets a clear 4xx `{"detail": ...}` and stores nothing; SQL-ish text is only text."""

import json

import pytest

from tests.factories import make_ingest_user, make_lead
from voiceagent.models import Campaign, Lead

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def staff(api_client, team):
    return api_client(team.staff)


def post_json(client, path, raw):
    return client.post(path, raw, content_type="application/json")


@pytest.mark.parametrize("path", ["/api/campaigns", "/api/leads", "/api/dnc", "/exports/jobs"])
def test_deeply_nested_json_gets_400_naming_it(staff, path):
    response = post_json(staff, path, DEEP_JSON)
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Malformed JSON: nested too deeply."},
    )


def test_json_body_over_the_limit_gets_413_and_stores_nothing(staff, settings):
    settings.API_MAX_JSON_BYTES = 1000
    body = json.dumps({"name": "x" * 2000})
    response = post_json(staff, "/api/campaigns", body)
    assert (response.status_code, response.json()) == (
        413,
        {"detail": "The JSON body is over 1000 bytes."},
    )
    assert Campaign.objects.filter(name__startswith="xxx").count() == 0


def test_ingestion_body_over_one_mebibyte_gets_400(api_client):
    agent = api_client(make_ingest_user())
    response = post_json(agent, "/api/call-events", "[" + " " * (1024 * 1024 + 1) + "]")
    assert response.status_code == 400
    assert "over 1048576 bytes" in json.dumps(response.json())


def test_nan_is_not_json(staff):
    response = post_json(staff, "/api/campaigns", '{"name": "a", "max_attempts": NaN}')
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Malformed JSON: NaN is not valid JSON."},
    )


@pytest.mark.parametrize(
    "text, character",
    [("Powai\x00", "U+0000"), ("Po\x1bwai", "U+001B"), ("Powai \u202egnp.exe", "U+202E")],
)
def test_control_character_in_a_text_field_gets_400_naming_field_and_character(
    staff, text, character
):
    response = post_json(staff, "/api/campaigns", json.dumps({"name": text}))
    assert (response.status_code, response.json()) == (
        400,
        {"detail": f"name contains a control character ({character}); remove it."},
    )
    assert Campaign.objects.filter(name__startswith="Po").exclude(name="Powai launch").count() == 0


def test_control_character_deep_in_a_body_is_named_by_its_path(staff, team):
    body = {"name": "Ok", "members": [team.member.pk], "extra": {"notes": ["fine", "b\x07d"]}}
    response = post_json(staff, "/api/campaigns", json.dumps(body))
    assert response.json() == {
        "detail": "extra.notes[1] contains a control character (U+0007); remove it."
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/leads?search=%00",
        "/api/campaigns?search=a%1bb",
        "/analytics/leads/activity?status=%00",
        "/analytics/daily-stats?campaign_id=1%00",
        "/exports/jobs?x=%E2%80%AE",
    ],
)
def test_control_character_in_a_query_parameter_gets_400(staff, path):
    response = staff.get(path)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Query parameter ")
    assert "contains a control character (U+" in response.json()["detail"]


def test_tab_and_newline_are_ordinary_text(staff):
    response = post_json(
        staff, "/api/campaigns", json.dumps({"name": "Two\tparts", "description": "a\nb\r\nc"})
    )
    assert (response.status_code, response.json()["description"]) == (201, "a\nb\r\nc")


@pytest.mark.parametrize(
    "name",
    ["Robert'); DROP TABLE voiceagent_campaign;--", "' OR '1'='1", "1; SELECT pg_sleep(10)"],
)
def test_sql_ish_name_is_stored_verbatim_as_text(staff, name):
    response = post_json(staff, "/api/campaigns", json.dumps({"name": name}))
    assert (response.status_code, Campaign.objects.get(pk=response.json()["id"]).name) == (
        201,
        name,
    )


def test_sql_ish_search_matches_nothing_and_drops_nothing(staff, team):
    make_lead(team.campaign, "Asha")
    response = staff.get("/api/leads", {"search": "' OR '1'='1"})
    assert (response.status_code, response.json()["count"], Lead.objects.count()) == (200, 0, 1)


@pytest.mark.parametrize(
    "path",
    [
        "/analytics/leads/activity?limit=100000000000000000000000",
        "/analytics/leads/activity?limit=-1",
        "/analytics/daily-stats?days=99999999999999999999",
        "/dashboard/campaigns/{campaign}/summary?limit=99999999999999999999",
    ],
)
def test_huge_or_negative_number_gets_400(staff, team, path):
    response = staff.get(path.format(campaign=team.campaign.pk))
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)


def test_huge_page_size_is_capped_at_the_maximum(staff, team):
    for _ in range(3):
        make_lead(team.campaign)
    response = staff.get("/api/leads", {"page_size": 10**30})
    assert (response.status_code, len(response.json()["results"])) == (200, 3)


def test_page_far_beyond_the_end_gets_404_json(staff):
    response = staff.get("/api/leads", {"page": 10**30})
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})


@pytest.mark.parametrize(
    "path",
    ["/analytics/campaigns/abc/metrics", "/exports/jobs/1e9999", "/api/nothing-here"],
)
def test_api_path_matching_no_route_gets_json_404(staff, path):
    response = staff.get(path)
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_page_path_matching_no_route_keeps_the_html_404(client, team):
    client.force_login(team.member)
    response = client.get("/no-such-page/")
    assert (response.status_code, response["Content-Type"]) == (404, "text/html; charset=utf-8")


def test_event_type_that_is_not_a_string_gets_400_naming_it(api_client, team):
    lead = make_lead(team.campaign)
    event = {
        "event_id": "e1",
        "type": {},
        "occurred_at": "2025-01-15T11:02:31+05:30",
        "call_sid": "CA1",
        "campaign_id": team.campaign.pk,
        "lead_id": lead.pk,
        "data": {},
    }
    response = post_json(api_client(make_ingest_user()), "/api/call-events", json.dumps([event]))
    assert response.status_code == 400
    assert "Unknown event type {}" in json.dumps(response.json())


def test_campaign_with_zero_attempts_gets_400_not_an_integrity_error(staff):
    response = post_json(staff, "/api/campaigns", json.dumps({"name": "A", "max_attempts": 0}))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid input: max_attempts:")

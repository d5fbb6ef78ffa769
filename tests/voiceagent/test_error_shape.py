"""One error path: the same bad input gets the same `{"detail", "errors"}` answer on every API."""

import json

import psycopg
import pytest
from django.db import OperationalError
from rest_framework.exceptions import ValidationError

from tests.factories import make_ingest_user, make_lead
from voiceagent.campaigns.services import RuleViolation
from voiceagent.ingestion.services import InvalidEvents
from voiceagent.models import CallEvent, Campaign
from voiceagent.web.errors import exception_handler

pytestmark = pytest.mark.django_db

CHOICE_MESSAGE = '"happy" is not a valid choice.'


@pytest.fixture
def staff(api_client, team):
    return api_client(team.staff)


@pytest.fixture
def agent(api_client):
    return api_client(make_ingest_user("agent"))


def post_json(client, path, raw):
    return client.post(path, raw, content_type="application/json")


def test_an_unknown_choice_is_named_alike_in_a_campaign_body_and_an_analytics_query(staff):
    created = post_json(staff, "/api/campaigns", json.dumps({"name": "A", "status": "happy"}))
    queried = staff.get("/analytics/leads/activity?status=happy")

    expected = {
        "detail": f"Invalid input: status: {CHOICE_MESSAGE}",
        "errors": {"status": [CHOICE_MESSAGE]},
    }
    assert (created.status_code, created.json()) == (400, expected)
    assert (queried.status_code, queried.json()) == (400, expected)
    assert Campaign.objects.filter(name="A").count() == 0


def test_an_unknown_event_type_is_named_by_index_and_field_in_the_same_words(agent, team):
    lead = make_lead(team.campaign, "Priya Sharma")
    event = {
        "event_id": "E1", "type": "call.happy", "occurred_at": "2025-01-15T11:00:00+05:30",
        "call_sid": "CA1", "campaign_id": team.campaign.pk, "lead_id": lead.pk, "data": {},
    }  # fmt: skip

    response = post_json(agent, "/api/call-events", json.dumps([event]))

    body = response.json()
    message = body["errors"][0]["message"]
    assert message.startswith("Unknown event type 'call.happy'; expected one of [")
    assert (response.status_code, body) == (
        400,
        {
            "detail": f"Invalid input: [0].type: {message}",
            "errors": [{"index": 0, "field": "type", "message": message}],
        },
    )
    assert CallEvent.objects.count() == 0


def test_a_bad_filter_value_is_named_like_a_bad_field(staff):
    response = staff.get("/api/campaigns?status=happy")

    message = "Select a valid choice. happy is not one of the available choices."
    assert (response.status_code, response.json()) == (
        400,
        {"detail": f"Invalid input: status: {message}", "errors": {"status": [message]}},
    )


# The token with its user, and the ingest permission (access.can_ingest, one query): a refused
# body reads nothing else.
QUERIES_TO_AUTHENTICATE_AN_AGENT = 2
MALFORMED = '{"name": '
MALFORMED_MESSAGE = "Malformed JSON: Expecting value: line 1 column 10 (char 9)."


@pytest.mark.parametrize("path", ["/api/campaigns", "/api/leads", "/api/dnc", "/exports/jobs"])
def test_malformed_json_is_named_in_the_same_words_everywhere(staff, path):
    response = post_json(staff, path, MALFORMED)

    assert (response.status_code, response.json()) == (400, {"detail": MALFORMED_MESSAGE})


def test_malformed_json_to_ingestion_has_the_same_detail_and_lists_the_body(
    agent, django_assert_num_queries
):
    with django_assert_num_queries(QUERIES_TO_AUTHENTICATE_AN_AGENT):
        response = post_json(agent, "/api/call-events", MALFORMED)

    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": MALFORMED_MESSAGE,
            "errors": [{"index": None, "field": "body", "message": MALFORMED_MESSAGE}],
        },
    )


def test_an_oversize_body_is_named_in_the_same_words_on_the_api_and_ingestion(
    staff, agent, settings
):
    settings.API_MAX_JSON_BYTES = 1024 * 1024
    oversize = json.dumps({"name": "x" * (1024 * 1024)})

    api = post_json(staff, "/api/campaigns", oversize)
    ingestion = post_json(agent, "/api/call-events", oversize)

    message = "The JSON body is over 1048576 bytes."
    assert (api.status_code, api.json()) == (413, {"detail": message})
    # Ingestion keeps its documented 400 and names the body in `errors`.
    assert (ingestion.status_code, ingestion.json()) == (
        400,
        {"detail": message, "errors": [{"index": None, "field": "body", "message": message}]},
    )


def test_a_broken_rule_is_a_400_with_its_own_sentence(staff, team):
    response = staff.patch(f"/api/campaigns/{team.campaign.pk}", {"status": "draft"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Illegal status transition running → draft: a running campaign can move to "
        "paused, completed."
    }


def test_nested_field_errors_are_named_by_their_path():
    errors = {"members": [{}, {"id": ["Not a user."]}], "non_field_errors": ["Pick one."]}

    response = exception_handler(ValidationError(errors), {})

    assert response.data["detail"] == "Invalid input: members[1].id: Not a user.; Pick one."


def test_domain_errors_get_their_status_without_a_view_of_their_own():
    refused = exception_handler(RuleViolation("Not a draft."), {})
    invalid = exception_handler(
        InvalidEvents([{"index": None, "field": "body", "message": "Empty."}]), {}
    )

    assert (refused.status_code, refused.data) == (400, {"detail": "Not a draft."})
    assert (invalid.status_code, invalid.data["detail"]) == (400, "Empty.")


@pytest.mark.parametrize(
    "cause, retry_after",
    [(psycopg.errors.LockNotAvailable, "1"), (psycopg.errors.DeadlockDetected, "1"), (None, "5")],
)
def test_database_errors_are_503_with_retry_after_by_their_cause(cause, retry_after):
    error = OperationalError("could not obtain lock")
    error.__cause__ = cause() if cause else None

    response = exception_handler(error, {})

    assert (response.status_code, response["Retry-After"]) == (503, retry_after)
    assert response.data == {"detail": "The database is unavailable for a moment; retry shortly."}


def test_a_schema_error_of_ours_is_a_500_not_a_retry_shortly():
    import sqlite3

    from django.test import RequestFactory

    from voiceagent.web.errors import DatabaseUnavailableMiddleware

    error = OperationalError("no such column: voiceagent_campaign.calling_hours_start")
    error.__cause__ = sqlite3.OperationalError(str(error))
    request = RequestFactory().get("/api/campaigns")

    assert exception_handler(error, {}) is None
    assert DatabaseUnavailableMiddleware(lambda r: None).process_exception(request, error) is None


def test_a_locked_sqlite_database_and_a_refused_connection_are_503():
    import sqlite3

    locked = OperationalError("database is locked")
    locked.__cause__ = sqlite3.OperationalError("database is locked")
    refused = OperationalError("connection refused")
    refused.__cause__ = psycopg.OperationalError("connection refused")

    assert exception_handler(locked, {}).status_code == 503
    assert exception_handler(refused, {}).status_code == 503


def test_an_unknown_exception_is_left_to_django():
    assert exception_handler(KeyError("x"), {}) is None


def test_a_bad_export_format_reads_the_same_on_the_file_and_the_job_endpoint(team):
    from tests.conftest import api_client_for

    client = api_client_for(team.member)
    by_get = client.get(f"/exports/campaigns/{team.campaign.pk}/results?format=pdf")
    by_post = client.post(
        "/exports/jobs",
        {"campaign_id": team.campaign.pk, "kind": "results", "format": "pdf"},
        format="json",
    )

    assert by_get.status_code == by_post.status_code == 400
    assert (
        by_get.json()
        == by_post.json()
        == {
            "detail": 'Invalid input: format: "pdf" is not a valid choice.',
            "errors": {"format": ['"pdf" is not a valid choice.']},
        }
    )

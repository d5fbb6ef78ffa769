"""POST /api/call-events: who may post, what it answers, every bad input named, query count bounded."""

import datetime as dt
import json
import math

import pytest
from django.contrib.auth.models import Group
from drf_spectacular.generators import SchemaGenerator

from tests.factories import make_ingest_user, make_lead
from tests.voiceagent.ingestion.call_scripts import (
    CallScript,
    answered_call,
    calls_of_new_leads,
    unanswered_call,
)
from voiceagent.ingestion.services import (
    LOG_ROWS_PER_STATEMENT,
    InvalidEvents,
    events_rejected,
    ingest_events,
)
from voiceagent.models import CallEvent, CallSession, ConversationTurn

pytestmark = pytest.mark.django_db

URL = "/api/call-events"
AGENT_TYPE_VALUES = [
    "call.queued", "call.initiated", "call.ringing", "call.answered", "call.stage_changed",
    "call.turn", "call.objection", "call.qualification", "call.completed", "call.failed",
    "call.error",
]  # fmt: skip


@pytest.fixture
def agent(api_client):
    return api_client(make_ingest_user("agent"))


@pytest.fixture
def lead(team):
    return make_lead(team.campaign, "Priya Sharma")


def post(client, body, path=URL):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, raw, content_type="application/json")


def nothing_stored():
    return (
        CallEvent.objects.count(),
        CallSession.objects.count(),
        ConversationTurn.objects.count(),
    )


@pytest.mark.parametrize("path", [URL, URL + "/"])
def test_agent_posts_a_batch_and_gets_202_with_counts(agent, lead, path):
    response = post(agent, answered_call(lead, "CA1"), path)

    assert response.status_code == 202
    assert response.json() == {"accepted": 17, "duplicates": 0}
    assert CallSession.objects.get(call_sid="CA1").status == "completed"


def test_one_event_object_is_accepted_as_a_batch_of_one(agent, lead):
    response = post(agent, unanswered_call(lead, "CA1")[0])

    assert (response.status_code, response.json()) == (202, {"accepted": 1, "duplicates": 0})


def test_resent_batch_answers_202_with_every_event_a_duplicate(agent, lead):
    post(agent, unanswered_call(lead, "CA1"))

    response = post(agent, unanswered_call(lead, "CA1"))

    assert (response.status_code, response.json()) == (202, {"accepted": 0, "duplicates": 4})


def test_logged_in_ingest_user_may_post_with_a_session(client, lead):
    client.force_login(make_ingest_user("agent"))

    response = client.post(
        URL, json.dumps(unanswered_call(lead, "CA1")), content_type="application/json"
    )

    assert response.status_code == 202


def test_anonymous_caller_gets_401(api_client, lead):
    response = post(api_client(None), unanswered_call(lead, "CA1"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert nothing_stored() == (0, 0, 0)


def test_manager_without_the_ingest_permission_gets_403(api_client, team, lead):
    response = post(api_client(team.member), unanswered_call(lead, "CA1"))

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This account may not post call events; it needs the ingest permission."
    }
    assert nothing_stored() == (0, 0, 0)


def test_member_of_the_ingest_group_gains_the_permission(api_client, team, lead):
    team.member.groups.add(Group.objects.get(name="ingest"))

    assert post(api_client(team.member), unanswered_call(lead, "CA1")).status_code == 202


def event(lead, **overrides):
    base = CallScript(lead, "CA1").add("call.queued", 0).events[0]
    return {**base, **overrides}


def turn(lead, **data):
    fields = {"sequence": 1, "speaker": "agent", "text": "Namaste", "stage": "greeting", **data}
    return event(lead, type="call.turn", data=fields)


BAD_EVENTS = {
    "unknown type": (
        lambda lead, other: event(lead, type="call.exploded"),
        "type",
        f"Unknown event type 'call.exploded'; expected one of {AGENT_TYPE_VALUES}.",
    ),
    "missing occurred_at": (
        lambda lead, other: {k: v for k, v in event(lead).items() if k != "occurred_at"},
        "occurred_at",
        "This field is required (ISO 8601 with a UTC offset).",
    ),
    "naive occurred_at": (
        lambda lead, other: event(lead, occurred_at="2025-01-15T11:00:00"),
        "occurred_at",
        "The value has no UTC offset (e.g. +05:30 or Z); naive times are ambiguous.",
    ),
    "unparseable occurred_at": (
        lambda lead, other: event(lead, occurred_at="yesterday"),
        "occurred_at",
        "The value is not an ISO 8601 date-time.",
    ),
    "unknown campaign": (
        lambda lead, other: event(lead, campaign_id=999999),
        "campaign_id",
        "Unknown campaign 999999.",
    ),
    "unknown lead": (
        lambda lead, other: event(lead, lead_id=999999),
        "lead_id",
        "Unknown lead 999999.",
    ),
    "lead of another campaign": (
        lambda lead, other: event(lead, lead_id=other.pk),
        "lead_id",
        None,  # names both campaigns; built in the test
    ),
    "text over the length limit": (
        lambda lead, other: turn(lead, text="x" * 4001),
        "data.text",
        "Is 4001 characters long; the limit is 4000 characters.",
    ),
    "negative latency": (
        lambda lead, other: turn(lead, llm_ms=-5),
        "data.llm_ms",
        "Must not be negative (got -5).",
    ),
    "unknown outcome": (
        lambda lead, other: event(lead, type="call.completed", data={"outcome": "maybe"}),
        "data.outcome",
        "Unknown value 'maybe'; expected one of ['qualified', 'not_interested', "
        "'callback_requested', 'no_answer', 'voicemail', 'failed', 'busy'].",
    ),
    "NUL character": (
        lambda lead, other: turn(lead, text="a\x00b"),
        "data.text",
        "contains a NUL character",
    ),
    "id out of range": (
        lambda lead, other: event(lead, lead_id=2**70),
        "lead_id",
        "Must be a positive integer id.",
    ),
}


@pytest.mark.parametrize("case", BAD_EVENTS)
def test_bad_event_rejects_the_whole_batch_naming_it(agent, team, lead, case):
    build, field, message = BAD_EVENTS[case]
    other = make_lead(team.other_campaign)
    good = unanswered_call(lead, "CA2")
    bad = build(lead, other)

    response = post(agent, [*good[:2], bad, *good[2:]])

    assert response.status_code == 400
    if message is None:
        message = (
            f"Lead {other.pk} belongs to campaign {team.other_campaign.pk}, "
            f"not to campaign {team.campaign.pk}."
        )
    assert response.json() == {
        "detail": f"Invalid input: [2].{field}: {message}",
        "errors": [{"index": 2, "field": field, "message": message}],
    }
    assert nothing_stored() == (0, 0, 0)


def test_every_bad_event_of_a_batch_is_named(agent, lead):
    response = post(agent, [event(lead, type="nope"), event(lead), turn(lead, stt_ms="fast")])

    assert response.json()["errors"] == [
        {
            "index": 0,
            "field": "type",
            "message": f"Unknown event type 'nope'; expected one of {AGENT_TYPE_VALUES}.",
        },
        {
            "index": 2,
            "field": "data.stt_ms",
            "message": "Must be an integer latency in milliseconds.",
        },
    ]


BAD_BODIES = {
    "malformed JSON": (
        '[{"event_id": ',
        "Malformed JSON: Expecting value: line 1 column 15 (char 14).",
    ),
    "NaN in JSON": ('{"x": NaN}', "Malformed JSON: NaN is not valid JSON."),
    "not a list or object": ("42", "Send one event object or a list of events."),
    "empty list": ("[]", "The batch is empty; send at least one event."),
    "body over 1 MiB": (
        json.dumps([{"pad": "x" * 1024}] * 1100),
        "The JSON body is over 1048576 bytes.",
    ),
    "more than 500 events": (
        json.dumps([{}] * 501),
        "501 events; a batch holds at most 500.",
    ),
}


@pytest.mark.parametrize("case", BAD_BODIES)
def test_bad_body_gets_400_naming_it(agent, case):
    body, message = BAD_BODIES[case]

    response = post(agent, body)

    assert response.status_code == 400
    assert response.json() == {
        "detail": message,
        "errors": [{"index": None, "field": "body", "message": message}],
    }
    assert nothing_stored() == (0, 0, 0)


def test_body_that_is_not_utf8_gets_400(agent):
    response = post(agent, b"\xff\xfe[]")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "The body is not UTF-8 text."


def test_reused_event_id_with_new_content_gets_409_naming_it(agent, lead):
    events = unanswered_call(lead, "CA1")
    post(agent, events)

    response = post(agent, [{**events[3], "data": {"outcome": "busy"}}])

    assert response.status_code == 409
    message = (
        "Event 'CA1-004' was received earlier with a different payload; an event_id names one "
        "event, send a new event_id for a new event."
    )
    assert response.json() == {
        "detail": f"Conflict: {message}",
        "conflicts": [
            {
                "index": 0,
                "event_id": "CA1-004",
                "message": message,
            }
        ],
    }
    assert CallSession.objects.get().status == "no_answer"


def calls_batch(campaign, n_calls):
    """n_calls whole answered calls (17 events each), for query-count pinning."""
    return calls_of_new_leads(campaign, n_calls, answered_call, f"Q{n_calls}")


@pytest.mark.parametrize("n_calls", [5, 29])
def test_query_count_of_a_batch_does_not_grow_with_its_size(
    agent, team, n_calls, django_assert_max_num_queries
):
    batch = calls_batch(team.campaign, n_calls)[:500]

    # 19, the batch's rollup write (its campaigns' shared lock and one upsert), and one statement
    # for each LOG_ROWS_PER_STATEMENT events of the log (85 events: one; 493: five).
    log_statements = math.ceil(len(batch) / LOG_ROWS_PER_STATEMENT)
    with django_assert_max_num_queries(19 + log_statements):
        response = post(agent, batch)

    assert response.json() == {"accepted": len(batch), "duplicates": 0}


def test_query_count_of_follow_up_batches_does_not_grow_either(
    agent, team, django_assert_max_num_queries
):
    batch = calls_batch(team.campaign, 29)
    post(agent, batch[:250])

    # 20 for ingestion, 2 for the alert and webhook outbox (notifications/outbox.py), 3 for the
    # rollups (the stored turns and objections of calls already counted, the campaigns' shared
    # lock, one upsert).
    with django_assert_max_num_queries(25):
        response = post(agent, batch[250:493])

    assert response.json() == {"accepted": 243, "duplicates": 0}


def test_openapi_schema_describes_both_endpoints_with_bodies():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    events = schema["paths"]["/api/call-events"]["post"]
    assert events["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CallEventBatchRequest"
    }
    assert set(events["responses"]) == {"202", "400", "409"}
    assert events["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IngestResult"
    }
    batch = schema["components"]["schemas"]["CallEventBatchRequest"]["oneOf"]
    assert batch[0] == {"$ref": "#/components/schemas/CallEventRequest"}
    assert batch[1] == {"type": "array", "items": {"$ref": "#/components/schemas/CallEventRequest"}}
    assert schema["components"]["schemas"]["IngestResult"]["properties"].keys() == {
        "accepted",
        "duplicates",
    }
    exotel = schema["paths"]["/webhooks/exotel/status"]["post"]
    assert set(exotel["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded",
        "application/json",
    }
    assert exotel["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IngestResult"
    }


def test_call_sid_of_another_leads_call_is_400_and_stores_nothing(agent, team, lead):
    post(agent, unanswered_call(lead, "CA1")[:1])
    other = make_lead(team.campaign)
    stolen = {**unanswered_call(other, "CA1")[1], "event_id": "other-1"}

    response = post(agent, [unanswered_call(other, "CA9")[0], stolen])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "call_sid",
            "message": f"Call 'CA1' belongs to lead {lead.pk} of campaign {team.campaign.pk}.",
        }
    ]
    assert (CallEvent.objects.count(), CallSession.objects.count()) == (1, 1)


def test_one_call_sid_given_two_leads_in_a_batch_is_400(agent, team, lead):
    other = make_lead(team.campaign)
    first = unanswered_call(lead, "CA1")[0]
    second = {**unanswered_call(other, "CA1")[1]}

    response = post(agent, [first, second])

    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "call_sid",
            "message": f"Event 0 of this batch gives call 'CA1' to lead {lead.pk} of campaign "
            f"{team.campaign.pk}.",
        }
    ]


def test_rejected_body_is_signalled_for_the_error_counters(agent):
    seen = []

    def on_rejected(sender, source, reason, **kwargs):
        seen.append((source, reason))

    events_rejected.connect(on_rejected)
    try:
        post(agent, "{")
    finally:
        events_rejected.disconnect(on_rejected)

    assert seen == [("api", "invalid")]


def test_resent_events_with_an_unknown_lead_beside_them_are_refused_naming_the_lead(agent, lead):
    """The resent events are told from the log read beside the locks; the new event's unknown
    lead is found from the locked leads, and the batch is refused whole."""
    events = unanswered_call(lead, "CA1")
    post(agent, events)
    stranger = {**events[0], "event_id": "CA2-0", "call_sid": "CA2", "lead_id": lead.pk + 1000}

    response = post(agent, [*events, stranger])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 4, "field": "lead_id", "message": f"Unknown lead {lead.pk + 1000}."}
    ]
    assert nothing_stored() == (4, 1, 0)


def test_resent_events_beside_a_malformed_one_are_refused_naming_it(agent, lead):
    events = unanswered_call(lead, "CA1")
    post(agent, events)
    broken = {**events[0], "event_id": "CA1-9", "occurred_at": "yesterday"}

    response = post(agent, [broken, *events])

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, "occurred_at")]
    assert nothing_stored() == (4, 1, 0)


def test_a_batch_is_logged_in_event_id_order_and_applied_whole(agent, lead):
    """The log takes a batch's events in event_id order (two batches sharing event_ids wait for
    each other instead of deadlocking), whatever order they were sent in."""
    events = unanswered_call(lead, "CA1")
    renamed = [{**event, "event_id": f"z-{9 - n}"} for n, event in enumerate(events)]

    response = post(agent, renamed)

    assert (response.status_code, response.json()) == (202, {"accepted": 4, "duplicates": 0})
    assert list(CallEvent.objects.order_by("id").values_list("event_id", flat=True)) == [
        "z-6", "z-7", "z-8", "z-9",
    ]  # fmt: skip
    assert CallSession.objects.get(call_sid="CA1").status == "no_answer"


def test_a_malformed_event_and_an_unknown_lead_in_one_batch_are_both_named(agent, lead):
    """Every bad event of a batch is named, structure and references alike (as before)."""
    events = unanswered_call(lead, "CA1")
    malformed = {**events[0], "occurred_at": "yesterday"}
    stranger = {**events[1], "lead_id": lead.pk + 1000}

    response = post(agent, [malformed, stranger, *events[2:]])

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (0, "occurred_at"),
        (1, "lead_id"),
    ]


def test_an_unknown_lead_beside_an_event_id_sent_twice_differently_is_400(agent, lead):
    """A batch that names an unknown lead is invalid (400) before its event_ids are compared
    (409), as before: the client must fix the reference first, whatever else it resends."""
    events = unanswered_call(lead, "CA1")
    changed = {**events[1], "event_id": events[0]["event_id"]}
    stranger = {**events[2], "lead_id": lead.pk + 1000}

    response = post(agent, [events[0], changed, stranger, events[3]])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 2, "field": "lead_id", "message": f"Unknown lead {lead.pk + 1000}."}
    ]


@pytest.mark.parametrize(
    "value",
    [dt.datetime(2025, 1, 15, 11, 0), dt.date(2025, 1, 15), dt.time(11, 0)],
    ids=["datetime", "date", "time"],
)
def test_a_payload_value_that_is_not_json_is_refused_not_stored_as_text(lead, value):
    """A Python caller's payload holding a datetime/date/UUID was refused (400, naming the
    path); orjson writes them as strings, so the log would hold text the payload does not, and
    resending the very same dict would then be a conflict."""
    event = {**unanswered_call(lead, "CA1")[0], "data": {"note": value}}

    with pytest.raises(InvalidEvents) as raised:
        ingest_events(events=[event], source="api")

    assert raised.value.errors == [
        {"index": 0, "field": "data.note", "message": "is not a JSON value"}
    ]
    assert (CallEvent.objects.count(), CallSession.objects.count()) == (0, 0)


def test_the_same_dict_sent_twice_in_a_batch_is_one_event_and_one_duplicate(lead):
    event = unanswered_call(lead, "CA1")[0]

    result = ingest_events(events=[event, event], source="api")

    assert (result.accepted, result.duplicates) == (1, 1)


def test_ids_a_python_caller_gives_as_an_int_subclass_are_locked_once_checked(team):
    """The locks go out before the events are checked, by the ids of the types JSON gives; a
    Python caller's int subclass is a valid id too: the batch runs again, locked by the checked
    events, instead of finding its lead unlocked (refused as unknown)."""
    from tests.voiceagent.ingestion.call_scripts import unanswered_call
    from voiceagent.ingestion.services import IngestResult

    class Id(int):
        pass

    lead = make_lead(team.campaign)
    events = unanswered_call(lead, "CR1")
    for event in events:
        event["lead_id"], event["campaign_id"] = Id(lead.pk), Id(lead.campaign_id)

    assert ingest_events(events=events, source="api") == IngestResult(accepted=4, duplicates=0)
    call = CallSession.objects.get(call_sid="CR1")
    assert (call.lead_id, call.status, call.attempt_number) == (lead.pk, "no_answer", 1)


def test_a_turn_number_past_what_the_column_holds_is_named_not_sent_to_the_database(agent, team):
    """The stored turns are read by the raw events' numbers before the events are checked: a
    number past the column's range is left out of that read (PostgreSQL would refuse the whole
    statement), and the check names it."""
    lead = make_lead(team.campaign)
    turn = {
        "event_id": "BIG-1", "type": "call.turn", "occurred_at": "2025-01-15T11:02:31+05:30",
        "call_sid": "BIG", "campaign_id": team.campaign.pk, "lead_id": lead.pk,
        "data": {"sequence": 2**40, "speaker": "agent", "text": "Hello"},
    }  # fmt: skip

    response = post(agent, [turn])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "data.sequence", "message": "Must be at most 2147483647."}
    ]
    assert CallEvent.objects.count() == 0


@pytest.mark.parametrize(
    "field, value", [("event_id", "NUL\x00"), ("call_sid", "surrogate-\ud800")]
)
def test_an_id_no_text_column_holds_is_named_not_sent_to_the_database(agent, team, field, value):
    """The log and the calls are read by the raw events' ids before the events are checked: an
    id PostgreSQL cannot take (NUL, a lone surrogate) is left out of those reads, and the check
    names it."""
    lead = make_lead(team.campaign)
    event = {
        "event_id": "ID-1", "type": "call.queued", "occurred_at": "2025-01-15T11:02:31+05:30",
        "call_sid": "ID", "campaign_id": team.campaign.pk, "lead_id": lead.pk, field: value,
    }  # fmt: skip

    response = post(agent, [event])

    assert response.status_code == 400
    assert [error["index"] for error in response.json()["errors"]] == [0]
    assert CallEvent.objects.count() == 0


@pytest.mark.parametrize("field", ["campaign_id", "lead_id"])
def test_an_id_past_bigint_is_named_not_sent_to_the_database(agent, team, field):
    """The locks are sent by the raw events' ids before the events are checked: an id past
    what the column holds is left out of them, and the check names it."""
    lead = make_lead(team.campaign)
    event = {
        "event_id": "BIGID-1", "type": "call.queued", "occurred_at": "2025-01-15T11:02:31+05:30",
        "call_sid": "BIGID", "campaign_id": team.campaign.pk, "lead_id": lead.pk, field: 2**63,
    }  # fmt: skip

    response = post(agent, [event])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": field, "message": "Must be a positive integer id."}
    ]

"""What the live socket carries, on the real Redis channel layer: call rows and each campaign's
absolute live counts with `as_of` and per-group sequence numbers, enough for a page to follow
calls without reading /dashboard/realtime after every message."""

from datetime import datetime
from functools import partial

import pytest
from django.utils import timezone

from tests.analytics.test_live_updates import pushed_after, session_headers
from tests.factories import make_call, make_lead
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import CallStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_live_state")]


def events_of(call_sid, lead, *kinds, data=None):
    at = timezone.now().isoformat()
    return [
        {"event_id": f"{call_sid}-{kind}", "type": kind, "occurred_at": at, "call_sid": call_sid,
         "campaign_id": lead.campaign_id, "lead_id": lead.pk, "data": (data or {}).get(kind, {})}
        for kind in kinds
    ]  # fmt: skip


def pushed_while(path, headers, batches, until):
    """Subscribe at `path`, ingest each batch (0.2 s apart, in a thread with its own connection),
    and collect the messages after the hello until `until(messages)` holds (5 s at most)."""
    steps = [(partial(ingest_events, events=events, source="api"), None) for events in batches]
    steps[-1] = (steps[-1][0], until)
    return pushed_after(path, headers, *steps, settle=0.2)


def counters_of(messages):
    return [
        (m["campaign_id"], m["calls_in_progress"], m["calls_queued"])
        for m in messages
        if m["type"] == "counters"
    ]


def test_a_call_that_starts_and_ends_pushes_its_row_and_its_campaigns_counts(team):
    lead = make_lead(team.campaign, "Asha Rao")
    make_call(make_lead(team.campaign), status=CallStatus.QUEUED, answered=False)
    make_call(make_lead(team.other_campaign), status=CallStatus.IN_PROGRESS, answered=False)
    start = events_of("CA-MSG-1", lead, "call.initiated", "call.answered")
    end = events_of(
        "CA-MSG-1",
        lead,
        "call.completed",
        data={"call.completed": {"outcome": "qualified", "duration_seconds": 42}},
    )

    messages = pushed_while(
        "/ws/dashboard/",
        session_headers(team.member),
        [start, end],
        until=lambda received: (team.campaign.pk, 0, 1) in counters_of(received),
    )

    group = f"campaign.{team.campaign.pk}"
    assert [m["type"] for m in messages] == ["call.updated", "counters", "call.ended", "counters"]
    # Absolute counts of the member's campaign: the other team's call in progress is not in them.
    assert counters_of(messages) == [(team.campaign.pk, 1, 1), (team.campaign.pk, 0, 1)]
    started, ended = messages[0]["call"], messages[2]["call"]
    assert {key: started[key] for key in ("call_sid", "campaign_id", "lead_id", "lead_name",
                                          "campaign_name", "status", "outcome", "stage")} == {
        "call_sid": "CA-MSG-1", "campaign_id": team.campaign.pk, "lead_id": lead.pk,
        "lead_name": "Asha Rao", "campaign_name": "Powai launch", "status": "in_progress",
        "outcome": None, "stage": None,
    }  # fmt: skip
    assert (ended["status"], ended["outcome"], ended["duration_seconds"]) == (
        "completed",
        "qualified",
        42,
    )
    assert {m["group"] for m in messages} == {group}
    # One number after another in the group: no gap, so the page never resyncs.
    sequence = [m["seq"] for m in messages]
    assert sequence == list(range(sequence[0], sequence[0] + 4))
    readings = [datetime.fromisoformat(m["as_of"]) for m in messages]
    assert readings == sorted(readings)
    assert all(reading.utcoffset() is not None for reading in readings)


def test_staff_dashboards_get_each_campaigns_own_counts(team):
    mine = make_lead(team.campaign)
    theirs = make_lead(team.other_campaign)
    make_call(make_lead(team.other_campaign), status=CallStatus.RINGING, answered=False)
    batch = [*events_of("CA-MSG-2", mine, "call.initiated"),
             *events_of("CA-MSG-3", theirs, "call.initiated")]  # fmt: skip

    messages = pushed_while(
        "/ws/dashboard/",
        session_headers(team.staff),
        [batch],
        until=lambda received: len(counters_of(received)) == 2,
    )

    assert sorted(counters_of(messages)) == sorted(
        [(team.campaign.pk, 1, 0), (team.other_campaign.pk, 2, 0)]
    )
    assert sorted(m["call"]["call_sid"] for m in messages if m["type"] == "call.updated") == [
        "CA-MSG-2",
        "CA-MSG-3",
    ]
    assert {m["group"] for m in messages} == {"staff"}


def test_realtime_lists_the_live_counts_of_each_campaign(team, get_json, api_client):
    make_call(make_lead(team.campaign), status=CallStatus.IN_PROGRESS, answered=False)
    make_call(make_lead(team.campaign), status=CallStatus.RINGING, answered=False)
    make_call(make_lead(team.campaign), status=CallStatus.QUEUED, answered=False)
    make_call(make_lead(team.campaign), status=CallStatus.COMPLETED)
    make_call(make_lead(team.other_campaign), status=CallStatus.QUEUED, answered=False)

    mine = get_json("/dashboard/realtime")
    everyone = get_json("/dashboard/realtime", client=api_client(team.staff))

    assert (mine["calls_in_progress"], mine["calls_queued"]) == (2, 1)
    assert mine["campaigns"] == [
        {"campaign_id": team.campaign.pk, "calls_in_progress": 2, "calls_queued": 1}
    ]
    assert (everyone["calls_in_progress"], everyone["calls_queued"]) == (2, 2)
    assert everyone["campaigns"] == [
        {"campaign_id": team.campaign.pk, "calls_in_progress": 2, "calls_queued": 1},
        {"campaign_id": team.other_campaign.pk, "calls_in_progress": 0, "calls_queued": 1},
    ]


def test_pages_tell_the_script_how_often_to_poll_while_the_socket_is_down(team, settings):
    from django.test import Client

    settings.LIVE_POLL_SECONDS = 12
    client = Client()
    client.force_login(team.member)

    html = client.get("/live/").content.decode()

    assert '<body data-time-zone="Asia/Kolkata" data-live-poll-seconds="12">' in html


def test_in_embedded_mode_every_change_of_counts_is_pushed_at_once(team, settings):
    # make run's in-memory layer has no pusher thread to send a throttled count later.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    lead = make_lead(team.campaign, "Asha Rao")
    start = events_of("CA-MEM-1", lead, "call.initiated", "call.answered")
    end = events_of(
        "CA-MEM-1",
        lead,
        "call.completed",
        data={"call.completed": {"outcome": "qualified", "duration_seconds": 42}},
    )
    messages = pushed_while(
        "/ws/dashboard/",
        session_headers(team.member),
        [start, end],
        until=lambda received: (team.campaign.pk, 0, 0) in counters_of(received),
    )
    # initiated, answered, completed: each change counted and sent, the last one included.
    assert counters_of(messages) == [
        (team.campaign.pk, 1, 0),
        (team.campaign.pk, 1, 0),
        (team.campaign.pk, 0, 0),
    ]


def test_a_call_whose_row_cannot_be_built_costs_the_batch_no_other_row(team, monkeypatch):
    from analytics import live

    lead = make_lead(team.campaign)
    calls = [make_call(lead, status=CallStatus.INITIATED) for _ in range(3)]
    built, submitted = live.call_payload, []

    def failing_on_the_first(call, now):
        if call.pk == calls[0].pk:
            raise ValueError("a call whose live row cannot be built")
        return built(call, now)

    monkeypatch.setattr(live, "call_payload", failing_on_the_first)
    monkeypatch.setattr(live.pusher, "submit", lambda payload, **_: submitted.append(payload))
    changes = [(call, {"type": "call.initiated", "status": "initiated"}, False) for call in calls]
    live.on_calls_changed(type(calls[0]), changes=changes)
    assert [payload["call_sid"] for payload in submitted] == [c.call_sid for c in calls[1:]]


def test_the_calls_of_one_flush_reach_a_socket_in_one_send_a_group_and_arrive_one_by_one(
    team, monkeypatch
):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from analytics import live
    from tests.analytics.test_live_updates import connect

    leads = [make_lead(team.campaign, f"Lead {n}") for n in range(3)]
    calls = [
        make_call(lead, status=CallStatus.IN_PROGRESS, answered=True, call_sid=f"CA-ENV-{n}")
        for n, lead in enumerate(leads)
    ]
    now = timezone.now()
    pending = {call.call_sid: (live.call_payload(call, now), False, now) for call in calls}
    sent_to = []
    layer = get_channel_layer()
    group_send = layer.group_send

    async def counted_group_send(group, message):
        sent_to.append(group)
        await group_send(group, message)

    monkeypatch.setattr(layer, "group_send", counted_group_send)
    sends = live.pusher.messages(pending, set())
    headers = session_headers(team.member)

    async def scenario():
        communicator, connected, _ = await connect("/ws/dashboard/", headers)
        assert connected
        assert (await communicator.receive_json_from(timeout=2))["type"] == "hello"
        await live._send_all(sends)
        received = [await communicator.receive_json_from(timeout=2) for _ in calls]
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return received

    received = async_to_sync(scenario)()

    # Three calls, two groups (the campaign's and staff): one send each, not six.
    assert sorted(sent_to) == [f"campaign.{team.campaign.pk}", "staff"]
    assert [(m["type"], m["call"]["call_sid"]) for m in received] == [
        ("call.updated", "CA-ENV-0"),
        ("call.updated", "CA-ENV-1"),
        ("call.updated", "CA-ENV-2"),
    ]
    first = received[0]["seq"]
    assert [m["seq"] for m in received] == [first, first + 1, first + 2]
    assert {m["group"] for m in received} == {f"campaign.{team.campaign.pk}"}

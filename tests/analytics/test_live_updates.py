"""WebSocket live updates on the real Redis channel layer: who may subscribe, and what arrives."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from tests.factories import make_call, make_lead
from voiceagent.asgi import application
from voiceagent.events import publish_call_change

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user, origin="http://testserver"):
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"cookie", cookie.encode()), (b"host", b"testserver")]
    if origin:
        headers.append((b"origin", origin.encode()))
    return headers


async def connect(path, headers):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=3)
    return communicator, connected, code


def first_push_after(path, headers, work):
    """Subscribe at `path`, run `work` in a thread (its own DB connection, closed after), and
    return the first message pushed after the hello and the seconds it took to arrive."""

    def in_thread():
        try:
            work()
        finally:
            connection.close()  # this executor thread's own connection

    async def scenario():
        communicator, connected, _ = await connect(path, headers)
        assert connected
        assert (await communicator.receive_json_from(timeout=2))["type"] == "hello"
        loop = asyncio.get_running_loop()
        started = loop.time()
        await loop.run_in_executor(None, in_thread)
        message = await communicator.receive_json_from(timeout=1)
        elapsed = loop.time() - started
        await communicator.disconnect()
        return message, elapsed

    return async_to_sync(scenario)()


def pushed_after(path, headers, *steps, settle=0):
    """Subscribe at `path`; for each (action, until) step run the action in a thread (its own
    connection, closed after), wait `settle` seconds, and collect the messages after the hello
    until `until(messages)` holds (5 s at most; an `until` of None waits for nothing), so that
    each action's push arrives before the next action runs."""

    def run(action):
        try:
            action()
        finally:
            connection.close()

    async def scenario():
        communicator, connected, _ = await connect(path, headers)
        assert connected
        assert (await communicator.receive_json_from(timeout=2))["type"] == "hello"
        loop = asyncio.get_running_loop()
        received = []
        for action, until in steps:
            if action is not None:
                await loop.run_in_executor(None, run, action)
            await asyncio.sleep(settle)
            deadline = loop.time() + 5
            while until is not None and not until(received) and loop.time() < deadline:
                if not await communicator.receive_nothing(timeout=0.1):
                    received.append(await communicator.receive_json_from())
        await communicator.disconnect()
        return received

    return async_to_sync(scenario)()


def test_settings_use_the_redis_channel_layer():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"


def test_member_receives_a_call_change_within_a_second(team):
    call = make_call(
        make_lead(team.campaign, "Asha Rao"),
        status="in_progress",
        answered=False,
        current_stage="discovery",
    )
    headers = session_headers(team.member)

    def publish():
        with transaction.atomic():
            publish_call_change(
                call=call, changes={"type": "call.stage_changed", "stage": "discovery"}
            )

    message, elapsed = first_push_after(f"/ws/campaigns/{team.campaign.pk}/", headers, publish)
    assert elapsed < 1
    assert message["type"] == "call.updated"
    assert message["seq"] >= 1
    assert message["call"]["call_sid"] == call.call_sid
    assert message["call"]["lead_name"] == "Asha Rao"
    assert message["call"]["campaign_name"] == "Powai launch"
    assert message["call"]["stage"] == "discovery"
    assert message["call"]["status"] == "in_progress"


def test_dashboard_socket_of_a_member_gets_their_campaigns_only(team):
    mine = make_call(make_lead(team.campaign), status="ringing", answered=False)
    foreign = make_call(make_lead(team.other_campaign), status="ringing", answered=False)
    headers = session_headers(team.member)

    async def scenario():
        communicator, connected, _ = await connect("/ws/dashboard/", headers)
        assert connected
        await communicator.receive_json_from(timeout=2)

        def publish():
            for call in (foreign, mine):
                with transaction.atomic():
                    publish_call_change(
                        call=call, changes={"type": "call.ringing", "status": "ringing"}
                    )
            connection.close()  # this executor thread's own connection

        await asyncio.get_running_loop().run_in_executor(None, publish)
        # The member's own call arrives; nothing of the foreign one, sent first, comes before or after.
        received = [await communicator.receive_json_from(timeout=2)]
        while not await communicator.receive_nothing(timeout=0.5):
            received.append(await communicator.receive_json_from())
        await communicator.disconnect()
        return received

    received = async_to_sync(scenario)()
    sids = [m["call"]["call_sid"] for m in received if m["type"] == "call.updated"]
    assert sids == [mine.call_sid]


def test_non_member_cannot_subscribe_to_a_campaign(team):
    headers = session_headers(team.outsider)

    async def scenario():
        _, connected, code = await connect(f"/ws/campaigns/{team.campaign.pk}/", headers)
        return connected, code

    assert async_to_sync(scenario)() == (False, 4404)


def test_anonymous_socket_is_refused(team):
    async def scenario():
        _, connected, code = await connect(
            "/ws/dashboard/", [(b"host", b"testserver"), (b"origin", b"http://testserver")]
        )
        return connected, code

    assert async_to_sync(scenario)() == (False, 4401)


def test_foreign_origin_is_refused(team):
    headers = session_headers(team.staff, origin="http://evil.example")

    async def scenario():
        _, connected, _ = await connect("/ws/dashboard/", headers)
        return connected

    assert async_to_sync(scenario)() is False


def test_an_ingested_event_reaches_a_subscribed_member_within_a_second(team):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from voiceagent.ingestion.services import ingest_events

    lead = make_lead(team.campaign, "Ravi Menon")
    headers = session_headers(team.member)
    at = datetime(2026, 11, 20, 11, 0, tzinfo=ZoneInfo("Asia/Kolkata")).isoformat()
    events = [
        {"event_id": f"live-{kind}", "type": kind, "occurred_at": at, "call_sid": "CA-LIVE-1",
         "campaign_id": team.campaign.pk, "lead_id": lead.pk, "data": {}}
        for kind in ("call.initiated", "call.ringing")
    ]  # fmt: skip

    message, elapsed = first_push_after(
        f"/ws/campaigns/{team.campaign.pk}/",
        headers,
        lambda: ingest_events(events=events, source="api"),
    )
    assert elapsed < 1
    # Two events of one call, coalesced: one message with the call's latest state.
    assert message["type"] == "call.updated"
    assert message["call"]["call_sid"] == "CA-LIVE-1"
    assert message["call"]["status"] == "ringing"
    assert message["call"]["lead_name"] == "Ravi Menon"

"""A dashboard socket that stays idle longer than the Redis client's default read timeout still
receives what is pushed afterwards (redis-py 8 would otherwise drop it every ~5 s)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import transaction

from tests.analytics.test_live_updates import session_headers
from tests.factories import make_call, make_lead
from voiceagent.asgi import application
from voiceagent.events import publish_call_change

pytestmark = pytest.mark.django_db(transaction=True)


def test_channel_layer_reads_without_a_client_timeout(settings):
    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    assert host["socket_timeout"] is None


@pytest.mark.slow
def test_socket_idle_for_seven_seconds_still_gets_the_next_call_change(team):
    call = make_call(make_lead(team.campaign, "Asha Rao"), status="ringing", answered=False)
    headers = session_headers(team.member)

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
        connected, _ = await communicator.connect(timeout=3)
        assert connected
        assert (await communicator.receive_json_from(timeout=2))["type"] == "hello"
        await asyncio.sleep(7)

        def publish():
            with transaction.atomic():
                publish_call_change(
                    call=call, changes={"type": "call.ringing", "status": "ringing"}
                )

        await asyncio.get_running_loop().run_in_executor(None, publish)
        message = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert message["type"] == "call.updated"
    assert message["call"]["call_sid"] == call.call_sid
    assert message["group"] == f"campaign.{team.campaign.pk}"

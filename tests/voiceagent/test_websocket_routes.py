"""WebSocket routing: a path no consumer serves is refused with close code 4404, never a 500."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from prometheus_client import REGISTRY

from tests.analytics.test_live_updates import session_headers
from voiceagent.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def websocket_errors():
    return (
        REGISTRY.get_sample_value(
            "errors_total", {"type": "websocket_error", "component": "websocket"}
        )
        or 0
    )


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/campaigns/abc/", "/ws/", "/not-ws/"])
def test_an_unknown_websocket_path_is_refused_with_4404(team, path):
    headers = session_headers(team.staff)
    errors_before = websocket_errors()

    @async_to_sync
    async def scenario():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        return await communicator.connect(timeout=3)

    assert scenario() == (False, 4404)
    assert websocket_errors() == errors_before


def test_an_anonymous_socket_on_an_unknown_path_is_refused_with_4404(team):
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]

    @async_to_sync
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/nowhere/", headers=headers)
        return await communicator.connect(timeout=3)

    assert scenario() == (False, 4404)

"""websocket_connections and WebSocket errors, counted by the middleware around every consumer."""

import pytest
from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from prometheus_client import REGISTRY

from monitoring.asgi import WebSocketMetricsMiddleware, process_lifespan
from tests.monitoring.helpers import sample
from voiceagent.asgi import application

pytestmark = pytest.mark.django_db  # consumers close stale database connections


class EchoConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        if self.scope["path"].endswith("/refused/"):
            await self.close()
        else:
            await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "boom":
            raise RuntimeError("a consumer bug")
        await self.send(text_data=text_data)


app = WebSocketMetricsMiddleware(EchoConsumer.as_asgi())


def open_sockets():
    return REGISTRY.get_sample_value("websocket_connections")


def test_accepted_sockets_count_while_open_and_leave_when_closed():
    before = open_sockets()
    seen = []

    @async_to_sync
    async def scenario():
        first = WebsocketCommunicator(app, "/ws/dashboard/")
        second = WebsocketCommunicator(app, "/ws/dashboard/")
        assert (await first.connect())[0] and (await second.connect())[0]
        seen.append(open_sockets())
        await first.disconnect()
        seen.append(open_sockets())
        await second.disconnect()
        seen.append(open_sockets())

    scenario()
    assert seen == [before + 2, before + 1, before]


def test_a_refused_socket_is_never_counted():
    before = open_sockets()
    seen = []

    @async_to_sync
    async def scenario():
        communicator = WebsocketCommunicator(app, "/ws/refused/")
        connected, _ = await communicator.connect()
        seen.append((connected, open_sockets()))
        await communicator.wait()

    scenario()
    assert seen == [(False, before)]
    assert open_sockets() == before


def test_a_consumer_error_counts_in_errors_total_and_releases_the_socket(scrape):
    labels = {"type": "websocket_error", "component": "websocket"}
    before_errors = sample(scrape(), "errors_total", **labels)
    before = open_sockets()

    @async_to_sync
    async def crash():
        communicator = WebsocketCommunicator(app, "/ws/dashboard/")
        await communicator.connect()
        await communicator.send_to(text_data="boom")
        with pytest.raises(RuntimeError):
            await communicator.wait()

    crash()
    assert sample(scrape(), "errors_total", **labels) - before_errors == 1
    assert open_sockets() == before


def test_the_project_asgi_application_counts_websockets_and_handles_lifespan():
    assert isinstance(application.application_mapping["websocket"], WebSocketMetricsMiddleware)
    assert application.application_mapping["lifespan"] is process_lifespan


def test_the_lifespan_completes_startup_and_shutdown():
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message["type"])

    async_to_sync(process_lifespan)({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

"""ASGI pieces of monitoring, mounted in voiceagent.asgi: WebSocket counting and process lifespan.

WebSocketMetricsMiddleware wraps the whole WebSocket router, so every consumer is counted the same
way without knowing about metrics: +1 when the app accepts a socket, -1 when that socket's app
ends, and an error counted when a consumer raises.
"""

from monitoring.metrics import record_error, websocket_connections
from monitoring.multiprocess import mark_current_process_dead


class WebSocketMetricsMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        accepted = False

        async def counting_send(message):
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                websocket_connections.inc()
            await send(message)

        try:
            return await self.app(scope, receive, counting_send)
        except Exception:
            record_error("websocket_error", "websocket")
            raise
        finally:
            if accepted:
                websocket_connections.dec()


async def process_lifespan(scope, receive, send):
    """ASGI lifespan of a web process: on shutdown its live gauges leave the multiprocess
    directory. Uvicorn workers end by re-raising SIGTERM, so atexit hooks never run there."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            mark_current_process_dead()
            await send({"type": "lifespan.shutdown.complete"})
            return

"""ASGI middleware counting live-dashboard WebSockets: websocket_connections and their errors.

It wraps the whole WebSocket router (voiceagent.asgi), so every consumer is counted the same way
without knowing about metrics: +1 when the app accepts a socket, -1 when that socket's app ends.
"""

from monitoring.metrics import record_error, websocket_connections


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

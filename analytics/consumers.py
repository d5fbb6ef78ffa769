"""WebSocket consumers of the live pages: authenticate, join the groups the user may see, forward."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from analytics.live import STAFF_GROUP, campaign_group, due_follow_up_watch
from voiceagent.access import visible_campaigns


@database_sync_to_async
def groups_for(user, campaign_id=None):
    """The groups this user's socket joins, or None when they may not see what they asked for."""
    campaigns = visible_campaigns(user)
    if campaign_id is not None:
        return [campaign_group(campaign_id)] if campaigns.filter(pk=campaign_id).exists() else None
    if user.is_staff:
        return [STAFF_GROUP]
    return [campaign_group(pk) for pk in campaigns.values_list("pk", flat=True)]


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/dashboard/` (every visible campaign) and `/ws/campaigns/<id>/` (one campaign)."""

    groups_joined = ()
    watching_due_follow_ups = False

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        campaign_id = self.scope["url_route"]["kwargs"].get("campaign_id")
        groups = await groups_for(user, campaign_id)
        if groups is None:
            await self.close(code=4404)
            return
        self.groups_joined = [*groups, f"user.{user.pk}"]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        due_follow_up_watch.socket_opened()
        self.watching_due_follow_ups = True
        await self.send_json({"type": "hello", "groups": len(groups)})

    async def disconnect(self, code):
        if self.watching_due_follow_ups:
            due_follow_up_watch.socket_closed()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The only thing a page sends is a ping, to keep proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_messages(self, envelope):
        """Several messages of one group sent at once (analytics.live.envelopes), in order."""
        for message in envelope["messages"]:
            await self.live_message(message)

    async def live_message(self, message):
        payload = {key: value for key, value in message.items() if key != "type"}
        payload["type"] = payload.pop("event")
        await self.send_json(payload)

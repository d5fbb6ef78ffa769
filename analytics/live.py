"""Live updates: turn domain events into WebSocket messages for the groups that may see them.

Groups: `campaign.<id>` (members and staff watching that campaign, and every dashboard socket of
a user who may see it) and `staff` (staff dashboards see every campaign). Every message carries a
per-group sequence number; a page that sees a gap resyncs from /dashboard/realtime (channels-redis
drops group messages silently when a channel is over capacity).
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.utils import timezone

from voiceagent.models import IN_PROGRESS_STATUSES, CallSession, CallStatus, ScheduledCall

logger = logging.getLogger(__name__)
STAFF_GROUP = "staff"
COUNTERS_THROTTLE_SECONDS = 1


def campaign_group(campaign_id):
    return f"campaign.{campaign_id}"


def next_sequence(group):
    key = f"live:seq:{group}"
    try:
        cache.add(key, 0, None)
        return cache.incr(key)
    except Exception:  # the cache being down must not lose the push itself
        return 0


def call_payload(call, now=None):
    """A call shaped like a /dashboard/realtime `active_calls` item."""
    now = now or timezone.now()
    started = call.answered_at or call.initiated_at or call.queued_at
    if call.duration_seconds is not None and call.status not in IN_PROGRESS_STATUSES:
        duration = call.duration_seconds
    else:
        duration = max(0, int((now - started).total_seconds())) if started else 0
    return {
        "call_sid": call.call_sid,
        "campaign_id": call.campaign_id,
        "campaign_name": call.campaign.name,
        "lead_id": call.lead_id,
        "lead_name": call.lead.name,
        "stage": call.current_stage or None,
        "status": call.status,
        "outcome": call.outcome or None,
        "duration_seconds": duration,
        "started_at": started.isoformat() if started else None,
    }


def send(groups, message):
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            # "group" lets a page that listens to several groups check each one's sequence.
            async_to_sync(layer.group_send)(group, {**message, "seq": next_sequence(group), "group": group,
                                                    "type": "live.message", "event": message["type"]})  # fmt: skip
        except Exception:
            logger.exception("live update to %s not sent", group)


def counters():
    """Cheap counts for the cards: calls in progress and the queue (glossary definitions)."""
    now = timezone.now()
    return {
        "calls_in_progress": CallSession.objects.in_progress().count(),
        "calls_queued": CallSession.objects.filter(status=CallStatus.QUEUED).count()
        + ScheduledCall.objects.due(now).count(),
    }


def on_call_changed(sender, *, call, changes, ended=False, **kwargs):
    message = {"type": "call.ended" if ended else "call.updated", "call": call_payload(call)}
    groups = [campaign_group(call.campaign_id), STAFF_GROUP]
    send(groups, message)
    # Counters change when a call starts or ends; send them at most once a second per process.
    if (changes.get("created") or ended or "status" in changes) and cache.add(
        "live:counters-throttle", 1, COUNTERS_THROTTLE_SECONDS
    ):
        send(groups, {"type": "counters", **counters()})


def on_export_progress(sender, *, job, **kwargs):
    layer = get_channel_layer()
    if layer is None:
        return
    message = {
        "type": "live.message",
        "event": "export.progress",
        "seq": 0,
        "job": {
            "id": job.pk,
            "status": job.status,
            "progress": job.progress,
            "rows_written": job.rows_written,
        },
    }
    try:
        async_to_sync(layer.group_send)(f"user.{job.user_id}", message)
    except Exception:
        logger.exception("export progress not sent")

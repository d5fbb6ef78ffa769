"""Live updates: turn domain events into WebSocket messages for the groups that may see them.

Groups: `campaign.<id>` (members and staff watching that campaign, and every dashboard socket of
a user who may see it) and `staff` (staff dashboards see every campaign). Every message carries a
per-group sequence number; a page that sees a gap resyncs from /dashboard/realtime (channels-redis
drops group messages silently when a channel is over capacity).
"""

import asyncio
import logging
import os
import threading
import time
from collections import Counter

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.db.models import Count
from django.utils import timezone

from voiceagent.models import IN_PROGRESS_STATUSES, CallSession, ScheduledCall

logger = logging.getLogger(__name__)
STAFF_GROUP = "staff"
COUNTERS_THROTTLE_SECONDS = 1
# Changes are gathered this long, so a batch of 500 events of 50 calls becomes 50 messages.
FLUSH_DELAY_SECONDS = 0.05


def campaign_group(campaign_id):
    return f"campaign.{campaign_id}"


def reserve_sequences(group, count):
    """`count` consecutive sequence numbers of `group`, shared by every process through the cache."""
    key = f"live:seq:{group}"
    try:
        cache.add(key, 0, None)
        last = cache.incr(key, count)
    except Exception:  # the cache being down must not lose the push itself
        return [0] * count
    return list(range(last - count + 1, last + 1))


def call_payload(call, now=None):
    """A call shaped like a /dashboard/realtime `active_calls` item."""
    now = now or timezone.now()
    # From the call's start, as analytics.selectors.active_calls counts it.
    started = call.initiated_at or call.queued_at or call.answered_at
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


def counters(campaign_ids):
    """Calls in progress and queued (glossary), per campaign asked for and over every campaign."""
    now = timezone.now()
    in_progress = _count_by_campaign(CallSession.objects.in_progress())
    queued = _count_by_campaign(CallSession.objects.queued())
    queued.update(_count_by_campaign(ScheduledCall.objects.queued(now)))
    per_campaign = {
        campaign_id: {
            "calls_in_progress": in_progress[campaign_id],
            "calls_queued": queued[campaign_id],
        }
        for campaign_id in campaign_ids
    }
    overall = {"calls_in_progress": in_progress.total(), "calls_queued": queued.total()}
    return per_campaign, overall


def _count_by_campaign(queryset):
    rows = (
        queryset.order_by()
        .values("campaign_id")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "n")
    )
    return Counter(dict(rows))


class LivePusher:
    """Pushes call changes from a background thread of this process, coalesced per call.

    The request that ingested the events returns without waiting for Redis; within
    FLUSH_DELAY_SECONDS the thread sends the latest state of each changed call (an end is never
    coalesced away) to its campaign group and the staff group, all sends of a flush concurrently.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.pending = {}
        self.counters_due = set()
        self.pid = None
        self.thread = None

    def submit(self, payload, *, ended, counters_changed):
        with self.lock:
            earlier = self.pending.get(payload["call_sid"])
            self.pending[payload["call_sid"]] = (payload, ended or bool(earlier and earlier[1]))
            if counters_changed:
                self.counters_due.add(payload["campaign_id"])
            self._ensure_thread()
        self.wake.set()

    def _ensure_thread(self):
        # First use in this process (or in a forked child), or the thread is gone: start one,
        # so that no failure silences the live updates of a process until it restarts.
        if self.pid != os.getpid() or self.thread is None or not self.thread.is_alive():
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._run, name="live-pusher", daemon=True)
            self.thread.start()

    def _take(self):
        with self.lock:
            pending, self.pending = self.pending, {}
            counters_due, self.counters_due = self.counters_due, set()
        return pending, counters_due

    def _run(self):
        loop = asyncio.new_event_loop()
        while True:
            self.wake.wait()
            time.sleep(FLUSH_DELAY_SECONDS)
            self.wake.clear()
            pending, counters_due = self._take()
            try:
                messages = self._messages(pending, counters_due)
                loop.run_until_complete(_send_all(messages))
            except Exception:
                logger.exception("live updates not sent")
            finally:
                try:
                    close_old_connections()
                    connection.close()
                except Exception:  # e.g. the database is down: the next flush tries again
                    logger.exception("live pusher could not close its database connection")

    def _counters_later(self, counters_due):
        """Throttled: keep the campaigns for a flush after the window, so that the last change
        of a burst is still announced."""
        with self.lock:
            self.counters_due |= counters_due
        timer = threading.Timer(COUNTERS_THROTTLE_SECONDS, self.wake.set)
        timer.daemon = True
        timer.start()

    def _messages(self, pending, counters_due):
        by_group = {}
        for payload, ended in pending.values():
            message = {"event": "call.ended" if ended else "call.updated", "call": payload}
            for group in (campaign_group(payload["campaign_id"]), STAFF_GROUP):
                by_group.setdefault(group, []).append(message)
        if counters_due and not cache.add("live:counters-throttle", 1, COUNTERS_THROTTLE_SECONDS):
            self._counters_later(counters_due)
        elif counters_due:
            per_campaign, overall = counters(counters_due)
            for campaign_id, counts in per_campaign.items():
                by_group.setdefault(campaign_group(campaign_id), []).append(
                    {"event": "counters", "campaign_id": campaign_id, **counts}
                )
            by_group.setdefault(STAFF_GROUP, []).append(
                {"event": "counters", "campaign_id": None, **overall}
            )
        sends = []
        for group, group_messages in by_group.items():
            for message, seq in zip(
                group_messages, reserve_sequences(group, len(group_messages)), strict=True
            ):
                # "group" lets a page that listens to several groups check each one's sequence.
                sends.append(
                    (group, {"type": "live.message", "seq": seq, "group": group, **message})
                )
        return sends


async def _send_all(sends):
    """Send every message; groups concurrently, each group's messages in sequence order."""
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    by_group = {}
    for group, message in sends:
        by_group.setdefault(group, []).append(message)

    async def send_in_order(group, messages):
        for message in messages:
            await layer.group_send(group, message)

    results = await asyncio.gather(
        *(send_in_order(group, messages) for group, messages in by_group.items()),
        return_exceptions=True,
    )
    failures = [result for result in results if isinstance(result, Exception)]
    if failures:
        logger.error(
            "live messages of %d of %d groups not sent: %r",
            len(failures),
            len(by_group),
            failures[0],
        )


pusher = LivePusher()


def on_call_changed(sender, *, call, changes, ended=False, **kwargs):
    payload = call_payload(call)
    counters_changed = bool(changes.get("created") or ended or "status" in changes)
    if isinstance(get_channel_layer(), InMemoryChannelLayer):
        # Embedded mode: the in-memory layer lives in the server's event loop and is not
        # thread-safe, so send from the request, through that loop (async_to_sync).
        due = {payload["campaign_id"]} if counters_changed else set()
        async_to_sync(_send_all)(pusher._messages({payload["call_sid"]: (payload, ended)}, due))
        return
    pusher.submit(payload, ended=ended, counters_changed=counters_changed)


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

"""Live updates: turn domain events into WebSocket messages for the groups that may see them.

Groups: `campaign.<id>` (members and staff watching that campaign, and every dashboard socket of
a user who may see it) and `staff` (staff dashboards see every campaign). The messages carry all
a page needs, so that it reads /dashboard/realtime only when its socket connects and when it
misses a message:
- `call.updated` / `call.ended`: the call, shaped like a realtime `active_calls` item;
- `counters`: one campaign's calls_in_progress and calls_queued, absolute (a page adds up the
  campaigns it shows, starting from realtime's `campaigns`);
each with `as_of` (when it was read: a page keeps the newest reading of a call or a campaign,
whatever order messages from several processes arrive in) and a per-group sequence number (a
page that sees a gap resyncs: channels-redis drops group messages silently when a channel is
over capacity).

Counts also change without any call changing; those paths push `counters` the same way:
- a campaign paused or resumed, a lead closed or put on (or taken off) the do-not-call list, a
  follow-up edited by staff: the `live_counts_changed` domain event, after commit;
- a follow-up falling due (the clock alone): while a process holds live sockets, it looks every
  LIVE_DUE_CHECK_SECONDS for follow-ups that fell due since the last look (of any process) and
  pushes their campaigns' counts (`DueFollowUpWatch`).
"""

import asyncio
import logging
import os
import threading
import time
import weakref
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

from analytics.selectors import campaigns_with_follow_ups_fallen_due, live_counts_by_campaign
from voiceagent.events import for_each_change
from voiceagent.models import IN_PROGRESS_STATUSES, Campaign
from voiceagent.redis_client import cache_redis_client

logger = logging.getLogger(__name__)
STAFF_GROUP = "staff"
COUNTERS_THROTTLE_SECONDS = 1
# Changes are gathered this long, so a batch of 500 events of 50 calls becomes 50 messages.
FLUSH_DELAY_SECONDS = 0.05
DUE_CHECK_LOCK = "live:due-check-lock"
DUE_CHECKED_UNTIL = "live:due-checked-until"
# A page reads every count as its socket connects, so a look never needs to go further back.
DUE_CHECK_LOOKBACK = timedelta(minutes=1)


def campaign_group(campaign_id):
    return f"campaign.{campaign_id}"


def reserve_sequences(group, count):
    """`count` consecutive sequence numbers of `group`, shared by every process through the cache."""
    try:
        last = _increment(f"live:seq:{group}", count)
    except Exception:  # the cache being down must not lose the push itself
        return [0] * count
    return list(range(last - count + 1, last + 1))


def _increment(key, amount):
    """The cache's counter `key` raised by `amount`, from 0 when missing: one INCRBY on Redis
    (the cache's add and incr took three round trips), add and incr on another cache."""
    client = cache_redis_client()
    if client is not None:
        return client.incrby(cache.make_and_validate_key(key), amount)
    cache.add(key, 0, None)
    return cache.incr(key, amount)


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


def stamp(moment):
    """`as_of` of a message: milliseconds, which every browser's Date.parse reads."""
    return moment.isoformat(timespec="milliseconds")


def counters(campaign_ids, now=None):
    """Calls in progress and queued (glossary) of each campaign asked for, zeros included."""
    counts = live_counts_by_campaign(
        campaigns=Campaign.objects.filter(pk__in=campaign_ids), now=now
    )
    zeros = {"calls_in_progress": 0, "calls_queued": 0}
    return {campaign_id: counts.get(campaign_id, zeros) for campaign_id in campaign_ids}


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
        self.counters_timer = None
        # Set while nothing is pending, due or being sent, counts held back by the throttle
        # aside (they go out at most once a second, whatever the traffic): the bench waits on
        # it after each batch.
        self.idle = threading.Event()
        self.idle.set()
        # Seconds spent building and sending flushes, not waiting: the bench charges them to
        # ingestion, whose batches set them off.
        self.busy_seconds = 0.0

    def submit(self, payload, *, ended, counters_changed, as_of=None):
        as_of = as_of or timezone.now()
        with self.lock:
            earlier = self.pending.get(payload["call_sid"])
            self.pending[payload["call_sid"]] = (
                payload,
                ended or bool(earlier and earlier[1]),
                as_of,
            )
            if counters_changed:
                self.counters_due.add(payload["campaign_id"])
            self.idle.clear()
            self._ensure_thread()
        self.wake.set()

    def submit_counters(self, campaign_ids):
        """Push these campaigns' counts (throttled like those of call changes)."""
        with self.lock:
            self.counters_due.update(campaign_ids)
            self.idle.clear()
            self._ensure_thread()
        self.wake.set()

    def quiesce(self, timeout=10):
        """Drop what is pending or held back by the throttle and wait for a flush under way,
        until none is left (a flush that was under way may hold its counts back again, with a
        timer of its own): afterwards the pusher reads nothing until something is submitted.
        True once quiet, False when `timeout` seconds went by first. A test's database is
        flushed after it (tests/conftest.py): a flush's read of the counts racing the TRUNCATE
        of every table deadlocked."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                self.pending.clear()
                self.counters_due.clear()
                timer, self.counters_timer = self.counters_timer, None
            if timer is not None:
                timer.cancel()
            if not self.idle.wait(timeout=max(0, deadline - time.monotonic())):
                return False
            with self.lock:
                if not (self.pending or self.counters_due or self.counters_timer):
                    return True

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
            started = time.perf_counter()
            pending, counters_due = self._take()
            try:
                messages = self.messages(pending, counters_due)
                loop.run_until_complete(_send_all(messages))
            except Exception:
                logger.exception("live updates not sent")
            finally:
                try:
                    # As at the end of a request: closed when DB_CONN_MAX_AGE says so (at once
                    # by default) or when unusable. Kept, a flush's counts are read on a warm
                    # connection: opening one cost the read about 10 ms (a new backend plans
                    # with cold catalog caches).
                    close_old_connections()
                except Exception:  # e.g. the database is down: the next flush tries again
                    logger.exception("live pusher could not close its database connection")
                self.busy_seconds += time.perf_counter() - started
                self._idle_unless_more()

    def _idle_unless_more(self):
        with self.lock:
            held_back = self.counters_timer is not None
            more = self.pending or (self.counters_due and not held_back)
            if not more and not self.wake.is_set():
                self.idle.set()

    def _counters_later(self, counters_due):
        """Throttled: keep the campaigns for a flush after the window, so that the last change
        of a burst is still announced."""
        with self.lock:
            self.counters_due |= counters_due
            if self.counters_timer is not None:
                return  # the pending wake-up flushes these too: one timer thread, not one a flush
            self.counters_timer = threading.Timer(COUNTERS_THROTTLE_SECONDS, self._counters_due_now)
            self.counters_timer.daemon = True
            self.counters_timer.start()

    def _counters_due_now(self):
        # Forgotten before the wake-up: counters held back again by the flush it sets off get a
        # timer of their own (a thread still ending would otherwise pass for a pending one).
        with self.lock:
            self.counters_timer = None
            self.idle.clear()
        self.wake.set()

    def messages(self, pending, counters_due, *, throttle=True):
        """[(group, message)] of pending call changes and of the due campaigns' counters (the
        counters are held back for later when `throttle` is set and counters went out less than
        COUNTERS_THROTTLE_SECONDS ago)."""
        by_group = {}
        for payload, ended, as_of in pending.values():
            message = {
                "event": "call.ended" if ended else "call.updated",
                "call": payload,
                "as_of": stamp(as_of),
            }
            for group in (campaign_group(payload["campaign_id"]), STAFF_GROUP):
                by_group.setdefault(group, []).append(message)
        throttled = throttle and counters_due
        if throttled and not cache.add("live:counters-throttle", 1, COUNTERS_THROTTLE_SECONDS):
            self._counters_later(counters_due)
        elif counters_due:
            # Taken before the reads: the counts are at least as new as `as_of`.
            as_of = timezone.now()
            for campaign_id, counts in sorted(counters(counters_due, now=as_of).items()):
                message = {
                    "event": "counters",
                    "campaign_id": campaign_id,
                    **counts,
                    "as_of": stamp(as_of),
                }
                for group in (campaign_group(campaign_id), STAFF_GROUP):
                    by_group.setdefault(group, []).append(message)
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


def envelopes(sends):
    """{group: what one group_send carries}: a group's one message as it is, several in one
    `live.messages` envelope, in sequence order, that the consumer forwards one by one.

    A group_send costs several Redis round trips whatever it carries: a batch of 500 events
    changes some 50 calls, whose 100 messages (their campaign's group and staff) went out as 100
    group_sends, most of the pusher's CPU; in envelopes they are one a group. The page sees the
    same frames."""
    by_group = {}
    for group, message in sends:
        by_group.setdefault(group, []).append(message)
    return {
        group: messages[0]
        if len(messages) == 1
        else {"type": "live.messages", "messages": messages}
        for group, messages in by_group.items()
    }


async def _send_all(sends):
    """Send every message, one group_send a group (envelopes), groups concurrently."""
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    by_group = envelopes(sends)
    results = await asyncio.gather(
        *(layer.group_send(group, message) for group, message in by_group.items()),
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
    now = timezone.now()
    payload = call_payload(call, now)
    counters_changed = bool(changes.get("created") or ended or "status" in changes)
    if isinstance(get_channel_layer(), InMemoryChannelLayer):
        # Embedded mode: the in-memory layer lives in the server's event loop and is not
        # thread-safe, so send from the request, through that loop (async_to_sync). No pusher
        # thread runs here to send a throttled count later, so counts are never throttled.
        due = {payload["campaign_id"]} if counters_changed else set()
        pending = {payload["call_sid"]: (payload, ended, now)}
        async_to_sync(_send_all)(pusher.messages(pending, due, throttle=False))
        return
    pusher.submit(payload, ended=ended, counters_changed=counters_changed, as_of=now)


def on_calls_changed(sender, *, changes, **kwargs):
    """The changes of one commit: in the pusher, each call's latest state once (it keeps only
    that, an end never coalesced away), its payload built once; in embedded mode, as
    `on_call_changed` for each change."""
    if isinstance(get_channel_layer(), InMemoryChannelLayer):
        for_each_change(
            changes,
            lambda call, call_changes, ended: on_call_changed(
                sender, call=call, changes=call_changes, ended=ended
            ),
            receiver="live update",
        )
        return
    by_call = {}
    for call, call_changes, ended in changes:
        counters_changed = bool(call_changes.get("created") or ended or "status" in call_changes)
        was_ended, was_counted = by_call.get(id(call), (call, False, False))[1:]
        by_call[id(call)] = (call, was_ended or ended, was_counted or counters_changed)
    now = timezone.now()

    def submit(call, ended, counters_changed):
        pusher.submit(
            call_payload(call, now), ended=ended, counters_changed=counters_changed, as_of=now
        )

    for_each_change(by_call.values(), submit, receiver="live update")


def on_live_counts_changed(sender, *, campaign_ids, **kwargs):
    if isinstance(get_channel_layer(), InMemoryChannelLayer):
        # Embedded mode: sent from the request through the server's loop, as on_call_changed does.
        async_to_sync(_send_all)(pusher.messages({}, set(campaign_ids), throttle=False))
        return
    pusher.submit_counters(campaign_ids)


def due_follow_up_counters(now=None):
    """The counters messages of campaigns whose follow-ups fell due since the last look by any
    process; nothing when another process looked less than LIVE_DUE_CHECK_SECONDS ago."""
    now = now or timezone.now()
    if not cache.add(DUE_CHECK_LOCK, 1, settings.LIVE_DUE_CHECK_SECONDS):
        return []
    floor = now - DUE_CHECK_LOOKBACK
    since = max(cache.get(DUE_CHECKED_UNTIL) or floor, floor)
    campaign_ids = campaigns_with_follow_ups_fallen_due(since=since, now=now)
    cache.set(DUE_CHECKED_UNTIL, now, None)
    return pusher.messages({}, campaign_ids, throttle=False)


class DueFollowUpWatch:
    """While this process holds live sockets, pushes the counts of campaigns whose follow-ups
    fell due: the clock alone moves them into calls_queued, no call or write announces it.

    One task per event loop (uvicorn runs one; tests open several), started by the first socket
    and stopped with the last, so an idle process reads nothing.
    """

    def __init__(self):
        self.loops = weakref.WeakKeyDictionary()  # event loop -> [open sockets, task]

    def socket_opened(self):
        loop = asyncio.get_running_loop()
        entry = self.loops.setdefault(loop, [0, None])
        entry[0] += 1
        if entry[1] is None or entry[1].done():
            entry[1] = loop.create_task(self._run())

    def socket_closed(self):
        loop = asyncio.get_running_loop()
        entry = self.loops.get(loop)
        if entry is None:
            return
        entry[0] -= 1
        if entry[0] <= 0:
            entry[1].cancel()
            del self.loops[loop]

    async def _run(self):
        while True:
            await asyncio.sleep(settings.LIVE_DUE_CHECK_SECONDS)
            try:
                await _send_all(await database_sync_to_async(due_follow_up_counters)())
            except Exception:  # e.g. the database is down: the next look covers this one's window
                logger.exception("counts of follow-ups fallen due not sent")


due_follow_up_watch = DueFollowUpWatch()


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

"""The live pusher thread keeps pushing whatever happens to one flush: a failure never silences
a process's live updates until it restarts."""

import os
import threading
import time

import pytest

from analytics import live


def payload(call_sid):
    return {"call_sid": call_sid, "campaign_id": 987654, "status": "ringing"}


def wait_for_flush(pusher):
    deadline = time.monotonic() + 2
    while (pusher.pending or pusher.wake.is_set()) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(live.FLUSH_DELAY_SECONDS * 4)


def test_pusher_survives_an_error_while_closing_its_database_connection(monkeypatch):
    def refuse():
        raise RuntimeError("Database access not allowed")

    monkeypatch.setattr(live, "close_old_connections", refuse)
    pusher = live.LivePusher()
    pusher.submit(payload("CA-P1"), ended=False, counters_changed=False)
    wait_for_flush(pusher)
    first = pusher.thread

    pusher.submit(payload("CA-P2"), ended=False, counters_changed=False)
    wait_for_flush(pusher)

    assert first.is_alive()
    assert pusher.thread is first
    assert pusher.pending == {}


def test_pusher_starts_a_new_thread_when_its_thread_is_gone():
    pusher = live.LivePusher()
    gone = threading.Thread(target=lambda: None)
    gone.start()
    gone.join()
    pusher.pid, pusher.thread = os.getpid(), gone

    pusher.submit(payload("CA-P3"), ended=False, counters_changed=False)
    wait_for_flush(pusher)

    assert pusher.thread is not gone
    assert pusher.thread.is_alive()
    assert pusher.pending == {}


@pytest.mark.django_db
def test_counters_held_back_by_the_throttle_are_sent_after_it_not_dropped(team):
    from django.core.cache import cache

    pusher = live.LivePusher()
    cache.set("live:counters-throttle", 1, 30)  # a counters message went out a moment ago
    try:
        first = pusher.messages({}, {team.campaign.pk})
        assert first == []
        assert pusher.counters_due == {team.campaign.pk}  # kept for the next flush
    finally:
        cache.delete("live:counters-throttle")
    _, due = pusher._take()
    later = pusher.messages({}, due)
    # One campaign's counts, to its own group and to the staff dashboards.
    assert [(group, m["event"], m["campaign_id"]) for group, m in later] == [
        (f"campaign.{team.campaign.pk}", "counters", team.campaign.pk),
        ("staff", "counters", team.campaign.pk),
    ]


@pytest.mark.django_db
def test_counters_held_back_by_the_throttle_wait_on_one_timer_however_many_flushes_hold_them(team):
    from django.core.cache import cache

    pusher = live.LivePusher()
    before = {thread for thread in threading.enumerate() if isinstance(thread, threading.Timer)}
    cache.set("live:counters-throttle", 1, 30)
    try:
        for _ in range(5):
            assert pusher.messages({}, {team.campaign.pk}) == []
    finally:
        cache.delete("live:counters-throttle")
    timers = {t for t in threading.enumerate() if isinstance(t, threading.Timer)} - before
    assert timers == {pusher.counters_timer}
    assert pusher.counters_due == {team.campaign.pk}


@pytest.mark.django_db
def test_counters_held_back_again_by_the_flush_a_timer_set_off_get_a_timer_of_their_own(team):
    from django.core.cache import cache

    pusher = live.LivePusher()
    cache.set("live:counters-throttle", 1, 30)
    try:
        assert pusher.messages({}, {team.campaign.pk}) == []
        first = pusher.counters_timer
        first.cancel()
        pusher._counters_due_now()  # what the timer calls: the pusher is woken to flush
        _, due = pusher._take()
        assert pusher.messages({}, due) == []  # still throttled (another process sent counts)
    finally:
        cache.delete("live:counters-throttle")
    assert pusher.counters_timer is not None and pusher.counters_timer is not first
    assert pusher.counters_due == {team.campaign.pk}
    pusher.counters_timer.cancel()


def test_sequence_numbers_of_a_group_follow_on_from_one_reservation_to_the_next():
    from django.core.cache import cache

    cache.delete("live:seq:campaign.424242")
    assert live.reserve_sequences("campaign.424242", 3) == [1, 2, 3]
    assert live.reserve_sequences("campaign.424242", 2) == [4, 5]
    cache.delete("live:seq:campaign.424242")


def test_sequence_numbers_go_on_from_a_counter_the_cache_itself_wrote():
    from django.core.cache import cache

    cache.set("live:seq:campaign.434343", 41, None)  # as cache.add and incr left it before
    assert live.reserve_sequences("campaign.434343", 2) == [42, 43]
    assert cache.get("live:seq:campaign.434343") == 43
    cache.delete("live:seq:campaign.434343")


def test_sequence_numbers_on_a_cache_that_is_not_redis(settings):
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["default"].clear()
    assert live.reserve_sequences("staff", 2) == [1, 2]
    assert live.reserve_sequences("staff", 1) == [3]


def test_the_pusher_is_idle_once_it_has_sent_what_was_submitted_and_counts_its_work():
    pusher = live.LivePusher()
    assert pusher.idle.is_set() and pusher.busy_seconds == 0

    pusher.submit(payload("CA-P4"), ended=False, counters_changed=False)
    assert not pusher.idle.is_set()  # until its flush has gone out

    assert pusher.idle.wait(timeout=5)
    assert pusher.pending == {}
    assert 0 < pusher.busy_seconds < live.FLUSH_DELAY_SECONDS  # its work, not its wait


@pytest.mark.django_db
def test_counts_held_back_by_the_throttle_leave_the_pusher_idle_until_their_timer_fires(team):
    from django.core.cache import cache

    pusher = live.LivePusher()
    cache.set("live:counters-throttle", 1, 30)  # a counters message went out a moment ago
    try:
        pusher.submit_counters([team.campaign.pk])
        assert pusher.idle.wait(timeout=5)  # held back: once a second, whatever the traffic
        assert pusher.counters_due == {team.campaign.pk}
        pusher.counters_timer.cancel()
        pusher._counters_due_now()  # the timer fires: the counts are due again
        assert not pusher.idle.is_set()
    finally:
        cache.delete("live:counters-throttle")


def test_sequence_numbers_in_contexts_of_their_own_share_the_processs_redis_client():
    """Under ASGI each request has a cache object (and pool) of its own: the numbers must come
    through the one client of the process, not a pool per context kept for good."""
    import asyncio
    import contextvars

    from asgiref.sync import sync_to_async

    from voiceagent.redis_client import cache_redis_client

    clients = []

    def reserve():
        live.reserve_sequences("campaign.454545", 1)
        clients.append(cache_redis_client())

    async def in_fresh_contexts():
        for _ in range(3):
            await asyncio.create_task(sync_to_async(reserve)(), context=contextvars.Context())

    asyncio.run(in_fresh_contexts())
    assert len({id(client) for client in clients}) == 1
    assert clients[0].get(live.cache.make_and_validate_key("live:seq:campaign.454545")) is not None
    clients[0].delete(live.cache.make_and_validate_key("live:seq:campaign.454545"))


@pytest.mark.django_db
def test_quiesce_also_stops_counts_that_a_flush_under_way_holds_back_meanwhile(team):
    """A flush that took its work before quiesce() cleared it may hold its counts back with a
    timer of its own while quiesce waits for it: quiesce stops that timer too."""
    from django.core.cache import cache

    pusher = live.LivePusher()
    taken, release = threading.Event(), threading.Event()
    messages = pusher.messages

    def held_up_messages(pending, counters_due, **kwargs):
        taken.set()
        release.wait(timeout=5)
        return messages(pending, counters_due, **kwargs)

    pusher.messages = held_up_messages
    cache.set("live:counters-throttle", 1, 30)  # the flush will hold its counts back
    try:
        pusher.submit_counters([team.campaign.pk])
        assert taken.wait(timeout=5)  # the flush has taken the counts
        threading.Timer(0.2, release.set).start()

        assert pusher.quiesce(timeout=5)

        assert (pusher.counters_timer, pusher.counters_due, pusher.pending) == (None, set(), {})
        assert pusher.idle.is_set()
    finally:
        release.set()
        cache.delete("live:counters-throttle")

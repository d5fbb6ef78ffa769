"""A rollup rebuild locks its own campaign only (analytics/rollups/locks.py): ingestion of another
campaign commits while it runs, ingestion of the same campaign waits for it, and a batch caught
between writing its calls and writing its rollups is waited for and counted once, as is an ORM
save. Real
PostgreSQL, each thread on its own connection, committed transactions."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction

from analytics.models import CallRollup
from analytics.rollups.locks import ROLLUP_LOCK_NAMESPACE, campaign_lock_key
from analytics.rollups.rebuild import rebuild_campaign, verify_campaign
from tests.analytics.test_rebuild_rollups import AT, _campaign_with_calls
from tests.analytics.test_rollups import _event
from tests.db_locks import WAIT, in_thread
from tests.factories import make_campaign, make_lead
from voiceagent.ingestion import services
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import CallOutcome, CallSession

pytestmark = pytest.mark.django_db(transaction=True)


def _finished_call(lead, sid):
    """A new answered, qualified call of `lead` with one turn (200 + 400 ms)."""
    call = {"sid": sid, "lead": lead, "n": 0}
    turn = {"sequence": 1, "speaker": "agent", "text": "Namaste", "stt_ms": 200, "llm_ms": 400}
    return [
        _event(call, "call.initiated", AT),
        _event(call, "call.answered", AT + timedelta(seconds=2)),
        _event(call, "call.turn", AT + timedelta(seconds=3), turn),
        _event(call, "call.completed", AT + timedelta(seconds=40), {"outcome": "qualified"}),
    ]


def _open_rebuild(campaign_id, failures):
    """A thread that rebuilds the campaign and keeps its transaction (and lock) open until
    `release` is set; returns (thread, rebuilt, release)."""
    rebuilt, release = threading.Event(), threading.Event()

    def rebuild():
        with transaction.atomic():
            rebuild_campaign(campaign_id)
            rebuilt.set()
            release.wait(timeout=WAIT)

    return in_thread(rebuild, failures), rebuilt, release


def _exclusive_lock_held(campaign_id):
    """Whether a granted exclusive rollup lock of the campaign (two-int advisory form) exists."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND mode = 'ExclusiveLock' AND objsubid = 2 "
            "AND classid::bigint = %s AND objid::bigint = %s",
            [ROLLUP_LOCK_NAMESPACE, campaign_lock_key(campaign_id)],
        )
        return cursor.fetchone()[0] == 1


def _wait_for_a_rollup_lock_wait(campaign_id):
    """True once another backend waits for the campaign's rollup lock (not for a row or table)."""
    for _ in range(600):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objsubid = 2 AND classid::bigint = %s AND objid::bigint = %s",
                [ROLLUP_LOCK_NAMESPACE, campaign_lock_key(campaign_id)],
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.1)
    return False


def _waited_for_the_lock(campaign_id, waiter, release, *others):
    """Whether `waiter` is found waiting for the campaign's rollup lock; then sets `release` and
    joins the waiter and the `others` threads."""
    waited = _wait_for_a_rollup_lock_wait(campaign_id) and waiter.is_alive()
    release.set()
    for thread in (waiter, *others):
        thread.join(timeout=WAIT)
    return waited


def _calls_made(campaign_id):
    return sum(
        CallRollup.objects.filter(campaign_id=campaign_id).values_list("calls_made", flat=True)
    )


def test_a_batch_of_another_campaign_commits_while_a_rebuild_holds_its_campaign():
    rebuilt_lead = _campaign_with_calls()
    other_lead = make_lead(make_campaign())
    failures = []
    rebuilder, rebuilt, release = _open_rebuild(rebuilt_lead.campaign_id, failures)
    assert rebuilt.wait(timeout=WAIT)

    writer = in_thread(
        lambda: ingest_events(events=_finished_call(other_lead, "CA-other"), source="api"),
        failures,
    )
    writer.join(timeout=30)
    committed_during_rebuild = not writer.is_alive()
    lock_held = _exclusive_lock_held(rebuilt_lead.campaign_id)
    other_calls = _calls_made(other_lead.campaign_id)
    release.set()
    writer.join(timeout=WAIT)
    rebuilder.join(timeout=WAIT)

    assert (committed_during_rebuild, lock_held, failures) == (True, True, [])
    assert other_calls == 1  # committed and visible while the rebuild was still open
    assert _calls_made(rebuilt_lead.campaign_id) == 2
    assert verify_campaign(rebuilt_lead.campaign_id) == []
    assert verify_campaign(other_lead.campaign_id) == []


def test_a_batch_of_the_same_campaign_waits_for_its_rebuild_and_is_counted_once():
    lead = _campaign_with_calls()
    failures = []
    rebuilder, rebuilt, release = _open_rebuild(lead.campaign_id, failures)
    assert rebuilt.wait(timeout=WAIT)

    writer = in_thread(
        lambda: ingest_events(events=_finished_call(lead, "CA-same"), source="api"), failures
    )
    waited = _waited_for_the_lock(lead.campaign_id, writer, release, rebuilder)

    assert (waited, failures) == (True, [])
    assert _calls_made(lead.campaign_id) == 3
    assert verify_campaign(lead.campaign_id) == []


def test_a_batch_whose_calls_are_written_when_the_rebuild_starts_is_counted_once(
    monkeypatch, caplog
):
    """The batch has written its calls and turns (not committed) but not yet its rollups when
    the rebuild of its campaign starts: the rebuild waits for the batch's commit (the batch took
    its campaign's lock before its leads'), recounts it, and neither deadlocks nor retries."""
    lead = _campaign_with_calls()
    failures, calls_written, proceed = [], threading.Event(), threading.Event()
    apply_calls = services.apply_calls

    def apply_calls_when_told(changes):
        calls_written.set()
        proceed.wait(timeout=WAIT)
        apply_calls(changes)

    monkeypatch.setattr(services, "apply_calls", apply_calls_when_told)
    caplog.set_level("INFO", logger="voiceagent.ingestion.services")
    writer = in_thread(
        lambda: ingest_events(events=_finished_call(lead, "CA-midway"), source="api"), failures
    )
    assert calls_written.wait(timeout=WAIT)

    rebuilder = in_thread(lambda: rebuild_campaign(lead.campaign_id), failures)
    rebuild_waited = _waited_for_the_lock(lead.campaign_id, rebuilder, proceed, writer)

    assert (rebuild_waited, failures) == (True, [])
    assert "retrying" not in caplog.text  # no deadlock, no second attempt
    assert _calls_made(lead.campaign_id) == 3
    assert verify_campaign(lead.campaign_id) == []


def test_an_orm_save_of_the_rebuilt_campaign_waits_for_the_rebuild_and_is_counted_once():
    """A call saved through the ORM (the admin) takes its campaign's lock just before its
    rollup write: it waits for the open rebuild, then moves its share once."""
    lead = _campaign_with_calls()
    call = CallSession.objects.filter(lead=lead, outcome=CallOutcome.NOT_INTERESTED).get()
    failures = []
    rebuilder, rebuilt, release = _open_rebuild(lead.campaign_id, failures)
    assert rebuilt.wait(timeout=WAIT)

    def requalify():
        call.outcome = CallOutcome.QUALIFIED
        call.save()

    saver = in_thread(requalify, failures)
    waited = _waited_for_the_lock(lead.campaign_id, saver, release, rebuilder)

    assert (waited, failures) == (True, [])
    assert CallRollup.objects.get(campaign=lead.campaign).calls_qualified == 2
    assert verify_campaign(lead.campaign_id) == []


def test_verify_reads_one_snapshot_so_a_lead_committed_meanwhile_is_no_drift(monkeypatch):
    """A lead committed between verify's count of the leads and its read of the stored totals
    (whose trigger the insert moved) would be a false drift of one; verification reads one
    snapshot instead, and takes no lock the writer waits for."""
    from analytics.rollups import rebuild

    campaign = make_campaign("Verified")
    make_lead(campaign)
    counted = rebuild.counted_leads
    failures = []

    def count_then_commit_a_lead(campaign_id):
        counts = counted(campaign_id)
        in_thread(lambda: make_lead(campaign), failures).join(WAIT)
        return counts

    monkeypatch.setattr(rebuild, "counted_leads", count_then_commit_a_lead)
    assert (verify_campaign(campaign.pk), failures) == ([], [])
    monkeypatch.setattr(rebuild, "counted_leads", counted)
    assert (verify_campaign(campaign.pk), campaign.leads.count()) == ([], 2)


def test_a_resent_batch_answers_without_waiting_for_a_rebuild_of_its_campaign():
    """Every event of the batch was logged before: the log refuses it before the batch takes
    its campaign's rollup lock, so the answer does not wait for the rebuild holding it."""
    campaign = make_campaign("Resent")
    events = _finished_call(make_lead(campaign), "CA1")
    ingest_events(events=events, source="api")
    failures, results = [], []
    rebuild, rebuilt, release = _open_rebuild(campaign.pk, failures)
    try:
        assert rebuilt.wait(WAIT), failures
        resend = in_thread(
            lambda: results.append(ingest_events(events=events, source="api")),
            failures,
            lock_timeout="2s",
        )
        resend.join(WAIT)
    finally:
        release.set()
        rebuild.join(WAIT)
    assert failures == []
    assert results == [services.IngestResult(accepted=0, duplicates=len(events))]

"""Many workers posting the events of the same calls at once lose nothing, and a batch blocks
no more than it must (real PostgreSQL)."""

import json
import random
import threading

import pytest
from django.db import OperationalError, connection, transaction

from tests.db_locks import WAIT, in_thread, rows_held, wait_for_a_lock_wait
from tests.factories import make_campaign, make_lead
from tests.voiceagent.ingestion.call_scripts import (
    CallScript,
    answered_call,
    at,
    call_state,
    lead_state,
    unanswered_call,
)
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import (
    CallError,
    CallEvent,
    CallSession,
    ConversationTurn,
    ScheduledCall,
)

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 8


def post_concurrently(batches):
    """Every batch posted by WORKERS threads released together; returns (accepted, duplicates)."""
    totals, errors, lock = [0, 0], [], threading.Lock()
    barrier = threading.Barrier(WORKERS)
    queues = [batches[worker::WORKERS] for worker in range(WORKERS)]

    def work(mine):
        try:
            barrier.wait()
            for batch in mine:
                result = ingest_events(events=batch, source="api")
                with lock:
                    totals[0] += result.accepted
                    totals[1] += result.duplicates
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(mine,)) for mine in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return tuple(totals)


def test_events_of_the_same_calls_posted_at_once_from_threads_all_land():
    campaign = make_campaign("Concurrent", max_attempts=3)
    shared_lead, other_lead = make_lead(campaign), make_lead(campaign)
    events = (
        answered_call(shared_lead, "CA1")
        + unanswered_call(shared_lead, "CA2", start=600)
        + answered_call(other_lead, "CA3", outcome="callback_requested")
    )
    random.Random(4).shuffle(events)
    batches = [events[i : i + 3] for i in range(0, len(events), 3)]
    # Every batch twice, by different workers: the event_id race must count duplicates, not fail.
    batches = batches + batches[1:] + batches[:1]

    accepted, duplicates = post_concurrently(batches)

    assert (accepted, duplicates) == (len(events), len(events))
    assert CallEvent.objects.count() == 38
    assert ConversationTurn.objects.count() == 12
    assert CallSession.objects.count() == 3
    first = call_state("CA1")
    assert (first["status"], first["outcome"], first["current_stage"]) == (
        "completed",
        "qualified",
        "closing",
    )
    assert first["qualification"] == {
        "purpose": "buy",
        "budget": "80 lakh",
        "timeline": "3 months",
        "interest_level": "high",
    }
    assert CallSession.objects.get(call_sid="CA1").stages_reached == [
        "greeting",
        "discovery",
        "closing",
    ]
    assert (call_state("CA2")["status"], call_state("CA2")["attempt_number"]) == ("no_answer", 2)
    assert lead_state(shared_lead)[:3] == (2, call_state("CA2")["initiated_at"], "no_answer")
    assert lead_state(other_lead)[2:] == ("callback_requested", "callback")
    assert sorted(
        ScheduledCall.objects.values_list("source_call__call_sid", "reason", "status")
    ) == [
        ("CA2", "retry", "canceled"),  # its lead qualified on CA1
        ("CA3", "callback", "pending"),
    ]


def test_one_call_hammered_by_single_event_batches_keeps_every_turn():
    lead = make_lead(make_campaign("Hammered"))
    events = answered_call(lead, "CA1")
    batches = [[event] for event in events] * 2

    accepted, duplicates = post_concurrently(batches)

    assert (accepted, duplicates) == (17, 17)
    state = call_state("CA1")
    assert [turn[0] for turn in state["turns"]] == [1, 2, 3, 4, 5, 6]
    assert (state["status"], state["duration_seconds"], len(state["objections"])) == (
        "completed",
        50,
        1,
    )


def _event(lead, call_sid, event_type, seconds):
    return CallScript(lead, call_sid).add(event_type, seconds, event_id=f"{call_sid}-{event_type}")


def _inserted_without_waiting(create):
    """Whether `create()` commits in its own transaction without waiting a second for a lock."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            create()
    except OperationalError as exc:
        assert "lock timeout" in str(exc)
        return False
    return True


def test_a_batch_holding_its_lead_and_calls_lets_others_insert_rows_that_reference_them():
    """A batch locks its leads and calls to update them, never their keys: a follow-up of its
    lead or an error of its call, inserted meanwhile by another transaction (whose foreign-key
    check takes FOR KEY SHARE), goes ahead instead of waiting for the batch's commit."""
    lead = make_lead(make_campaign("Referenced"))
    for sid in ("CA1", "CA2"):
        ingest_events(events=_event(lead, sid, "call.queued", 0).events, source="api")
    first = CallSession.objects.get(call_sid="CA1")
    failures = []
    batch = [*_event(lead, "CA1", "call.initiated", 2).events]
    batch += _event(lead, "CA2", "call.initiated", 2).events

    # The batch locks its lead, then CA1, and waits for CA2 (held here) with both locks held.
    with rows_held(CallSession.objects.filter(call_sid="CA2")):
        writer = in_thread(lambda: ingest_events(events=batch, source="api"), failures)
        assert wait_for_a_lock_wait(waiters=[writer]), failures
        follow_up_went_ahead = _inserted_without_waiting(
            lambda: ScheduledCall.objects.create(
                lead=lead, campaign=lead.campaign, scheduled_for=at(3600), reason="callback"
            )
        )
        error_went_ahead = _inserted_without_waiting(
            lambda: CallError.objects.create(
                call=first, component="telephony", message="Jitter", occurred_at=at(3)
            )
        )
    writer.join(WAIT)

    assert (follow_up_went_ahead, error_went_ahead, failures) == (True, True, [])
    assert sorted(CallSession.objects.values_list("call_sid", "status")) == [
        ("CA1", "initiated"),
        ("CA2", "initiated"),
    ]


@pytest.mark.parametrize("where", ["update_rows", "apply_calls"])
def test_a_deadlock_inside_the_pipeline_is_retried_and_the_batch_lands(team, monkeypatch, where):
    from tests.voiceagent.ingestion.call_scripts import answered_call
    from voiceagent.ingestion import services
    from voiceagent.models import CallSession

    lead = make_lead(team.campaign)
    events = answered_call(lead, "CA-DEADLOCK")
    services.ingest_events(events=events[:3])
    write, deadlocked = getattr(services, where), []

    def deadlocking_once(*arguments):
        write(*arguments)
        if not deadlocked:
            deadlocked.append(where)
            with connection.cursor() as cursor:  # as PostgreSQL reports a deadlock
                cursor.execute(
                    "DO $$BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END$$"
                )

    monkeypatch.setattr(services, where, deadlocking_once)

    result = services.ingest_events(events=events[3:])

    assert deadlocked == [where]
    assert result.accepted == len(events) - 3
    assert CallSession.objects.get(call_sid="CA-DEADLOCK").status == "completed"


def test_a_call_started_meanwhile_for_another_lead_reruns_the_batch_which_then_names_it():
    """The batch's new calls are inserted last, with ids drawn earlier: when another
    transaction has meanwhile inserted the same call_sid for another lead, the batch's insert
    waits for it, is refused by the unique call_sid once it commits, and the batch runs again,
    finding the call and refusing the event that gives it to a second lead (nothing stored)."""
    from voiceagent.ingestion.services import InvalidEvents

    campaign = make_campaign("Raced")
    ours, theirs = make_lead(campaign, "Asha Rao"), make_lead(campaign, "Vikram Shah")
    inserted, release, failures = threading.Event(), threading.Event(), []

    def start_the_call_for_the_other_lead():
        try:
            with transaction.atomic():
                CallSession.objects.create(
                    call_sid="CA-RACE", campaign=campaign, lead=theirs, status="queued"
                )
                inserted.set()
                release.wait(WAIT)
        finally:
            connection.close()

    holder = threading.Thread(target=start_the_call_for_the_other_lead)
    holder.start()
    assert inserted.wait(WAIT)
    script = CallScript(ours, "CA-RACE").add("call.queued", 0).add("call.initiated", 2)
    writer = in_thread(lambda: ingest_events(events=script.events, source="api"), failures)
    try:
        assert wait_for_a_lock_wait(waiters=[writer]), failures
    finally:
        release.set()
        holder.join(WAIT)
    writer.join(WAIT)

    assert [type(failure) for failure in failures] == [InvalidEvents]
    assert failures[0].errors == [
        {
            "index": 0,
            "field": "call_sid",
            "message": f"Call 'CA-RACE' belongs to lead {theirs.pk} of campaign {campaign.pk}.",
        }
    ]
    assert list(CallSession.objects.values_list("call_sid", "lead_id")) == [("CA-RACE", theirs.pk)]
    assert not CallEvent.objects.exists()


def test_only_a_refused_call_sid_reruns_the_batch():
    """A unique violation of another key of the calls (an id, say) is an error, not a race."""
    from django.db import IntegrityError

    from voiceagent.ingestion.services import _names_constraint

    lead = make_lead(make_campaign("Keys"))
    first = CallSession.objects.create(call_sid="CA-KEY", campaign=lead.campaign, lead=lead)
    refused = {}
    for what, values in (("call_sid", {"call_sid": "CA-KEY"}), ("id", {"pk": first.pk})):
        values = {"call_sid": "CA-OTHER", **values}
        try:
            with transaction.atomic():
                CallSession.objects.create(campaign=lead.campaign, lead=lead, **values)
        except IntegrityError as exc:
            refused[what] = exc

    assert _names_constraint(refused["call_sid"], CallSession, "call_sid") is True
    assert _names_constraint(refused["id"], CallSession, "call_sid") is False
    assert _names_constraint(refused["call_sid"], CallEvent, "event_id") is False


def test_an_event_logged_by_another_batch_after_the_log_was_read_reruns_as_a_duplicate():
    """A batch reads the log beside its locks; an event another transaction logs after that
    read is refused by the log's unique event_id later in the pipeline, and the batch runs
    again: the event counts as a duplicate, the others are stored once."""
    import psycopg

    lead = make_lead(make_campaign("Late log"))
    events = unanswered_call(lead, "CA-LATE")
    other = psycopg.connect(**connection.get_connection_params())
    # The other transaction logs the second event (as a batch resending it would), uncommitted.
    other.execute(
        "INSERT INTO voiceagent_callevent (event_id, type, call_sid, occurred_at, payload, "
        "source, received_at) VALUES (%s, %s, %s, %s, %s, 'api', now())",
        [events[1]["event_id"], events[1]["type"], "CA-LATE", events[1]["occurred_at"],
         json.dumps(events[1])],
    )  # fmt: skip
    results, failures = [], []
    batch = in_thread(lambda: results.append(ingest_events(events=events)), failures)
    try:
        assert wait_for_a_lock_wait(waiters=[batch])  # the log's insert waits on the other's row
        other.commit()
        batch.join(WAIT)
    finally:
        other.close()

    assert failures == []
    assert [(result.accepted, result.duplicates) for result in results] == [(3, 1)]
    assert CallEvent.objects.filter(call_sid="CA-LATE").count() == 4
    assert CallSession.objects.get(call_sid="CA-LATE").status == "no_answer"

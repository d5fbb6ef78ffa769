"""The one ingestion service: call events in, CallSession/turns/objections/leads/follow-ups out.

`ingest_events(*, events, source)` is what the API, the Exotel webhook, the simulator, replay and
the tests call. A batch is applied in one transaction, and any bad event rejects it whole
(nothing stored: the transaction rolls back). A batch bad only by its references (an unknown
lead, a lead of another campaign) is refused after its log rows were stored and its leads and
campaigns locked, for the time of that rollback: the price of checking them without a read of
their own:

1. idempotency: an event_id seen before with the same payload is a duplicate (counted, nothing
   changes); with a different payload it is a conflict (ConflictingEvents, nothing stored);
2. every new event is logged in CallEvent (the audit log replay reads), in the same pass that
   checks the events (voiceagent.ingestion.schema): each LOG_ROWS_PER_STATEMENT events checked
   are sent to PostgreSQL, which stores them while Python checks the next; the leads and
   campaigns they name are checked from the leads step 3 locks (no read of its own). The log
   is read for the batch's event_ids beside the locks; the unique event_id refuses an event a
   concurrent batch logged after that read, and the transaction runs again;
3. the batch's leads are locked (SELECT ... FOR NO KEY UPDATE, in id order), then its calls (in
   call_sid order); a call is created by the first of its events to arrive, whatever its type.
   Locking the lead first serialises every writer of one lead's calls, so concurrent web workers
   lose no update and cannot deadlock on each other's inserts; campaign edits, rescoring,
   imports and DNC changes take leads in the same order (voiceagent/campaigns/locks.py); a lost
   get-or-create race (unique call_sid) or a deadlock retries the whole transaction;
4. events are folded into their calls by voiceagent.ingestion.call_state (order-independent), new turns
   and objections are bulk-inserted, calls bulk-updated;
5. each touched lead is re-projected from all of its calls (attempt numbers, call_attempts,
   last call and outcome, status, and one follow-up ScheduledCall per ended call), so that lead
   state is a function of the calls, never of the order their events came in; the leads
   whose calls changed what a score reads get their score again (voiceagent.campaigns.scoring,
   one statement);
6. calls this batch finished or qualified get their alert and webhook outbox rows
   (notifications.outbox), delivered by the worker after commit;
7. after commit, one domain event per accepted non-duplicate event (voiceagent.events), all
   sent by one commit hook, and one `calls_changed` carrying them all.

The order of the statements differs from the steps' order: a batch is one pipeline
(voiceagent.ingestion.bulk.pipelined), PostgreSQL working while Python does, and nothing is
waited for but what Python needs next. First, before the events are checked, what they name
(_BatchKeys, from the raw events) is locked and read (_Reads): the log's rows of their event_ids,
the campaigns' rollup locks, the leads, the calls, ids for the new calls (drawn from their
sequence), the stored turns the batch sends again, the stored calls of its leads (the
projection), the stored turns and objections of its calls that may count in the rollups (ended,
or ending now), whether anyone subscribed to notifications of its campaigns. PostgreSQL takes
and reads them while Python checks the events, then stores the log's rows while Python checks
the rest. Then the new turns, objections and errors, stored while Python folds the events and
works out the rollups' differences and the projection (5); then the outbox rows (6), the new
calls (inserted last with their final values: what references them are deferred foreign keys),
the existing calls' updates, the leads' projection and follow-ups, the scores and the rollups,
each run while Python builds the next. A batch whose checked events name something the raw ones
did not give (a Python caller's int subclass, say) runs again, locking by the checked events.

The locks come before the log's rows and the checks: every batch, one refused as invalid too,
waits for the locks of its leads and calls that a concurrent batch holds, and for a rollup
rebuild of its campaigns if one runs, before it is answered (a pipeline ends once each statement
sent has run); but a batch whose every event is logged already takes no lock. The rebuild
neither reads nor references the log.

The number of queries per batch does not grow with its size but for the log's rows, one
statement per LOG_ROWS_PER_STATEMENT events (tests/voiceagent/ingestion/test_batch_queries.py;
one more on connections that prepare statements, which ask for generic plans:
voiceagent.prepared.plan_generically); fewer when nothing changed what a lead's score reads.
"""

import gc
import json
import logging
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from operator import attrgetter, itemgetter

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from analytics.rollups import contribution as rollup
from analytics.rollups.locks import lock_campaigns_for_writing
from analytics.rollups.writer import apply_calls
from notifications import outbox
from voiceagent.campaigns import lifecycle, scoring
from voiceagent.events import announcing, publish_call_changes
from voiceagent.ingestion import call_state
from voiceagent.ingestion.bulk import (
    JsonText,
    insert_documents,
    insert_rows,
    insert_values,
    lock_instances_later,
    pipelined,
    read_rows,
    read_rows_by_pairs_later,
    read_rows_later,
    reserve_ids_for_missing_later,
    update_rows,
)
from voiceagent.ingestion.schema import (
    BIGINT_MAX,
    INT_MAX,
    MAX_BATCH_EVENTS,
    MAX_CALL_SID_LENGTH,
    MAX_EVENT_ID_LENGTH,
    EventType,
    clean_event,
)
from voiceagent.models import (
    ENDED_STATUSES,
    FINISHED_STATUSES,
    CallError,
    CallEvent,
    CallSession,
    CallStatus,
    Campaign,
    ConversationTurn,
    Lead,
    Objection,
    ScheduledCall,
    ScheduledCallStatus,
)
from voiceagent.prepared import plan_generically, started

logger = logging.getLogger(__name__)

# Sent once per rejected batch or callback (sender=None, source="api"|"exotel"|..., reason=
# "invalid"|"conflict"|"unknown_call"), for errors_total; accepted events are announced by
# voiceagent.events instead.
events_rejected = Signal()

MAX_TRANSACTION_ATTEMPTS = 4
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
UNIQUE_VIOLATION = "23505"

CALL_FIELDS = [
    "script_variant", "status", "outcome", "ended_by", "queued_at", "initiated_at", "ringing_at",
    "answered_at", "ended_at", "duration_seconds", "current_stage", "stage_first_reached",
    "qualification", "recording_url", "error", "last_event_at", "ingest_state", "updated_at",
    "attempt_number",
]  # fmt: skip
LOG_FIELDS = ["event_id", "type", "call_sid", "occurred_at", "payload", "source", "received_at"]
TURN_FIELDS = [
    "call", "sequence", "speaker", "text", "stage", "started_at", "stt_ms", "llm_ms", "tts_ms",
    "llm_input_tokens", "llm_output_tokens", "tts_characters",
]  # fmt: skip
TURN_CONTENT_FIELDS = TURN_FIELDS[2:]
OBJECTION_FIELDS = ["call", "category", "text", "occurred_at", "event_id"]
ERROR_FIELDS = ["call", "component", "message", "code", "occurred_at", "event_id"]
# Fields whose change can change the lead's projection (attempts, outcome, follow-ups).
LEAD_RELEVANT_FIELDS = ("status", "outcome", "initiated_at", "ended_at")


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


class IngestionError(Exception):
    """A rejected batch; nothing of it was stored."""


class InvalidEvents(IngestionError):
    """400: `errors` is a list of {"index", "field", "message"}."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in the batch")


class ConflictingEvents(IngestionError):
    """409: `conflicts` is a list of {"index", "event_id", "message"}."""

    def __init__(self, conflicts):
        self.conflicts = conflicts
        super().__init__(f"{len(conflicts)} conflicting event(s) in the batch")


class _Retry(Exception):
    """A concurrent transaction won a race; run the whole batch again (it now sees the winner)."""


class _AlreadyLogged(_Retry):
    """A concurrent batch logged an event of the batch after this run read the log: run it
    again (reading the log again). `validation` is the batch's _Validation when this run
    checked the events."""

    def __init__(self, validation=None):
        super().__init__()
        self.validation = validation


def batch_problem(message, field="body"):
    return {"index": None, "field": field, "message": message}


def _event_list(events):
    """The batch as a list of raw events, or InvalidEvents naming what is wrong with its shape."""
    if isinstance(events, dict):
        events = [events]
    if not isinstance(events, list):
        raise InvalidEvents([batch_problem("Send one event object or a list of events.")])
    if not events:
        raise InvalidEvents([batch_problem("The batch is empty; send at least one event.")])
    if len(events) > MAX_BATCH_EVENTS:
        raise InvalidEvents(
            [batch_problem(f"{len(events)} events; a batch holds at most {MAX_BATCH_EVENTS}.")]
        )
    return events


class _Validation:
    """One pass over a batch's raw events: each is checked (voiceagent.ingestion.schema) and,
    while the batch has no problem, the log row of each new one is given to the caller, so that
    PostgreSQL stores the rows already given while the rest are checked.

    The events are taken in event_id order (the log's rows too: two batches sharing event_ids
    then wait on each other instead of deadlocking). Afterwards `cleaned` holds the valid events
    in batch order, `problems` what is wrong, and `fresh`, `duplicates` and `conflicts` what
    _split_duplicates gives with the payloads `logged()` gives (read once, when the first event
    is checked: sent before the checks, in the same pipeline).
    """

    def __init__(self, events, *, source, received_at, logged):
        self.events, self.source, self.received_at = events, source, received_at
        self.logged = logged
        self.cleaned, self.problems, self.fresh, self.duplicates, self.conflicts = [], [], [], 0, []

    def log_rows(self):
        seen, logged = {}, self.logged()
        for index in sorted(range(len(self.events)), key=lambda i: _event_id_key(self.events[i])):
            event, problems = clean_event(self.events[index], index, source=self.source)
            if problems:
                self.problems.extend(problems)
                continue
            self.cleaned.append(event)
            repeated = _repeated(event, logged, seen)
            if repeated is _DUPLICATE:
                self.duplicates += 1
            elif repeated is not None:
                self.conflicts.append(repeated)
            else:
                self.fresh.append(event)
            if repeated is None and not self.problems and not self.conflicts:
                yield _log_row(event, source=self.source, received_at=self.received_at)
        self.cleaned.sort(key=attrgetter("index"))
        self.fresh.sort(key=attrgetter("index"))

    def raise_structure_problems(self):
        """_Malformed when an event's structure is wrong (no database read): _ingest names
        them, and the others' bad references, once the transaction is rolled back."""
        if self.problems:
            raise _Malformed(self)

    def raise_conflicts(self):
        """ConflictingEvents for the event_ids sent twice in the batch with different content."""
        if self.conflicts:
            raise ConflictingEvents(sorted(self.conflicts, key=itemgetter("index")))


class _Malformed(Exception):
    """Events of the batch are malformed (`validation.problems`)."""

    def __init__(self, validation):
        super().__init__()
        self.validation = validation


def _event_id_key(raw):
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    return event_id if isinstance(event_id, str) else ""


def _check_references(events, lead_campaign=None):
    problems = _reference_problems(events, lead_campaign)
    if problems:
        raise InvalidEvents(problems)


def _reference_problems(events, lead_campaign=None):
    """Unknown campaigns or leads, leads of another campaign, one call given two owners;
    `lead_campaign` ({lead id: campaign id} of the events' leads that exist) when already read."""
    if not events:
        return []
    if lead_campaign is None:
        lead_campaign = dict(
            read_rows(Lead, ("id", "campaign_id"), column="id", values={e.lead_id for e in events})
        )
    # A lead's campaign exists (a foreign key): only campaigns none of those leads belong to
    # are read (none, usually).
    campaigns = set(lead_campaign.values())
    campaigns.update(
        pk
        for (pk,) in read_rows(
            Campaign, ("id",), column="id", values={e.campaign_id for e in events} - campaigns
        )
    )
    problems, owner = [], {}
    for event in events:
        field, message = None, None
        if event.campaign_id not in campaigns:
            field, message = "campaign_id", f"Unknown campaign {event.campaign_id}."
        elif event.lead_id not in lead_campaign:
            field, message = "lead_id", f"Unknown lead {event.lead_id}."
        elif lead_campaign[event.lead_id] != event.campaign_id:
            field, message = (
                "lead_id",
                f"Lead {event.lead_id} belongs to campaign {lead_campaign[event.lead_id]}, "
                f"not to campaign {event.campaign_id}.",
            )
        else:
            first = owner.setdefault(event.call_sid, event)
            if (first.campaign_id, first.lead_id) != (event.campaign_id, event.lead_id):
                field, message = (
                    "call_sid",
                    f"Event {first.index} of this batch gives call {event.call_sid!r} to lead "
                    f"{first.lead_id} of campaign {first.campaign_id}.",
                )
        if field:
            problems.append({"index": event.index, "field": field, "message": message})
    return problems


def ingest_events(*, events, source="api", received_at=None):
    """Validate and apply a batch (one event dict or a list); see the module docstring.

    Raises InvalidEvents (400) or ConflictingEvents (409) with nothing stored.
    """
    try:
        with cyclic_collection_paused():
            return _ingest(events, source=source, received_at=received_at or timezone.now())
    except InvalidEvents:
        events_rejected.send(sender=None, source=source, reason="invalid")
        raise
    except ConflictingEvents:
        events_rejected.send(sender=None, source=source, reason="conflict")
        raise


@contextmanager
def cyclic_collection_paused():
    """Python's cyclic garbage collector off inside (unless something else turned it off).

    A batch allocates a few hundred thousand objects (events, calls, rows, contributions) that
    live until it ends and are then freed by reference counting. With the collector on, they
    outlive its young collections, are promoted to the oldest generation and set off full
    collections of the whole process's heap (bench/profile_ingestion.py: about 10 ms of a
    500-event batch's CPU in collections, a third of that with it off). Off is per process, not
    per thread: what another thread allocates meanwhile is collected once it is on again.

    Batches of concurrent requests run in threads of one process: looking at the collector and
    turning it off is one step under a lock, or a batch ending between another's look (off) and
    its turning it off would leave it off for good. The batch that found it on turns it on again
    when it ends, even while another still runs.
    """
    with _collector_switch:
        was_enabled = gc.isenabled()
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            with _collector_switch:
                gc.enable()


_collector_switch = threading.Lock()


def _ingest(events, *, source, received_at):
    events = _event_list(events)
    validation, attempt = None, 1
    while attempt <= MAX_TRANSACTION_ATTEMPTS:
        try:
            with transaction.atomic():
                return _run(events, validation, source=source, received_at=received_at)
        except _Malformed as exc:
            # Out of the rolled-back transaction (a refused row aborts it): the well-formed
            # events' references are read too, so that every bad event is named at once.
            problems = exc.validation.problems + _reference_problems(exc.validation.cleaned)
            raise InvalidEvents(sorted(problems, key=itemgetter("index"))) from None
        except _Relock as exc:
            # Keys the events gave only once checked (_BatchKeys): locked from them this time.
            validation = exc.validation
            continue
        except _AlreadyLogged as exc:
            # A concurrent batch logged one of its events after this one read the log: run
            # again, reading it.
            validation = validation or exc.validation
            logger.info("ingestion lost a race (attempt %s); retrying", attempt)
        except _Retry:
            logger.info("ingestion lost a race (attempt %s); retrying", attempt)
        except OperationalError as exc:
            if attempt == MAX_TRANSACTION_ATTEMPTS or not _retryable(exc):
                raise
            logger.info("ingestion hit %s (attempt %s); retrying", exc, attempt)
        attempt += 1
    raise OperationalError("ingestion could not complete after repeated concurrent conflicts")


def _run(events, validation, *, source, received_at):
    """One attempt at the batch, in the caller's transaction and in one pipeline: the locks and
    the reads the writes depend on are sent first, so that PostgreSQL takes and reads them
    while Python checks the events (first attempt: `validation` None) and then while the log's
    rows are stored; the rest is _apply's."""
    try:
        with pipelined():
            if validation is None:
                keys = _BatchKeys.of_raw(events)
            else:
                keys = _BatchKeys.of(validation.cleaned)
            reads = _Reads.sent(keys)
            if validation is None:
                validation = _validate_and_log(
                    events, source=source, received_at=received_at, logged=reads.logged
                )
                if not keys.covers(_BatchKeys.of(validation.cleaned)):
                    raise _Relock(validation)
                # Their leads and campaigns are checked once the leads are locked.
                fresh, duplicates = validation.fresh, validation.duplicates
                unchecked = validation.cleaned
            else:
                fresh, duplicates = _log_again(
                    validation.cleaned, reads.logged(), source=source, received_at=received_at
                )
                unchecked = []
            return _apply(
                fresh, duplicates=duplicates, received_at=received_at, unchecked=unchecked,
                reads=reads,
            )  # fmt: skip
    except IntegrityError as exc:
        if _names_constraint(exc, CallEvent, "event_id"):
            # A concurrent batch logged one of its events after the log was read: the
            # pipeline's statements after the refused row did not run.
            raise _AlreadyLogged(validation) from exc
        if _names_constraint(exc, CallSession, "call_sid"):
            # A concurrent batch created one of its calls (for another lead) first: the batch
            # runs again to see it.
            raise _Retry() from exc
        raise


class _Relock(Exception):
    """The checked events name a lead, campaign or call the raw ones did not give
    (_BatchKeys.of_raw): run again, locking and reading by the checked events."""

    def __init__(self, validation):
        super().__init__()
        self.validation = validation


@dataclass
class _BatchKeys:
    """What the locks and the reads sent before the events are checked need of them."""

    event_ids: set
    campaigns: set
    leads: set
    call_sids: set
    ending: set  # call_sids of events that may end their call (call_state.ENDING_TYPES)
    turns: set  # (call_sid, sequence) of turn events

    @classmethod
    def of(cls, events):
        """Of checked events (schema.Event)."""
        return cls(
            event_ids={event.event_id for event in events},
            campaigns={event.campaign_id for event in events},
            leads={event.lead_id for event in events},
            call_sids={event.call_sid for event in events},
            ending={e.call_sid for e in events if e.type in call_state.ENDING_TYPES},
            turns={(e.call_sid, e.data["sequence"]) for e in events if e.type == EventType.TURN},
        )

    @classmethod
    def of_raw(cls, events):
        """Of raw events, before they are checked: the values of the types clean_event keeps
        as they are, and only values PostgreSQL takes in the reads' array parameters (in the
        columns' ranges; text without NUL, encodable in UTF-8: anything else would abort the
        pipeline before the check names it). A batch with other values is refused, or its keys
        are taken again from the checked events (covers)."""
        keys = cls(
            event_ids=set(), campaigns=set(), leads=set(), call_sids=set(), ending=set(),
            turns=set(),
        )  # fmt: skip
        for raw in events:
            if not isinstance(raw, dict):
                continue
            event_id = raw.get("event_id")
            if _sendable(event_id, MAX_EVENT_ID_LENGTH):
                keys.event_ids.add(event_id)
            campaign, lead, sid = raw.get("campaign_id"), raw.get("lead_id"), raw.get("call_sid")
            if type(campaign) is int and 1 <= campaign <= BIGINT_MAX:
                keys.campaigns.add(campaign)
            if type(lead) is int and 1 <= lead <= BIGINT_MAX:
                keys.leads.add(lead)
            if not _sendable(sid, MAX_CALL_SID_LENGTH):
                continue
            keys.call_sids.add(sid)
            kind = raw.get("type")
            if type(kind) is str and kind in _ENDING_TYPE_NAMES:
                keys.ending.add(sid)
            elif kind == EventType.TURN.value:
                data = raw.get("data")
                sequence = data.get("sequence") if isinstance(data, dict) else None
                if type(sequence) is int and 0 <= sequence <= INT_MAX:
                    keys.turns.add((sid, sequence))
        return keys

    def covers(self, other):
        return (
            self.event_ids >= other.event_ids
            and self.campaigns >= other.campaigns
            and self.leads >= other.leads
            and self.call_sids >= other.call_sids
            and self.ending >= other.ending
            and self.turns >= other.turns
        )


def _sendable(text, limit):
    """Whether `text` is a string a text column holds (at most `limit` characters, no NUL,
    encodable in UTF-8)."""
    if type(text) is not str or not 0 < len(text) <= limit or "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


_ENDING_TYPE_NAMES = frozenset(event_type.value for event_type in call_state.ENDING_TYPES)


def _nothing_locked():
    raise AssertionError("a batch of logged events only reads what it locked")


@dataclass
class _Reads:
    """The locks and reads of a batch, sent (inside the pipeline) and read when asked for."""

    logged: object
    leads: object
    calls: object
    new_call_ids: object
    stored_turns: object
    stored_calls: object
    stored_details: object
    subscribed: object

    @classmethod
    def sent(cls, keys):
        plan_generically()
        # First what the checks of the events need: which of them are logged already (with
        # their payloads, to tell a resent event from a conflicting one), read before the rest
        # is sent: a pipeline's results are read in order, each once every statement sent
        # before it has run, and the checks would otherwise wait for the locks.
        logged = _logged_payloads_later(keys.event_ids)
        if keys.event_ids and keys.event_ids <= logged().keys():
            # Every event was logged before: the batch writes nothing (its events are resent or
            # conflicting), locks nothing and so waits for no rebuild of its campaigns.
            return cls(logged, *[_nothing_locked] * (len(fields(cls)) - 1))
        # Three locks, taken in this order. The campaigns' before any lead or call: a rollup
        # rebuild of these campaigns waits for this batch or it for the rebuild, never both
        # (analytics/rollups/locks.py). Then the leads, then the calls (ingestion takes them in
        # this order; voiceagent/campaigns/locks.py).
        lock_campaigns_for_writing(keys.campaigns)
        leads = _lock_leads_later(keys.leads)
        calls = lock_instances_later(
            CallSession, column="call_sid", values=keys.call_sids, order_by="call_sid"
        )
        # Then what the writes depend on, as it stands before the batch's rows are written:
        # ids for the new calls, the stored turns the batch sends again, the stored calls of
        # its leads (the projection), the stored turns and objections of its calls that may
        # count in the rollups (those ended or ending now), whether anyone subscribed to
        # notifications of its campaigns.
        return cls(
            logged=logged,
            leads=leads,
            calls=calls,
            new_call_ids=reserve_ids_for_missing_later(
                CallSession, column="call_sid", values=keys.call_sids
            ),
            stored_turns=_stored_turns_later(keys.turns),
            stored_calls=_stored_calls_later(keys.leads),
            stored_details=_stored_details_later(keys.call_sids, keys.ending),
            subscribed=outbox.subscriptions_later(keys.campaigns) if announcing() else None,
        )


def _names_constraint(exc, model, field_name):
    """Whether `exc` (an IntegrityError) is a unique violation of `model`'s `field_name`, told
    by the constraint's name, which names the column (the transaction is aborted: nothing can
    be read to ask). False where the database does not name it (SQLite)."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    column = model._meta.get_field(field_name).column
    return (
        getattr(cause, "sqlstate", None) == UNIQUE_VIOLATION
        and diag is not None
        and diag.table_name == model._meta.db_table
        and column in (diag.constraint_name or "")
    )


def _validate_and_log(events, *, source, received_at, logged):
    """Check the batch and log its new events in one pass (the _Validation): PostgreSQL stores
    the log's rows while Python checks the events after them. `logged`: the function
    _logged_payloads_later returned for the batch's event_ids. Raises _Malformed (which _ingest
    turns into InvalidEvents), InvalidEvents for a bad reference beside a conflict,
    ConflictingEvents (within the batch, or with the log) or, where the database refuses a row
    at once (SQLite; PostgreSQL's is raised by a later send or read: _run), _AlreadyLogged,
    all before anything else is written; the log's rows go with the rolled-back transaction."""
    validation = _Validation(events, source=source, received_at=received_at, logged=logged)
    rows = validation.log_rows()
    try:
        _insert_log_rows(rows)
    except IntegrityError as exc:
        # A concurrent batch logged one of these event_ids after the log was read.
        refused = exc
    else:
        refused = None
    for _ in rows:  # the events after the one the log refused: checked all the same
        pass
    validation.raise_structure_problems()
    if refused is not None:
        # The transaction is aborted: the references are checked on the next run.
        raise _AlreadyLogged(validation) from refused
    if validation.conflicts:
        # A bad reference is refused (400) before a conflict (409), as on a run after the
        # first (_log_again).
        _check_references(validation.cleaned)
    validation.raise_conflicts()
    return validation


LOG_ROWS_PER_STATEMENT = 100


def _insert_log_rows(rows):
    """INSERT the log's `rows` (an iterator, maybe still checking the events after them) in
    statements of LOG_ROWS_PER_STATEMENT rows, each sent as soon as its rows are made: inside a
    pipeline, PostgreSQL stores the first while Python makes the next, and a refused row
    (IntegrityError) is raised when a later statement is sent or a later result read."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == LOG_ROWS_PER_STATEMENT:
            insert_documents(CallEvent, LOG_FIELDS, chunk)
            chunk = []
    insert_documents(CallEvent, LOG_FIELDS, chunk)


def _log_again(events, logged, *, source, received_at):
    """A run after the first: (new events, duplicate count), the new ones logged; `logged`:
    the payloads of the batch's event_ids logged already (_logged_payloads_later)."""
    _check_references(events)
    fresh, duplicates = _split_duplicates(events, logged)
    if fresh:
        _log(fresh, source=source, received_at=received_at)
    return fresh, duplicates


def _retryable(exc):
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate in RETRYABLE_SQLSTATES or "database is locked" in str(exc)


def _apply(fresh, *, duplicates, received_at, unchecked, reads):
    """Fold the batch's new events, already logged, into calls, leads, follow-ups, scores and
    rollups, from the locks and reads `reads` sent before (_Reads); the `unchecked` events'
    leads and campaigns are checked from the locked leads (InvalidEvents), instead of being
    read once to check and again to lock. Inside the pipeline: nothing is waited for but what
    the next step needs, and PostgreSQL works while Python does."""
    if not fresh:  # every event a duplicate: only a run that read the log finds none new
        return IngestResult(accepted=0, duplicates=duplicates)
    first_event = {}
    for event in fresh:
        first_event.setdefault(event.call_sid, event)
    leads = reads.leads()
    if unchecked:
        _check_references(unchecked, {pk: lead.campaign_id for pk, lead in leads.items()})
    calls, new_sids = _start_calls(first_event, reads.calls(), leads, received_at=received_at)
    unsaved = _give_new_calls_ids(calls, new_sids, reads.new_call_ids())
    details = _details(fresh, calls, reads.stored_turns())
    # The new turns, objections and errors, stored while Python folds the events.
    _write_details(details)
    old = [(sid, call) for sid, call in calls.items() if sid not in new_sids]
    before = {sid: _lead_relevant(call) for sid, call in old}
    counted_before = {sid: _counted(call) for sid, call in old}
    scored_before = {sid: scoring.call_score_facts(call) for sid, call in old}
    for call in calls.values():
        call.updated_at = received_at
    publications = _fold(fresh, calls, new_sids, details.new_turns)
    counted = _counted_calls(calls, counted_before)
    rollup_changes = _rollup_changes(calls, counted, reads.stored_details(), details)
    changed = [
        call
        for sid, call in calls.items()
        if sid in new_sids or before[sid] != _lead_relevant(call)
    ]
    touched = [leads[lead_id] for lead_id in sorted({call.lead_id for call in changed})]
    # Before the calls are written: new calls are inserted with their attempt numbers
    # (and existing ones updated with theirs) in the calls' own statements.
    projection = _project_leads(touched, calls, stored=reads.stored_calls())
    if announcing():
        # Alert and webhook outbox rows, in this transaction (notifications/outbox.py);
        # it reads more (after the writes above) only where someone subscribed.
        outbox.record_call_notifications(calls=changed, subscribed=reads.subscribed())
    rescored = {call.lead_id for call, *_ in details.objections} | {
        call.lead_id
        for sid, call in calls.items()
        if scoring.call_score_facts(call) != scored_before.get(sid, scoring.UNSCORED_CALL)
    }
    # Then every write, each run while Python builds the next.
    insert_rows(CallSession, [calls[sid] for sid in unsaved], with_ids=True)
    update_rows(
        CallSession,
        [call for sid, call in calls.items() if sid not in unsaved],
        CALL_FIELDS,
    )
    projection.write(calls)
    if rescored:  # after the calls and objections it reads
        scoring.recompute_lead_scores(lead_ids=sorted(rescored), changed_only=True)
    # Last, so that the campaign's rollup rows stay locked for the shortest time.
    apply_calls(rollup_changes)
    publish_call_changes(
        [(call, changes, changes.get("ended", False)) for call, changes in publications]
    )
    return IngestResult(accepted=len(fresh), duplicates=duplicates)


def _counted(call):
    """What the rollups read of a call (analytics.rollups.contribution), as it is now."""
    row = {field: getattr(call, field) for field in rollup.CALL_FIELDS}
    row["stage_first_reached"] = dict(call.stage_first_reached or {})
    return row


# The values of rollup.TURN_FIELDS among a folded turn's values (TURN_FIELDS[1:]).
_rolled_up_turn_values = itemgetter(*(TURN_FIELDS.index(field) - 1 for field in rollup.TURN_FIELDS))


def _counted_calls(calls, counted_before):
    """{call_sid: (counted before or None, counted now)} of the batch's calls whose share of the
    rollups may move: those finished before or now."""
    finished = set(FINISHED_STATUSES)
    counted = {}
    for sid, call in calls.items():
        after = _counted(call)
        was = counted_before.get(sid)
        if after["status"] in finished or (was and was["status"] in finished):
            counted[sid] = (was, after)
    return counted


def _rollup_changes(calls, counted, stored_details, details):
    """(before, after) contribution arguments of the `counted` calls (_counted_calls): their
    `stored_details` (as rollup.stored_details gives them, read before the batch's were written)
    plus the batch's new turns and objections (`details`)."""
    new_turns, new_objections = defaultdict(list), defaultdict(list)
    for call, *values in details.turns:
        if call.call_sid in counted:  # the turns of other calls count nowhere
            new_turns[call.call_sid].append(
                dict(zip(rollup.TURN_FIELDS, _rolled_up_turn_values(values), strict=True))
            )
    for call, category, *_ in details.objections:
        new_objections[call.call_sid].append(category)
    stored_turns, stored_objections = stored_details
    changes = []
    for sid, (was, after) in counted.items():
        turns, objections = stored_turns[calls[sid].pk], stored_objections[calls[sid].pk]
        before = (was, turns, objections) if was else None
        changes.append((before, (after, turns + new_turns[sid], objections + new_objections[sid])))
    return changes


def _logged_payloads_later(event_ids):
    """{event_id: payload} of these event_ids already in the log, the statement sent now and
    read (once) when the function it returns is called."""
    rows = read_rows_later(CallEvent, ("event_id", "payload"), column="event_id", values=event_ids)

    @cache
    def logged():
        return {
            event_id: json.loads(payload) if isinstance(payload, str) else payload
            for event_id, payload in rows()
        }

    return logged


def _split_duplicates(events, logged):
    """(new events, duplicate count) given the `logged` payloads of the batch's event_ids;
    ConflictingEvents when an event_id comes with new content."""
    fresh, duplicates, conflicts, seen = [], 0, [], {}
    for event in events:
        repeated = _repeated(event, logged, seen)
        if repeated is None:
            fresh.append(event)
        elif repeated is _DUPLICATE:
            duplicates += 1
        else:
            conflicts.append(repeated)
    if conflicts:
        raise ConflictingEvents(conflicts)
    return fresh, duplicates


_DUPLICATE = object()  # what _repeated returns for a resent event


def _repeated(event, logged, seen):
    """None for an event_id neither in `logged` nor `seen` before in the batch (then noted in
    `seen`), _DUPLICATE for one with the same payload, else the conflict to report."""
    earlier = logged.get(event.event_id, seen.get(event.event_id))
    if earlier is None:
        seen[event.event_id] = event.payload
        return None
    if earlier == event.payload:
        return _DUPLICATE
    where = "earlier" if event.event_id in logged else "earlier in this batch"
    return {
        "index": event.index,
        "event_id": event.event_id,
        "message": f"Event {event.event_id!r} was received {where} with a different "
        "payload; an event_id names one event, send a new event_id for a new event.",
    }


def _log_row(event, *, source, received_at):
    return (
        event.event_id,
        event.type,
        event.call_sid,
        event.occurred_at,
        JsonText(event.payload_json),
        source,
        received_at,
    )


def _log(events, *, source, received_at):
    # Sorted, so that two batches sharing event_ids wait on each other instead of deadlocking.
    rows = [
        _log_row(event, source=source, received_at=received_at)
        for event in sorted(events, key=attrgetter("event_id"))
    ]
    try:
        _insert_log_rows(rows)
    except IntegrityError as exc:
        # One of these event_ids is logged already (or was, by a concurrent batch, first): run
        # again reading the log, to count it as a duplicate or refuse it as a conflict.
        raise _AlreadyLogged() from exc


def _lock_leads_later(lead_ids):
    """{id: lead} of these leads, locked with their campaigns attached (lock_instances_later)."""
    locked = lock_instances_later(
        Lead, column="id", values=lead_ids, order_by="id", related="campaign"
    )
    return lambda: {lead.pk: lead for lead in locked()}


def _start_calls(first_event, locked_calls, leads, *, received_at):
    """The batch's calls: the existing ones, locked (`locked_calls`), plus unsaved new ones for
    the other call_sids of `first_event` ({call_sid: its first event}); and the set of new
    call_sids. InvalidEvents for a call_sid stored for another lead or campaign.

    Each call gets its (locked) lead and campaign attached, so that receivers of the domain
    events read call.lead and call.campaign without a query per call.
    """
    calls = {call.call_sid: call for call in locked_calls}
    mismatched = [
        {
            "index": event.index,
            "field": "call_sid",
            "message": f"Call {sid!r} belongs to lead {calls[sid].lead_id} of campaign "
            f"{calls[sid].campaign_id}.",
        }
        for sid, event in first_event.items()
        if sid in calls
        and (calls[sid].campaign_id, calls[sid].lead_id) != (event.campaign_id, event.lead_id)
    ]
    if mismatched:
        raise InvalidEvents(mismatched)
    new_sids = set()
    for sid, event in first_event.items():
        if sid not in calls:
            new_sids.add(sid)
            calls[sid] = CallSession(
                call_sid=sid,
                campaign_id=event.campaign_id,
                lead_id=event.lead_id,
                status=CallStatus.QUEUED,
                stage_first_reached={},
                qualification={},
                ingest_state={},
                created_at=received_at,
            )
    for call in calls.values():
        call.lead = leads[call.lead_id]
        call.campaign = call.lead.campaign
    return calls, new_sids


def _lead_relevant(call):
    return tuple(getattr(call, field) for field in LEAD_RELEVANT_FIELDS)


@dataclass
class _Details:
    """The batch's new turns, objections and errors, as rows naming their calls, and the
    indexes of its turn events stored anew (not resent)."""

    turns: list
    objections: list
    errors: list
    new_turns: set


def _turn_content(event):
    """What a stored turn must equal for a resent call.turn to be the same turn."""
    data = event.data
    return (
        data["speaker"],
        data["text"],
        data["stage"],
        event.occurred_at,
        *(data[field] for field in TURN_CONTENT_FIELDS[4:]),
    )


def _stored_turns_later(pairs):
    """{(call_sid, sequence): content} of the turns already stored among `pairs` (the batch's
    turn events'), the statement sent now and read when the function it returns is called. By
    call_sid: it is sent before the calls' locks are read (a call not stored gives no rows)."""
    # Only the (call, sequence) pairs of the batch (none stored, usually): every turn of the
    # calls, or their turns of any sequence in the batch, are many rows read for nothing.
    rows = read_rows_by_pairs_later(
        ConversationTurn,
        ("call__call_sid", "sequence", *TURN_CONTENT_FIELDS),
        columns=("call__call_sid", "sequence"),
        pairs=pairs,
    )
    return lambda: {row[:2]: tuple(row[2:]) for row in rows()}


def _details(events, calls, turns_by_key):
    """The batch's _Details; ConflictingEvents for a turn stored before (`turns_by_key`, as
    _stored_turns_later reads them), or earlier in the batch, with other content. The calls
    have their ids."""
    details = _Details(turns=[], objections=[], errors=[], new_turns=set())
    conflicts = []
    for event in events:
        if event.type == EventType.TURN:
            content = _turn_content(event)
            if _is_new_turn(event, content, turns_by_key, conflicts):
                details.turns.append((calls[event.call_sid], event.data["sequence"], *content))
                details.new_turns.add(event.index)
        elif event.type == EventType.OBJECTION:
            data = event.data
            details.objections.append(
                (calls[event.call_sid], data["category"], data["text"], event.occurred_at,
                 event.event_id)
            )  # fmt: skip
        elif event.type == EventType.ERROR:
            data = event.data
            details.errors.append(
                (calls[event.call_sid], data["component"], data["message"], data["code"],
                 event.occurred_at, event.event_id)
            )  # fmt: skip
    if conflicts:
        raise ConflictingEvents(conflicts)
    return details


def _fold(events, calls, new_sids, new_turns):
    """Absorb every event into its call in memory; the domain events' (call, changes), in batch
    order. `new_turns`: the indexes of the turn events stored anew (_Details)."""
    publications, started = [], set()
    for event in events:
        call = calls[event.call_sid]
        was_status = (
            call.status if event.call_sid in started or event.call_sid not in new_sids else None
        )
        was_stage = call.current_stage
        was_ended = call.status in ENDED_STATUSES and was_status is not None
        was_initiated = "initiated" in call.ingest_state
        call_state.absorb(call, event)
        call_state.resolve(call)
        changes = {"type": event.type}
        if event.call_sid in new_sids and event.call_sid not in started:
            started.add(event.call_sid)
            changes["created"] = True
        if not was_initiated and "initiated" in call.ingest_state:
            changes["initiated"] = True
        if call.status != was_status:
            changes["status"] = call.status
        if call.current_stage != was_stage:
            changes["stage"] = call.current_stage
        if not was_ended and call.status in ENDED_STATUSES:
            changes["ended"] = True
        if event.type == EventType.TURN:
            if event.index in new_turns:
                data = event.data
                changes["turn"] = {
                    key: data[key] for key in ("sequence", "speaker", "stt_ms", "llm_ms", "tts_ms")
                }
        elif event.type == EventType.ERROR:
            changes["error"] = {"component": event.data["component"]}
        publications.append((call, changes))
    return publications


def _is_new_turn(event, content, turns_by_key, conflicts):
    """True for a turn not stored yet; False when stored alike; a conflict when stored otherwise.
    `content` is the event's _turn_content."""
    data = event.data
    key = (event.call_sid, data["sequence"])
    stored = turns_by_key.get(key)
    if stored is not None:
        if stored != content:
            conflicts.append(
                {
                    "index": event.index,
                    "event_id": event.event_id,
                    "message": f"Turn {data['sequence']} of call {event.call_sid!r} is already "
                    "stored with different content.",
                }
            )
        return False
    turns_by_key[key] = content
    return True


def _give_new_calls_ids(calls, new_sids, ids):
    """Give the batch's new calls their ids before anything referencing them is written; the
    call_sids of those still to insert (insert_rows with_ids). PostgreSQL: `ids` drawn from the
    calls' sequence for the call_sids not stored ({call_sid: id},
    bulk.reserve_ids_for_missing_later), the calls inserted last with their final values (their
    turns and follow-ups reference them by deferred foreign keys). Elsewhere (`ids` None):
    inserted now, updated with the others."""
    created = [calls[sid] for sid in sorted(new_sids)]
    if ids is not None:
        if not new_sids <= ids.keys():
            # A call_sid was stored by a concurrent batch between the calls' lock and the ids
            # (as a new call of another lead, maybe): run again to lock it.
            raise _Retry()
        for call in created:
            call.pk = ids[call.call_sid]
        return set(new_sids)
    try:
        insert_rows(CallSession, created)
    except IntegrityError as exc:
        # The same call_sid was created by a concurrent batch for another lead: rerun to see it.
        raise _Retry() from exc
    return set()


def _write_details(details):
    """The batch's new turns, objections and errors (their calls have ids), by statements a
    pipeline sends without waiting."""
    insert_values(
        ConversationTurn, TURN_FIELDS, [(call.pk, *rest) for call, *rest in details.turns]
    )
    insert_values(
        Objection, OBJECTION_FIELDS, [(call.pk, *rest) for call, *rest in details.objections]
    )
    insert_values(CallError, ERROR_FIELDS, [(call.pk, *rest) for call, *rest in details.errors])


def _stored_details_later(call_sids, ending):
    """rollup.stored_details of the stored calls among `call_sids` that may count in the
    rollups: those ended already, or ending in this batch (`ending`: their call_sids); one
    statement sent now and read when the function it returns is called (inside a pipeline,
    PostgreSQL runs it meanwhile). Elsewhere read now."""
    call_sids, ended = sorted(call_sids), sorted(ENDED_STATUSES)
    if connection.vendor != "postgresql":
        calls = CallSession.objects.filter(call_sid__in=call_sids).filter(
            Q(status__in=ended) | Q(call_sid__in=ending)
        )
        details = rollup.stored_details(list(calls.values_list("pk", flat=True)))
        return lambda: details
    pending = started(_stored_details_sql(), [call_sids, ended, sorted(ending)])
    return lambda: rollup.details_from_rows(pending.fetchall())


@cache
def _stored_details_sql():
    """The stored turns' rollup.TURN_FIELDS and the objections' categories, side by side, of
    the calls whose call_sid is one of %s and whose status is one of %s or call_sid one of %s
    (arrays)."""
    quote = connection.ops.quote_name
    calls, turns, objections = CallSession._meta, ConversationTurn._meta, Objection._meta
    values = ", ".join(f"t.{quote(turns.get_field(name).column)}" for name in rollup.TURN_FIELDS)
    nothing = ", ".join(["NULL"] * len(rollup.TURN_FIELDS))
    sid, status = (quote(calls.get_field(name).column) for name in ("call_sid", "status"))
    turn_call, objection_call = (
        quote(meta.get_field("call").column) for meta in (turns, objections)
    )
    return (
        f"WITH counted AS (SELECT c.{quote(calls.pk.column)} FROM {quote(calls.db_table)} c "
        f"WHERE c.{sid} = ANY(%s::varchar[]) "
        f"AND (c.{status} = ANY(%s::varchar[]) OR c.{sid} = ANY(%s::varchar[]))) "
        f"SELECT t.{turn_call}, {values}, NULL FROM {quote(turns.db_table)} t "
        f"WHERE t.{turn_call} IN (SELECT * FROM counted) UNION ALL "
        f"SELECT o.{objection_call}, {nothing}, "
        f"o.{quote(objections.get_field('category').column)} "
        f"FROM {quote(objections.db_table)} o WHERE o.{objection_call} IN (SELECT * FROM counted)"
    )


def reproject_leads(*, lead_ids):
    """Project these leads again from all of their calls (after a change made outside
    ingestion, such as a number taken off the DNC list); leads without calls are left as they are."""
    leads = _lock_leads_later(set(lead_ids))()
    called = set(
        CallSession.objects.filter(lead__in=leads.values()).values_list("lead_id", flat=True)
    )
    _project_leads([leads[pk] for pk in sorted(called)], batch_calls={}).write({})


def _stored_calls_later(lead_ids):
    """What _project_leads reads of these leads, sent now (bulk.read_rows_later) and read when
    the function it returns is called: each stored call with its follow-up (if any), in one
    statement (source_call is one-to-one)."""
    return read_rows_later(
        CallSession,
        (*_PROJECTED_FIELDS, *_FOLLOW_UP_FIELDS),
        column="lead_id",
        values=sorted(lead_ids),
    )


def _project_leads(leads, batch_calls, *, stored=None):
    """Recompute each lead's attempts, last call, status and follow-ups from all of its calls;
    `batch_calls` (by call_sid, new ones unsaved) are read as they are in memory, and get their
    attempt numbers there; `stored`: what _stored_calls_later read of these leads (or of more),
    when read already. Returns the _Projection to write once those calls are saved."""
    projection = _Projection()
    if not leads:
        return projection
    by_lead, follow_ups = defaultdict(list), {}
    if stored is None:
        stored = _stored_calls_later([lead.pk for lead in leads])()
    width = len(_PROJECTED_FIELDS)
    for row in stored:
        if row[width] is not None:
            follow_ups[row[0]] = _StoredFollowUp(*row[width:])
        if row[1] not in batch_calls:
            by_lead[row[2]].append(dict(zip(_PROJECTED_FIELDS, row[:width], strict=True)))
    lead_ids = {lead.pk for lead in leads}
    for call in batch_calls.values():
        if call.lead_id in lead_ids:
            by_lead[call.lead_id].append({f: getattr(call, f) for f in _PROJECTED_FIELDS})
    plan = projection.follow_ups
    for lead in leads:
        calls = sorted(by_lead[lead.pk], key=lambda row: (row["initiated_at"], row["call_sid"]))
        for number, row in enumerate(calls, start=1):
            if row["attempt_number"] != number:
                row["attempt_number"] = number
                if row["call_sid"] in batch_calls:
                    batch_calls[row["call_sid"]].attempt_number = number
                else:
                    projection.renumbered.append(CallSession(pk=row["pk"], attempt_number=number))
        lifecycle.number_attempts(calls)
        if _project_lead(lead, calls):
            projection.changed_leads.append(lead)
        closed = lifecycle.is_closed(status=lead.status, is_dnc=lead.is_dnc)
        called_again = False  # by a later call that was not canceled
        for row in reversed(calls):
            plan.add(
                lead,
                row,
                desired=lifecycle.follow_up_for(lead=lead, call=row),
                closed=closed,
                called_again=called_again,
                existing=follow_ups.get(row["pk"]) if row["pk"] else None,
            )
            called_again = called_again or row["status"] != CallStatus.CANCELED
    return projection


_PROJECTED_FIELDS = (
    "pk", "call_sid", "lead_id", "initiated_at", "status", "outcome", "ended_at", "attempt_number",
)  # fmt: skip
_FOLLOW_UP_FIELDS = (
    "follow_up__pk", "follow_up__reason", "follow_up__scheduled_for", "follow_up__status",
)  # fmt: skip


@dataclass
class _StoredFollowUp:
    pk: int
    reason: str
    scheduled_for: datetime
    status: str


class _Projection:
    """What projecting leads decided: calls of earlier batches renumbered, leads changed,
    follow-ups; written by `write` once the batch's calls are saved (new ones then have ids)."""

    def __init__(self):
        self.renumbered, self.changed_leads, self.follow_ups = [], [], _FollowUpPlan()

    def write(self, batch_calls):
        if self.renumbered:
            update_rows(CallSession, self.renumbered, ["attempt_number"])
        if self.changed_leads:
            update_rows(
                Lead,
                self.changed_leads,
                ["call_attempts", "last_call_at", "last_outcome", "status", "updated_at"],
            )
        self.follow_ups.write(batch_calls)


def _project_lead(lead, calls):
    """Set the lead's call-derived fields (voiceagent.campaigns.lifecycle); True when any changed."""
    before = (lead.call_attempts, lead.last_call_at, lead.last_outcome, lead.status)
    finished = [row for row in calls if row["status"] in FINISHED_STATUSES]
    last = lifecycle.last_finished_call(calls)
    lead.call_attempts = len(calls)
    lead.last_call_at = last["initiated_at"] if last else None
    lead.last_outcome = last["outcome"] if last else ""
    lead.status = lifecycle.status_from_calls(
        current=lead.status,
        is_dnc=lead.is_dnc,
        finished_calls=finished,
        max_attempts=lead.campaign.max_attempts,
    )
    changed = before != (lead.call_attempts, lead.last_call_at, lead.last_outcome, lead.status)
    if changed:
        lead.updated_at = timezone.now()
    return changed


class _FollowUpPlan:
    """Creates, updates and deletes follow-ups so that each ended call has the one it should.

    A follow-up is pending until the lead is called again, then done; a closed lead's are
    canceled (voiceagent.campaigns.lifecycle). One a dialer took (dispatched) is left alone. A
    canceled one of an open lead was canceled by hand (or while the lead was closed, before
    staff reopened it): it stays canceled until the lead is called again anyway. A closed lead's
    canceled ones are the lifecycle's own, recomputed like pending ones, so the rows end the same
    whatever order the calls' events came in.
    """

    def __init__(self):
        self.create, self.update, self.delete = [], [], []

    def add(self, lead, row, *, desired, closed, called_again, existing):
        if existing is not None and existing.status == ScheduledCallStatus.DISPATCHED:
            return
        if existing is not None and existing.status == ScheduledCallStatus.CANCELED and not closed:
            if desired is not None and called_again:
                existing.status = ScheduledCallStatus.DONE
                self.update.append(existing)
            return
        if desired is None:
            if existing is not None:
                self.delete.append(existing.pk)
            return
        reason, scheduled_for = desired
        status = lifecycle.follow_up_status(lead=lead, called_again=called_again)
        if existing is None:
            # By call_sid: a call of this batch has no id until it is saved.
            self.create.append((row["call_sid"], row["pk"], lead, reason, scheduled_for, status))
        elif (existing.reason, existing.scheduled_for, existing.status) != (
            reason,
            scheduled_for,
            status,
        ):
            existing.reason, existing.scheduled_for, existing.status = reason, scheduled_for, status
            self.update.append(existing)

    def write(self, batch_calls):
        if self.delete:
            ScheduledCall.objects.filter(pk__in=self.delete).delete()
        if self.update:
            update_rows(
                ScheduledCall,
                [
                    ScheduledCall(
                        pk=row.pk,
                        reason=row.reason,
                        scheduled_for=row.scheduled_for,
                        status=row.status,
                    )
                    for row in self.update
                ],
                ["reason", "scheduled_for", "status"],
            )
        if self.create:
            insert_rows(
                ScheduledCall,
                set_ids=False,
                objs=[
                    ScheduledCall(
                        lead=lead,
                        campaign_id=lead.campaign_id,
                        scheduled_for=scheduled_for,
                        reason=reason,
                        status=status,
                        source_call_id=pk or batch_calls[sid].pk,
                    )
                    for sid, pk, lead, reason, scheduled_for, status in self.create
                ],
            )


def replay_events(*, records, batch_size=MAX_BATCH_EVENTS):
    """Apply logged events again, in log order, each with its original source and received_at.

    `records` are CallEvent rows or dicts with payload, source, received_at. Into an empty
    database (campaigns and leads present, no calls) this rebuilds the same calls, turns,
    objections, lead fields and follow-ups; into the same database it changes nothing.
    """
    accepted = duplicates = 0
    batch, key = [], None
    for record in records:
        if isinstance(record, CallEvent):
            record = {
                "payload": record.payload,
                "source": record.source,
                "received_at": record.received_at,
            }
        record_key = (record["source"], record["received_at"])
        if batch and (record_key != key or len(batch) >= batch_size):
            result = ingest_events(events=batch, source=key[0], received_at=key[1])
            accepted, duplicates = accepted + result.accepted, duplicates + result.duplicates
            batch = []
        batch.append(record["payload"])
        key = record_key
    if batch:
        result = ingest_events(events=batch, source=key[0], received_at=key[1])
        accepted, duplicates = accepted + result.accepted, duplicates + result.duplicates
    return IngestResult(accepted=accepted, duplicates=duplicates)

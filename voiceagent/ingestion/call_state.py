"""How events fold into a CallSession, so that any delivery order gives the same final row.

Every event is *absorbed* into facts that merge commutatively (earliest time of each lifecycle
step, earliest reach of each stage, the highest lifecycle rank, the set of end reports, the
latest value of each qualification key), and the visible fields are then *resolved* from those
facts by a pure function. Absorbing is a join (commutative, associative, idempotent), so the
result does not depend on the order, the batching or repetitions of a call's events.

Rules, in the product's words:
- status: the best end report decides once the call has ended; before that the furthest
  lifecycle step (queued < initiated < ringing < in progress); a late `call.ringing` never
  reopens a completed call. Any conversation event (turn, stage, objection, qualification)
  means the call was in progress.
- end reports: the agent's (`call.completed`, `call.failed`) rank before Exotel's, then the
  earliest; outcome, duration, recording URL, who ended it and the error come from the first
  report in that order that has them.
- initiated_at: the first `call.initiated`, else the first `call.queued`, else the earliest
  event (DESIGN.md: a call's day). ended_at is never before initiated_at.
- script_variant: that of the first `call.initiated` ("default" when it names none).
- stages: the earliest time each stage was reached (stage changes and turns); the current
  stage is the one reached last (ties: the later stage of the script).
- qualification: merged key by key; when two events set one key, the later occurred_at wins,
  ties broken by event_id.
All times are kept as fixed-width UTC ISO strings, so they also compare as strings.
"""

from datetime import UTC, datetime
from functools import lru_cache

from voiceagent.ingestion.schema import EventType
from voiceagent.models import CallOutcome, CallStatus, EndedBy, Stage

RANK_STATUS = [CallStatus.QUEUED, CallStatus.INITIATED, CallStatus.RINGING, CallStatus.IN_PROGRESS]
STAGE_ORDER = {stage: position for position, stage in enumerate(Stage.values)}
AGENT_SOURCE, EXOTEL_SOURCE = 0, 1

# Exotel end statuses → (status, outcome, ended_by); "completed" leaves the outcome to the agent.
EXOTEL_END = {
    CallStatus.COMPLETED: (CallStatus.COMPLETED, "", ""),
    CallStatus.BUSY: (CallStatus.BUSY, CallOutcome.NO_ANSWER, EndedBy.SYSTEM),
    CallStatus.NO_ANSWER: (CallStatus.NO_ANSWER, CallOutcome.NO_ANSWER, EndedBy.SYSTEM),
    CallStatus.FAILED: (CallStatus.FAILED, CallOutcome.FAILED, EndedBy.SYSTEM),
    CallStatus.CANCELED: (CallStatus.CANCELED, "", EndedBy.SYSTEM),
}
COMPLETED_STATUS = {
    CallOutcome.NO_ANSWER: CallStatus.NO_ANSWER,
    "busy": CallStatus.BUSY,
    CallOutcome.FAILED: CallStatus.FAILED,
}


def utc_key(moment):
    """A fixed-width UTC ISO string: sorts like the instant it names."""
    moment = moment.astimezone(UTC)
    text = moment.isoformat()  # faster than timespec="microseconds", which is the same but for
    # a whole second, where isoformat() leaves the fraction out
    return text if moment.microsecond else f"{text[:19]}.000000{text[19:]}"


@lru_cache(maxsize=8192)
def from_key(value):
    # Cached: resolving a call after each of its events parses the same few keys again.
    return datetime.fromisoformat(value) if value else None


def _earliest(current, candidate):
    return candidate if current is None or candidate < current else current


def _reach_stage(call, stage, at_key):
    # Compared as instants: rows written before ingestion existed may carry other offsets.
    current = call.stage_first_reached.get(stage)
    if current is None or from_key(at_key) < from_key(current):
        call.stage_first_reached[stage] = at_key


def _completed_report(event):
    data, outcome = event.data, event.data["outcome"]
    return {
        "source": AGENT_SOURCE,
        "status": COMPLETED_STATUS.get(outcome, CallStatus.COMPLETED),
        "outcome": CallOutcome.NO_ANSWER if outcome == "busy" else outcome,
        "duration": data["duration_seconds"],
        "recording_url": data["recording_url"],
        "ended_by": data["ended_by"] or (EndedBy.SYSTEM if outcome in COMPLETED_STATUS else ""),
        "error": "",
    }


def _failed_report(event):
    return {
        "source": AGENT_SOURCE,
        "status": CallStatus.FAILED,
        "outcome": CallOutcome.FAILED,
        "duration": None,
        "recording_url": "",
        "ended_by": EndedBy.SYSTEM,
        "error": event.data["error"],
    }


def _exotel_report(event):
    data = event.data
    if data["status"] not in EXOTEL_END:
        return None
    status, outcome, ended_by = EXOTEL_END[data["status"]]
    return {
        "source": EXOTEL_SOURCE,
        "status": status,
        "outcome": outcome,
        "duration": data["duration_seconds"],
        "recording_url": data["recording_url"],
        "ended_by": ended_by,
        "error": "",
    }


def _add_end_report(state, event, report):
    """Keep an end report (once per event), the decisive one first: agent before Exotel, earliest."""
    if report is None:
        return
    report = {"id": event.event_id, "at": utc_key(event.occurred_at), **report}
    reports = state.setdefault("ends", [])
    if all(existing["id"] != report["id"] for existing in reports):
        reports.append(report)
        reports.sort(key=lambda item: (item["source"], item["at"], item["id"]))


def _reach_rank(state, rank):
    state["rank"] = max(state.get("rank", 0), rank)


# Lifecycle ranks: queued < initiated < ringing < in progress (any conversation event).
QUEUED_RANK, INITIATED_RANK, RINGING_RANK, IN_PROGRESS_RANK = range(4)


def _absorb_queued(call, event, state, at_key):
    _reach_rank(state, QUEUED_RANK)
    call.queued_at = min(filter(None, [call.queued_at, event.occurred_at]))


def _absorb_initiated(call, event, state, at_key):
    _reach_rank(state, INITIATED_RANK)
    state["initiated"] = _earliest(state.get("initiated"), at_key)
    # The script of the first call.initiated (ties: the smaller event_id) is the call's.
    stamp = [at_key, event.event_id, event.data["script_variant"]]
    if "variant" not in state or stamp < state["variant"]:
        state["variant"] = stamp


def _absorb_ringing(call, event, state, at_key):
    _reach_rank(state, RINGING_RANK)
    call.ringing_at = min(filter(None, [call.ringing_at, event.occurred_at]))


def _absorb_answered(call, event, state, at_key):
    _reach_rank(state, IN_PROGRESS_RANK)
    call.answered_at = min(filter(None, [call.answered_at, event.occurred_at]))


def _absorb_stage(call, event, state, at_key):
    """call.stage_changed and call.turn: the call is in progress and maybe reached a stage."""
    _reach_rank(state, IN_PROGRESS_RANK)
    if event.data["stage"]:
        _reach_stage(call, event.data["stage"], at_key)


def _absorb_objection(call, event, state, at_key):
    _reach_rank(state, IN_PROGRESS_RANK)


def _absorb_qualification(call, event, state, at_key):
    _reach_rank(state, IN_PROGRESS_RANK)
    set_at = state.setdefault("qualification_set", {})
    for key, value in event.data.items():
        stamp = [at_key, event.event_id]
        if key not in set_at or stamp > set_at[key]:
            set_at[key] = stamp
            call.qualification[key] = value


def _absorb_completed(call, event, state, at_key):
    _add_end_report(state, event, _completed_report(event))


def _absorb_failed(call, event, state, at_key):
    _add_end_report(state, event, _failed_report(event))


def _absorb_error(call, event, state, at_key):
    """call.error: stored beside the call (CallError, by ingestion); the call's own fields stay:
    a telephony error may come before any answer, an AI error while talking."""


def _absorb_exotel_status(call, event, state, at_key):
    data = event.data
    if data["status"] == CallStatus.IN_PROGRESS:
        _reach_rank(state, IN_PROGRESS_RANK)
        call.answered_at = min(filter(None, [call.answered_at, event.occurred_at]))
    elif data["answered_at"] is not None:
        call.answered_at = min(filter(None, [call.answered_at, data["answered_at"]]))
    _add_end_report(state, event, _exotel_report(event))


# The event types whose handlers add an end report (_add_end_report): a call none of whose
# events in a batch is one of them has ended after the batch only if it had before.
ENDING_TYPES = frozenset({EventType.COMPLETED, EventType.FAILED, EventType.EXOTEL_STATUS})

ABSORB = {
    EventType.QUEUED: _absorb_queued,
    EventType.INITIATED: _absorb_initiated,
    EventType.RINGING: _absorb_ringing,
    EventType.ANSWERED: _absorb_answered,
    EventType.STAGE_CHANGED: _absorb_stage,
    EventType.TURN: _absorb_stage,
    EventType.OBJECTION: _absorb_objection,
    EventType.QUALIFICATION: _absorb_qualification,
    EventType.COMPLETED: _absorb_completed,
    EventType.FAILED: _absorb_failed,
    EventType.ERROR: _absorb_error,
    EventType.EXOTEL_STATUS: _absorb_exotel_status,
}
_unhandled = set(EventType) - set(ABSORB)
if _unhandled:  # a new event type must say how it folds into a call, never be skipped
    raise RuntimeError(f"call_state.ABSORB has no handler for {sorted(_unhandled)}")


def absorb(call, event):
    """Join one event's facts into the call (in memory); see the module docstring.

    An event type without a handler raises (ValueError for a string that is no EventType,
    KeyError for a member missing from ABSORB): an event is never silently ignored."""
    state = call.ingest_state
    at_key = utc_key(event.occurred_at)
    state["first"] = _earliest(state.get("first"), at_key)
    if call.last_event_at is None or event.occurred_at > call.last_event_at:
        call.last_event_at = event.occurred_at
    ABSORB[EventType(event.type)](call, event, state, at_key)


def _first(reports, field):
    return next((report[field] for report in reports if report[field] not in (None, "")), None)


def resolve(call):
    """Set the visible fields of the call from its absorbed facts (a pure function of them)."""
    state = call.ingest_state
    initiated = state.get("initiated")
    if "variant" in state:
        call.script_variant = state["variant"][2]
    call.initiated_at = (
        from_key(initiated) if initiated else call.queued_at or from_key(state.get("first"))
    )
    reports = state.get("ends", [])
    if reports:
        decisive = reports[0]
        call.status = decisive["status"]
        call.outcome = decisive["outcome"] or _first(reports, "outcome") or ""
        call.ended_at = max(from_key(decisive["at"]), call.initiated_at)
        duration = _first(reports, "duration")
        if duration is None:
            answered = call.answered_at
            duration = (
                max(0, int((call.ended_at - answered).total_seconds()))
                if answered and call.status == CallStatus.COMPLETED
                else 0
            )
        call.duration_seconds = duration
        call.recording_url = _first(reports, "recording_url") or ""
        call.ended_by = _first(reports, "ended_by") or ""
        call.error = _first(reports, "error") or ""
    else:
        call.status = RANK_STATUS[state.get("rank", 0)]
        call.outcome = call.recording_url = call.ended_by = call.error = ""
        call.ended_at = call.duration_seconds = None
    reached = call.stage_first_reached
    call.current_stage = _stage_reached_last(tuple(reached.items())) if reached else ""


@lru_cache(maxsize=4096)
def _stage_reached_last(reached):
    # Cached: a call's stages change a few times, and it is resolved after each of its events.
    return max(reached, key=lambda item: (from_key(item[1]), STAGE_ORDER.get(item[0], -1)))[0]

"""The call-event format (DESIGN.md, "Ingestion"): types, limits, and validation of one event.

Validation is plain Python, not DRF serializers: a batch of 500 events must be checked in a few
milliseconds. Every problem is reported as `{"index", "field", "message"}` so that the client
can fix the exact event and resend (idempotency makes resending safe).
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import models

from voiceagent.json_codec import dumps_strict
from voiceagent.models import (
    DEFAULT_SCRIPT_VARIANT,
    CallOutcome,
    CallStatus,
    EndedBy,
    ErrorComponent,
    ObjectionCategory,
    Speaker,
    Stage,
)

MAX_BATCH_EVENTS = 500
MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT_LENGTH = 4000
MAX_ERROR_LENGTH = 500
MAX_ERROR_CODE_LENGTH = 64
MAX_URL_LENGTH = 500
MAX_EVENT_ID_LENGTH = 128
MAX_CALL_SID_LENGTH = 64
MAX_SCRIPT_VARIANT_LENGTH = 64
MAX_QUALIFICATION_KEYS = 30
MAX_QUALIFICATION_KEY_LENGTH = 40
MAX_QUALIFICATION_VALUE_LENGTH = 200
# PostgreSQL integer / bigint columns: larger numbers would be a database error, not a 400.
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


class EventType(models.TextChoices):
    """Every call event type; code names them by member, the wire and the log by value."""

    QUEUED = "call.queued"
    INITIATED = "call.initiated"
    RINGING = "call.ringing"
    ANSWERED = "call.answered"
    STAGE_CHANGED = "call.stage_changed"
    TURN = "call.turn"
    OBJECTION = "call.objection"
    QUALIFICATION = "call.qualification"
    COMPLETED = "call.completed"
    FAILED = "call.failed"
    ERROR = "call.error"
    # Only the Exotel webhook produces this one (voiceagent/ingestion/exotel.py); agents cannot post it.
    EXOTEL_STATUS = "exotel.status"


# By wire value: a dict lookup per event instead of EventType(value).
EVENT_TYPES = {event_type.value: event_type for event_type in EventType}
LIFECYCLE_TYPES = (EventType.QUEUED, EventType.INITIATED, EventType.RINGING, EventType.ANSWERED)
AGENT_TYPES = tuple(event_type for event_type in EventType if event_type != EventType.EXOTEL_STATUS)
AGENT_EVENT_TYPES = {event_type.value: event_type for event_type in AGENT_TYPES}
EXOTEL_SOURCE = "exotel"
COMPLETED_OUTCOMES = (*CallOutcome.values, "busy")
EXOTEL_STATUSES = (
    CallStatus.COMPLETED,
    CallStatus.BUSY,
    CallStatus.NO_ANSWER,
    CallStatus.FAILED,
    CallStatus.CANCELED,
    CallStatus.IN_PROGRESS,
)

# TextChoices.values builds a new list on every access; validation runs per event.
STAGES = tuple(Stage.values)
SPEAKERS = tuple(Speaker.values)
OBJECTION_CATEGORIES = tuple(ObjectionCategory.values)
ENDED_BY = tuple(EndedBy.values)
ERROR_COMPONENTS = tuple(ErrorComponent.values)
TURN_USAGE_FIELDS = ("llm_input_tokens", "llm_output_tokens", "tts_characters")

_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class Event:
    """One valid event: typed fields, cleaned `data`, and the raw `payload` as received."""

    index: int
    event_id: str
    type: EventType
    occurred_at: datetime  # aware, UTC
    call_sid: str
    campaign_id: int
    lead_id: int
    data: dict
    payload: dict
    payload_json: str  # the payload serialised once, for the CallEvent log


class _Problems:
    """Collects `{"index", "field", "message"}` entries of one event."""

    def __init__(self, index):
        self.index = index
        self.items = []

    def add(self, field, message):
        self.items.append({"index": self.index, "field": field, "message": message})


def parse_aware_datetime(value):
    """An aware datetime from an ISO 8601 string with offset, in UTC; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string with a UTC offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("has no UTC offset (e.g. +05:30 or Z); naive times are ambiguous")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


def unstorable_value(value, path="payload", depth=0):
    """The path of the first value PostgreSQL cannot store in jsonb/text, else None.

    NUL characters, lone surrogates and NaN/Infinity would otherwise surface as database errors
    (a 500) deep inside the transaction.
    """
    if depth > 20:
        return path, "is nested too deeply"
    if isinstance(value, str):
        if "\x00" in value:
            return path, "contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path, "is not valid UTF-8 text"
    elif isinstance(value, float) and not math.isfinite(value):
        return path, "must be a finite number"
    elif isinstance(value, dict):
        for key, item in value.items():
            found = unstorable_value(key, path, depth + 1) or unstorable_value(
                item, f"{path}.{key}", depth + 1
            )
            if found:
                return found
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found = unstorable_value(item, f"{path}[{position}]", depth + 1)
            if found:
                return found
    elif value is not None and not isinstance(value, (bool, int, float)):
        return path, "is not a JSON value"
    return None


def storable_json(payload):
    """The payload as JSON text PostgreSQL accepts, else None (then unstorable_value says why).

    One encoding instead of a walk over every value: it refuses NaN and Infinity, the UTF-8
    check refuses lone surrogates, and a NUL shows up as an escape (rarely a false alarm, which
    the walk clears).
    """
    try:
        text = dumps_strict(payload)
        if not text.isascii():  # ASCII text holds no lone surrogate: skip the copy
            text.encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
        return None
    if "\\u0000" in text and unstorable_value(payload):
        return None
    return text


def _is_int(value):
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def _text(problems, data, key, *, limit, required=False, allow_empty=True):
    value = data.get(key)
    if type(value) is str and len(value) <= limit and (allow_empty or value.strip()):
        return value  # the usual case, without the checks below one by one
    if value is None:
        if required:
            problems.add(f"data.{key}", "This field is required.")
        return ""
    if not isinstance(value, str):
        problems.add(f"data.{key}", "Must be a string.")
        return ""
    if not allow_empty and not value.strip():
        problems.add(f"data.{key}", "Must not be empty.")
    if len(value) > limit:
        problems.add(
            f"data.{key}", f"Is {len(value)} characters long; the limit is {limit} characters."
        )
    return value


def _choice(problems, data, key, choices, *, required=False):
    value = data.get(key)
    if type(value) is str and value in choices:
        return value
    if value in (None, ""):
        if required:
            problems.add(f"data.{key}", "This field is required.")
        return ""
    if value not in choices:
        problems.add(f"data.{key}", f"Unknown value {value!r}; expected one of {list(choices)}.")
        return ""
    return value


def _count(problems, data, key, *, what="count"):
    """An optional non-negative integer (milliseconds, seconds, sequence numbers)."""
    value = data.get(key)
    if type(value) is int and 0 <= value <= INT_MAX:
        return value
    if value is None:
        return None
    if not _is_int(value):
        problems.add(f"data.{key}", f"Must be an integer {what}.")
        return None
    if value < 0:
        problems.add(f"data.{key}", f"Must not be negative (got {value}).")
        return None
    if value > INT_MAX:
        problems.add(f"data.{key}", f"Must be at most {INT_MAX}.")
        return None
    return value


def _url(problems, data, key):
    value = _text(problems, data, key, limit=MAX_URL_LENGTH)
    if value:
        try:
            _url_validator(value)
        except DjangoValidationError:
            problems.add(f"data.{key}", "Must be an http(s) URL.")
            return ""
    return value


def _clean_initiated(problems, data):
    """call.initiated may name the script the agent uses (A/B tests); absent: the default."""
    if data.get("script_variant") is None:
        return {"script_variant": DEFAULT_SCRIPT_VARIANT}
    variant = _text(
        problems, data, "script_variant", limit=MAX_SCRIPT_VARIANT_LENGTH, allow_empty=False
    )
    return {"script_variant": variant.strip()}


def _clean_stage_changed(problems, data):
    return {"stage": _choice(problems, data, "stage", STAGES, required=True)}


def _clean_turn(problems, data):
    sequence = data.get("sequence")
    if sequence is None:
        problems.add("data.sequence", "This field is required.")
    cleaned = {
        "sequence": _count(problems, data, "sequence", what="sequence number"),
        "speaker": _choice(problems, data, "speaker", SPEAKERS, required=True),
        "text": _text(problems, data, "text", limit=MAX_TEXT_LENGTH, required=True),
        "stage": _choice(problems, data, "stage", STAGES),
    }
    for key in ("stt_ms", "llm_ms", "tts_ms"):
        cleaned[key] = _count(problems, data, key, what="latency in milliseconds")
    for key in TURN_USAGE_FIELDS:
        cleaned[key] = _count(problems, data, key)
    return cleaned


def _clean_objection(problems, data):
    return {
        "category": _choice(problems, data, "category", OBJECTION_CATEGORIES, required=True),
        "text": _text(problems, data, "text", limit=MAX_TEXT_LENGTH),
    }


def _clean_qualification(problems, data):
    if not data:
        problems.add("data", "Send at least one qualification field (e.g. purpose, budget).")
    if len(data) > MAX_QUALIFICATION_KEYS:
        problems.add("data", f"At most {MAX_QUALIFICATION_KEYS} qualification fields.")
        return {}
    cleaned = {}
    for key, value in data.items():
        if not key or len(key) > MAX_QUALIFICATION_KEY_LENGTH:
            problems.add(
                f"data.{key}", f"Field names are 1 to {MAX_QUALIFICATION_KEY_LENGTH} characters."
            )
        elif isinstance(value, str):
            if len(value) > MAX_QUALIFICATION_VALUE_LENGTH:
                problems.add(
                    f"data.{key}",
                    f"Is {len(value)} characters long; the limit is "
                    f"{MAX_QUALIFICATION_VALUE_LENGTH} characters.",
                )
            cleaned[key] = value
        elif value is None or isinstance(value, (bool, int, float)):
            cleaned[key] = value
        else:
            problems.add(f"data.{key}", "Must be a string, number, boolean or null.")
    return cleaned


def _clean_completed(problems, data):
    return {
        "outcome": _choice(problems, data, "outcome", COMPLETED_OUTCOMES, required=True),
        "duration_seconds": _count(problems, data, "duration_seconds", what="number of seconds"),
        "recording_url": _url(problems, data, "recording_url"),
        "ended_by": _choice(problems, data, "ended_by", ENDED_BY),
    }


def _clean_failed(problems, data):
    return {"error": _text(problems, data, "error", limit=MAX_ERROR_LENGTH)}


def _clean_error(problems, data):
    return {
        "component": _choice(problems, data, "component", ERROR_COMPONENTS, required=True),
        "message": _text(
            problems, data, "message", limit=MAX_ERROR_LENGTH, required=True, allow_empty=False
        ),
        "code": _text(problems, data, "code", limit=MAX_ERROR_CODE_LENGTH),
    }


def _clean_exotel(problems, data):
    cleaned = {
        "status": _choice(problems, data, "status", EXOTEL_STATUSES, required=True),
        "duration_seconds": _count(problems, data, "duration_seconds", what="number of seconds"),
        "recording_url": _url(problems, data, "recording_url"),
        "answered_at": None,
    }
    if data.get("answered_at") is not None:
        try:
            cleaned["answered_at"] = parse_aware_datetime(data["answered_at"])
        except ValueError as exc:
            problems.add("data.answered_at", f"The value {exc}.")
    return cleaned


def _clean_nothing(problems, data):
    return {}


DATA_CLEANERS = {
    EventType.QUEUED: _clean_nothing,
    EventType.INITIATED: _clean_initiated,
    EventType.RINGING: _clean_nothing,
    EventType.ANSWERED: _clean_nothing,
    EventType.STAGE_CHANGED: _clean_stage_changed,
    EventType.TURN: _clean_turn,
    EventType.OBJECTION: _clean_objection,
    EventType.QUALIFICATION: _clean_qualification,
    EventType.COMPLETED: _clean_completed,
    EventType.FAILED: _clean_failed,
    EventType.ERROR: _clean_error,
    EventType.EXOTEL_STATUS: _clean_exotel,
}


def _identifier(problems, raw, key, *, limit):
    value = raw.get(key)
    if type(value) is str and 0 < len(value) <= limit:
        return value
    if value in (None, ""):
        problems.add(key, "This field is required.")
        return ""
    if not isinstance(value, str):
        problems.add(key, "Must be a string.")
        return ""
    if len(value) > limit:
        problems.add(key, f"Is {len(value)} characters long; the limit is {limit}.")
    return value


def _reference(problems, raw, key):
    value = raw.get(key)
    if type(value) is int and 1 <= value <= BIGINT_MAX:
        return value
    if value is None:
        problems.add(key, "This field is required.")
        return None
    if not _is_int(value) or not 1 <= value <= BIGINT_MAX:
        problems.add(key, "Must be a positive integer id.")
        return None
    return value


def clean_event(raw, index, *, source):
    """(Event, []) for a valid event, else (None, problems): structure only, no database."""
    problems = _Problems(index)
    if not isinstance(raw, dict):
        problems.add("event", "Each event must be a JSON object.")
        return None, problems.items
    payload_json = storable_json(raw)
    if payload_json is None:
        path, message = unstorable_value(raw) or ("event", "cannot be stored")
        problems.add(path.removeprefix("payload.") if path != "payload" else "event", message)
        return None, problems.items
    event_id = _identifier(problems, raw, "event_id", limit=MAX_EVENT_ID_LENGTH)
    call_sid = _identifier(problems, raw, "call_sid", limit=MAX_CALL_SID_LENGTH)
    event_type = raw.get("type")
    allowed = EVENT_TYPES if source == EXOTEL_SOURCE else AGENT_EVENT_TYPES
    if event_type in (None, ""):
        problems.add("type", "This field is required.")
    elif not isinstance(event_type, str) or event_type not in allowed:
        expected = [str(allowed_type) for allowed_type in allowed.values()]
        problems.add("type", f"Unknown event type {event_type!r}; expected one of {expected}.")
    else:
        event_type = allowed[event_type]
    occurred_at = None
    if raw.get("occurred_at") in (None, ""):
        problems.add("occurred_at", "This field is required (ISO 8601 with a UTC offset).")
    else:
        try:
            occurred_at = parse_aware_datetime(raw["occurred_at"])
        except ValueError as exc:
            problems.add("occurred_at", f"The value {exc}.")
    campaign_id = _reference(problems, raw, "campaign_id")
    lead_id = _reference(problems, raw, "lead_id")
    data = raw.get("data", {})
    cleaned = {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.add("data", "Must be a JSON object.")
    elif isinstance(event_type, EventType):
        cleaned = DATA_CLEANERS[event_type](problems, data)
    if problems.items:
        return None, problems.items
    event = Event(
        index=index,
        event_id=event_id,
        type=event_type,
        occurred_at=occurred_at,
        call_sid=call_sid,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data=cleaned,
        payload=raw,
        payload_json=payload_json,
    )
    return event, []

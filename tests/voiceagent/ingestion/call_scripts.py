"""Event scripts of whole calls for ingestion tests: each path of a call, as the agent reports it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.forms.models import model_to_dict

from voiceagent.models import (
    CallEvent,
    CallSession,
    ConversationTurn,
    Lead,
    Objection,
    ScheduledCall,
)

IST = ZoneInfo("Asia/Kolkata")
T0 = datetime(2025, 1, 15, 11, 0, tzinfo=IST)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


class CallScript:
    """Builds the events of one call; event_ids are `<call_sid>-<n>` unless given."""

    def __init__(self, lead, call_sid, *, start=0):
        self.lead, self.call_sid, self.start, self.events = lead, call_sid, start, []

    def add(self, event_type, seconds, data=None, *, event_id=None):
        self.events.append(
            {
                "event_id": event_id or f"{self.call_sid}-{len(self.events) + 1:03d}",
                "type": event_type,
                "occurred_at": at(self.start + seconds).isoformat(),
                "call_sid": self.call_sid,
                "campaign_id": self.lead.campaign_id,
                "lead_id": self.lead.pk,
                "data": data or {},
            }
        )
        return self

    def dialled(self):
        return self.add("call.queued", 0).add("call.initiated", 2).add("call.ringing", 4)

    def turn(self, seconds, sequence, speaker, text, stage, **latencies):
        return self.add(
            "call.turn",
            seconds,
            {"sequence": sequence, "speaker": speaker, "text": text, "stage": stage, **latencies},
        )


def answered_call(lead, call_sid, *, outcome="qualified", start=0):
    """queued → initiated → ringing → answered → greeting, discovery, objection, qualification,
    closing with six turns → completed with `outcome` after 50 s of conversation."""
    script = CallScript(lead, call_sid, start=start).dialled().add("call.answered", 10)
    script.add("call.stage_changed", 10, {"stage": "greeting"})
    script.turn(
        11, 1, "agent", "Namaste, am I speaking with Priya?", "greeting", llm_ms=620, tts_ms=180
    )
    script.turn(15, 2, "lead", "Haan, bol rahe hain.", "greeting", stt_ms=210)
    script.add("call.stage_changed", 18, {"stage": "discovery"})
    script.turn(
        19, 3, "agent", "Are you looking to buy or rent?", "discovery", llm_ms=700, tts_ms=150
    )
    script.turn(
        24, 4, "lead", "Buy, a 2BHK in Powai, but prices are high.", "discovery", stt_ms=190
    )
    script.add("call.objection", 25, {"category": "price", "text": "Prices are high."})
    script.add("call.qualification", 26, {"purpose": "buy", "budget": "80 lakh"})
    script.add("call.stage_changed", 30, {"stage": "closing"})
    script.turn(
        31, 5, "agent", "Shall I book a site visit on Saturday?", "closing", llm_ms=800, tts_ms=170
    )
    script.turn(36, 6, "lead", "Yes, Saturday works.", "closing", stt_ms=230)
    script.add("call.qualification", 37, {"timeline": "3 months", "interest_level": "high"})
    script.add(
        "call.completed",
        60,
        {
            "outcome": outcome,
            "duration_seconds": 50,
            "recording_url": f"https://recordings.example.in/{call_sid}.mp3",
            "ended_by": "lead",
        },
    )
    return script.events


def unanswered_call(lead, call_sid, *, outcome="no_answer", start=0):
    """queued → initiated → ringing → completed(no_answer | busy), or → failed."""
    script = CallScript(lead, call_sid, start=start).dialled()
    if outcome == "failed":
        script.add("call.failed", 6, {"error": "SIP 503 from carrier"})
    else:
        script.add("call.completed", 34, {"outcome": outcome, "duration_seconds": 0})
    return script.events


def voicemail_call(lead, call_sid, *, start=0):
    script = CallScript(lead, call_sid, start=start).dialled().add("call.answered", 12)
    script.turn(
        13,
        1,
        "agent",
        "Hello, this is Asha from Skyline Realty, please call back.",
        "greeting",
        llm_ms=500,
        tts_ms=200,
    )
    script.add(
        "call.completed", 30, {"outcome": "voicemail", "duration_seconds": 18, "ended_by": "agent"}
    )
    return script.events


CALL_STATE_FIELDS = (
    "call_sid", "campaign", "lead", "attempt_number", "status", "outcome", "ended_by",
    "queued_at", "initiated_at", "ringing_at", "answered_at", "ended_at", "duration_seconds",
    "current_stage", "stage_first_reached", "qualification", "recording_url", "error",
    "last_event_at", "ingest_state",
)  # fmt: skip


def call_state(call_sid, *, rename=None):
    """Everything ingestion derives for one call, comparable across calls (`rename` the sid)."""
    call = CallSession.objects.get(call_sid=call_sid)
    state = model_to_dict(call, fields=CALL_STATE_FIELDS)
    state["ingest_state"] = call.ingest_state
    if rename:
        _rename_ids(state, call_sid, rename)
    state["turns"] = list(
        ConversationTurn.objects.filter(call=call)
        .order_by("sequence")
        .values_list(
            "sequence", "speaker", "text", "stage", "started_at", "stt_ms", "llm_ms", "tts_ms"
        )
    )
    state["objections"] = sorted(
        (category, text, occurred_at, event_id.replace(call_sid, rename or call_sid))
        for category, text, occurred_at, event_id in Objection.objects.filter(
            call=call
        ).values_list("category", "text", "occurred_at", "event_id")
    )
    state["follow_up"] = list(
        ScheduledCall.objects.filter(source_call=call).values_list(
            "reason", "scheduled_for", "status"
        )
    )
    return state


def _rename_ids(value, old, new):
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                value[key] = item.replace(old, new)
            else:
                _rename_ids(item, old, new)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, str):
                value[position] = item.replace(old, new)
            else:
                _rename_ids(item, old, new)


def lead_state(lead):
    lead = Lead.objects.get(pk=lead.pk)
    return (lead.call_attempts, lead.last_call_at, lead.last_outcome, lead.status)


def database_rows():
    """Every row ingestion writes, by natural keys (ids and arrival times left out)."""
    calls = {sid: call_state(sid) for sid in CallSession.objects.values_list("call_sid", flat=True)}
    leads = sorted(
        Lead.objects.values_list("pk", "call_attempts", "last_call_at", "last_outcome", "status")
    )
    follow_ups = sorted(
        ScheduledCall.objects.values_list(
            "lead_id", "source_call__call_sid", "reason", "scheduled_for", "status"
        )
    )
    log = sorted(
        CallEvent.objects.values_list(
            "event_id", "type", "call_sid", "occurred_at", "payload", "source"
        )
    )
    return {"calls": calls, "leads": leads, "follow_ups": follow_ups, "log": log}


def calls_of_new_leads(campaign, n_calls, script, tag):
    """The events of `script` (answered_call, unanswered_call) for n_calls new leads of the
    campaign, one call each, call_sids `tag`-0, `tag`-1, …: a batch for query-count pinning."""
    leads = Lead.objects.bulk_create(
        [Lead(campaign=campaign, name=f"L{i}", phone=f"+9197{i:08d}") for i in range(n_calls)]
    )
    return [event for i, lead in enumerate(leads) for event in script(lead, f"{tag}-{i}")]

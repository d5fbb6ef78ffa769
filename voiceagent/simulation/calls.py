"""The one call generator: what a call does (outcome, stages, turns, latencies) and its events.

The demo history (demo_data) and the live simulator (simulator) both get their calls here, so
outcome weights, stage paths, latency draws and turn texts are written once. `CallPlanner.plan`
gives the script of one call as [(seconds after its start, type, data)]; `call_events` turns a
script into ingestion events (DESIGN.md, "Ingestion"), the only place that names event types
besides the script itself.
"""

import itertools
from dataclasses import dataclass
from datetime import timedelta

from voiceagent import formats
from voiceagent.ingestion.schema import EventType
from voiceagent.models import CallOutcome, ObjectionCategory, Speaker, Stage

PURPOSES = ["buy", "rent", "invest"]
TIMELINES = ["immediately", "1 month", "3 months", "6 months", "next year"]
INTEREST = ["high", "medium", "low"]
LINES = {
    Stage.GREETING: [
        ("agent", "Namaste, this is Asha from Skyline Realty. Am I speaking with {first}?"),
        ("lead", "Haan, bol rahe hain. Who is this?"),
        ("agent", "You had enquired about homes in {locality}. Do you have two minutes?"),
    ],
    Stage.DISCOVERY: [
        ("lead", "Yes, we are looking for a {ptype} in {locality}."),
        ("agent", "Are you looking to buy for yourself or as an investment?"),
        ("lead", "Mostly to {purpose}, for the family."),
    ],
    Stage.QUALIFICATION: [
        ("agent", "What budget range are you considering?"),
        ("lead", "Around {budget}, maybe a little more for the right place."),
        ("agent", "And when would you like to move in?"),
        ("lead", "Within {timeline}."),
    ],
    Stage.OBJECTION_HANDLING: [
        ("lead", "Honestly the prices in {locality} feel too high right now."),
        (
            "agent",
            "I understand. There are payment plans with 20:80 schemes that reduce the burden.",
        ),
    ],
    Stage.CLOSING: [
        ("agent", "Shall I book a site visit this Saturday at 11 am?"),
        ("lead", "Okay, Saturday works. Please send the location on WhatsApp."),
        ("agent", "Done. Thank you, {first}, have a good day!"),
    ],
}
OBJECTIONS = {
    ObjectionCategory.PRICE: "The price is above my budget.",
    ObjectionCategory.TIMING: "We are not ready to decide this quarter.",
    ObjectionCategory.LOCATION: "It is too far from my office.",
    ObjectionCategory.NOT_INTERESTED: "I am not interested any more.",
    ObjectionCategory.TRUST: "How do I know the builder will deliver on time?",
    ObjectionCategory.OTHER: "Let me discuss with my family first.",
}


PATHS = ["answered", "no_answer", "busy", "failed"]
PATH_WEIGHTS = [67, 20, 8, 5]
ANSWERED_OUTCOMES = [
    CallOutcome.QUALIFIED,
    CallOutcome.NOT_INTERESTED,
    CallOutcome.CALLBACK_REQUESTED,
    CallOutcome.VOICEMAIL,
]
ANSWERED_WEIGHTS = [28, 38, 22, 12]
# Scripts under A/B test (call.initiated's script_variant): a lead hears one, by its id, so the
# seeded draws of every other choice stay what they were.
SCRIPT_VARIANTS = ("default", "warm-open")
ERRORS = ["Exotel: number unreachable", "SIP 503 from carrier", "Deepgram stream closed"]
# call.error: about one answered call in twenty-five reports an AI or telephony error.
AI_ERROR_RATE = 0.04
AI_ERRORS = [
    ("llm", "OpenAI request timed out after 8 s", "timeout"),
    ("llm", "Rate limit reached for gpt-4o-mini", "429"),
    ("stt", "Deepgram stream closed unexpectedly", "1011"),
    ("tts", "ElevenLabs voice generation failed", "500"),
    ("telephony", "Audio stream dropped by carrier", ""),
]


@dataclass(frozen=True)
class LeadInfo:
    """What a call script needs of its lead."""

    id: int
    campaign_id: int
    name: str
    city: str = ""
    property_type: str = ""
    budget: int | None = None
    preferred_locations: str = ""


class CallPlanner:
    """The event script of one call: [(seconds after its start, type, data)], from a Random."""

    def __init__(self, rng):
        self.rng = rng

    def plan(self, lead):
        rng = self.rng
        script = [(0.0, EventType.QUEUED, {})]
        at = rng.uniform(0.5, 2.0)
        variant = SCRIPT_VARIANTS[lead.id % len(SCRIPT_VARIANTS)]
        script.append((at, EventType.INITIATED, {"script_variant": variant}))
        path = rng.choices(PATHS, weights=PATH_WEIGHTS)[0]
        if path == "failed":
            script.append((at + rng.uniform(1, 4), EventType.FAILED, {"error": rng.choice(ERRORS)}))
            return script
        at += rng.uniform(1, 3)
        script.append((at, EventType.RINGING, {}))
        if path == "no_answer":
            end = {"outcome": "no_answer", "duration_seconds": 0, "ended_by": "system"}
            script.append((at + rng.uniform(25, 35), EventType.COMPLETED, end))
            return script
        if path == "busy":
            end = {"outcome": "busy", "duration_seconds": 0, "ended_by": "system"}
            script.append((at + rng.uniform(3, 8), EventType.COMPLETED, end))
            return script
        answered = at + rng.uniform(4, 15)
        script.append((answered, EventType.ANSWERED, {}))
        outcome = rng.choices(ANSWERED_OUTCOMES, weights=ANSWERED_WEIGHTS)[0]
        end = self._conversation(script, lead, answered, outcome)
        if rng.random() < AI_ERROR_RATE:
            component, message, code = rng.choice(AI_ERRORS)
            error = {"component": component, "message": message, "code": code}
            script.append((rng.uniform(answered, end), EventType.ERROR, error))
            script.sort(key=lambda step: step[0])
        script.append(
            (
                end,
                EventType.COMPLETED,
                {
                    "outcome": str(outcome),
                    "duration_seconds": int(end - answered),
                    "recording_url": f"https://recordings.exotel.example/sim/{lead.id}-{int(end * 1000)}.mp3",
                    "ended_by": rng.choice(["agent", "lead"]),
                },
            )
        )
        return script

    def _stages(self, outcome):
        rng = self.rng
        if outcome == CallOutcome.VOICEMAIL:
            return [Stage.GREETING]
        stages = [Stage.GREETING, Stage.DISCOVERY]
        if outcome in (CallOutcome.QUALIFIED, CallOutcome.CALLBACK_REQUESTED) or rng.random() < 0.4:
            stages.append(Stage.QUALIFICATION)
        if outcome == CallOutcome.NOT_INTERESTED or rng.random() < 0.35:
            stages.append(Stage.OBJECTION_HANDLING)
        if outcome == CallOutcome.QUALIFIED:
            stages.append(Stage.CLOSING)
        return stages

    def _conversation(self, script, lead, at, outcome):
        """Append stage changes, turns, objections and qualification; return the end time."""
        rng = self.rng
        first = lead.name.split()[0] if lead.name.split() else lead.name
        values = {
            "first": first,
            "locality": (lead.preferred_locations.split(",")[0] or lead.city or "the city").strip(),
            "ptype": (lead.property_type or "home").replace("_", " "),
            "purpose": rng.choice(PURPOSES),
            "budget": formats.budget(lead.budget or 5_000_000),
            "timeline": rng.choice(TIMELINES),
        }
        sequence = itertools.count(1)
        for stage in self._stages(outcome):
            at += rng.uniform(0.5, 1.0)
            script.append((at, EventType.STAGE_CHANGED, {"stage": str(stage)}))
            lines = LINES[stage][:1] if outcome == CallOutcome.VOICEMAIL else LINES[stage]
            for speaker, text in lines:
                at += rng.uniform(2.5, 5.0)
                script.append(
                    (
                        at,
                        EventType.TURN,
                        self._turn(next(sequence), speaker, text.format(**values), stage),
                    )
                )
                if stage == Stage.OBJECTION_HANDLING and speaker == Speaker.LEAD:
                    category = rng.choice(list(ObjectionCategory))
                    objection = {"category": str(category), "text": OBJECTIONS[category]}
                    script.append((at + 0.2, EventType.OBJECTION, objection))
            if stage == Stage.DISCOVERY:
                script.append((at + 0.3, EventType.QUALIFICATION, {"purpose": values["purpose"]}))
            if stage == Stage.QUALIFICATION:
                qualification = {
                    "budget": values["budget"],
                    "timeline": values["timeline"],
                    "interest_level": rng.choice(INTEREST),
                }
                script.append((at + 0.3, EventType.QUALIFICATION, qualification))
        return at + rng.uniform(2, 4)

    def _turn(self, sequence, speaker, text, stage):
        rng = self.rng
        agent = speaker == Speaker.AGENT
        return {
            "sequence": sequence,
            "speaker": speaker,
            "text": text,
            "stage": str(stage),
            "stt_ms": None if agent else int(rng.lognormvariate(5.4, 0.35)),
            "llm_ms": int(rng.lognormvariate(6.5, 0.45)) if agent else None,
            "tts_ms": int(rng.lognormvariate(5.3, 0.3)) if agent else None,
            # What the turn consumed (prices the call): the prompt grows with the conversation.
            "llm_input_tokens": 400 + 60 * sequence if agent else None,
            "llm_output_tokens": 10 + len(text) // 4 if agent else None,
            "tts_characters": len(text) if agent else None,
        }


END_TYPES = (EventType.COMPLETED, EventType.FAILED)


def call_events(*, call_sid, lead, script, started_at):
    """[(seconds after start, event dict)] of one call whose script starts at `started_at`."""
    return [
        (
            offset,
            {
                "event_id": f"{call_sid}-{number:03d}",
                "type": event_type,
                "occurred_at": (started_at + timedelta(seconds=offset)).isoformat(),
                "call_sid": call_sid,
                "campaign_id": lead.campaign_id,
                "lead_id": lead.id,
                "data": data,
            },
        )
        for number, (offset, event_type, data) in enumerate(script, start=1)
    ]


def ends_call(event):
    """True for the event that ends its call (after it, the lead may be called again)."""
    return event["type"] in END_TYPES

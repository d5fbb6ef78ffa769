"""A small, realistic campaign for the browser tests: calls over two weeks at various hours,
conversations with latencies and objections, leads with budgets, and calls in progress."""

from datetime import timedelta

from django.utils import timezone

from tests import factories
from voiceagent.models import CallOutcome, CallStatus, LeadStatus

NAMES = ["Aarav Shah", "Diya Iyer", "Rohan Mehta", "Priya Nair", "Kavya Reddy", "Arjun Patel",
         "Sneha Kulkarni", "Rahul Verma", "Meera Joshi", "Karthik Rao", "Ananya Das", "Ishaan Gupta"]  # fmt: skip
OUTCOMES = [CallOutcome.QUALIFIED, CallOutcome.NOT_INTERESTED, CallOutcome.CALLBACK_REQUESTED,
            CallOutcome.NO_ANSWER, CallOutcome.QUALIFIED, CallOutcome.VOICEMAIL]  # fmt: skip


def build_campaign(campaign, *, leads=12, days=14, in_progress=2):
    now = timezone.now()
    people = [
        factories.make_lead(
            campaign,
            NAMES[i % len(NAMES)],
            city=["Mumbai", "Pune", "Bengaluru"][i % 3],
            budget=[8_500_000, 12_500_000, 45_00_000, 2_10_00_000][i % 4],
            status=[LeadStatus.QUALIFIED, LeadStatus.CONTACTED, LeadStatus.CALLBACK][i % 3],
        )
        for i in range(leads)
    ]
    calls = []
    for index in range(days * 3):
        lead = people[index % leads]
        outcome = OUTCOMES[index % len(OUTCOMES)]
        started = now - timedelta(days=index % days, hours=(index * 5) % 9 + 1)
        if outcome == CallOutcome.NO_ANSWER:
            call = factories.make_call(lead, status=CallStatus.NO_ANSWER, initiated_at=started,
                                       outcome=outcome)  # fmt: skip
        else:
            call = factories.make_call(
                lead, initiated_at=started, duration=90 + index * 7, outcome=outcome,
                current_stage="closing",
                stage_first_reached={"greeting": started.isoformat(),
                                     "discovery": (started + timedelta(seconds=20)).isoformat()},
                qualification={"purpose": "buy", "timeline": "3 months", "budget": "85 lakh"},
            )  # fmt: skip
        calls.append(call)
    # What ingestion keeps on the lead: attempts, and the last call's time and outcome.
    for call in sorted(calls, key=lambda c: c.initiated_at):
        call.lead.call_attempts += 1
        call.lead.last_call_at = call.initiated_at
        call.lead.last_outcome = call.outcome
        call.lead.save(update_fields=["call_attempts", "last_call_at", "last_outcome"])
    return people, calls


def add_conversation(call):
    lines = [
        ("agent", "Namaste! I am calling from Skyline Homes about the new towers in Powai.", "greeting"),
        ("lead", "Haan, boliye. I saw the advertisement last week.", "greeting"),
        ("agent", "Are you looking to buy for yourself or as an investment?", "discovery"),
        ("lead", "For myself, a 2 BHK, within the next three months.", "discovery"),
        ("agent", "What budget do you have in mind?", "qualification"),
        ("lead", "Around 85 lakh, but that seems costly for Powai.", "objection_handling"),
        ("agent", "We have flexible payment plans; may I send you the brochure on WhatsApp?", "closing"),
    ]  # fmt: skip
    for sequence, (speaker, text, stage) in enumerate(lines, start=1):
        latency = {"stt_ms": 180 + sequence * 10, "llm_ms": 520 + sequence * 60, "tts_ms": 210}
        factories.make_turn(call, sequence, speaker=speaker, text=text, stage=stage,
                            **(latency if speaker == "agent" else {"stt_ms": 190}))  # fmt: skip
    factories.make_objection(call, "price", text="That seems costly for Powai.")


def start_call(lead, *, seconds_ago=75, stage="discovery"):
    return factories.make_call(
        lead, status=CallStatus.IN_PROGRESS, answered=False, current_stage=stage,
        initiated_at=timezone.now() - timedelta(seconds=seconds_ago),
        answered_at=timezone.now() - timedelta(seconds=seconds_ago - 5),
    )  # fmt: skip

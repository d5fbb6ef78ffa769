"""Deterministic, realistic demo data for Indian real estate: campaigns, leads, calls, turns."""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from voiceagent.models import (
    CallOutcome,
    CallSession,
    CallStatus,
    Campaign,
    CampaignStatus,
    ConversationTurn,
    DoNotCall,
    EndedBy,
    Lead,
    LeadStatus,
    Objection,
    ObjectionCategory,
    PropertyType,
    ScheduledCall,
    ScheduledCallReason,
    ScheduledCallStatus,
    Speaker,
    Stage,
)

DEMO_TAG = "[demo]"

CITIES = {
    "Mumbai": ["Andheri West", "Powai", "Thane West", "Borivali", "Chembur", "Navi Mumbai"],
    "Pune": ["Hinjewadi", "Baner", "Wakad", "Kharadi", "Hadapsar"],
    "Bengaluru": ["Whitefield", "Sarjapur Road", "Electronic City", "Hebbal", "HSR Layout"],
    "Hyderabad": ["Gachibowli", "Kondapur", "Kokapet", "Miyapur"],
    "Gurugram": ["Golf Course Road", "Sohna Road", "Dwarka Expressway"],
    "Chennai": ["OMR", "Velachery", "Porur"],
    "Ahmedabad": ["SG Highway", "Bopal", "Gota"],
}
FIRST_NAMES = [
    "Aarav",
    "Vivaan",
    "Aditya",
    "Ananya",
    "Diya",
    "Ishaan",
    "Kavya",
    "Rohan",
    "Priya",
    "Sneha",
    "Rahul",
    "Neha",
    "Arjun",
    "Meera",
    "Karthik",
    "Lakshmi",
    "Sanjay",
    "Pooja",
    "Vikram",
    "Anjali",
    "Imran",
    "Farah",
    "Gurpreet",
    "Harpreet",
    "Suresh",
    "Deepa",
    "Nikhil",
    "Swati",
    "Manoj",
    "Ritu",
]
LAST_NAMES = [
    "Sharma",
    "Patel",
    "Iyer",
    "Reddy",
    "Nair",
    "Gupta",
    "Kulkarni",
    "Deshmukh",
    "Singh",
    "Khan",
    "Mehta",
    "Joshi",
    "Rao",
    "Menon",
    "Chatterjee",
    "Banerjee",
    "Shah",
    "Pillai",
    "Verma",
    "Kapoor",
]
DEVANAGARI_NAMES = ["राहुल शर्मा", "प्रिया देशमुख", "अमित कुलकर्णी", "सुनीता पाटील", "विजय जोशी"]
CAMPAIGN_NAMES = [
    "Powai 2BHK launch",
    "Whitefield villas",
    "Hinjewadi rentals",
    "Gachibowli premium towers",
    "Golf Course Road luxury",
    "OMR starter homes",
    "Navi Mumbai plots",
    "SG Highway commercial",
    "Baner 3BHK resale",
    "Sarjapur investors",
]
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


@dataclass
class SeedResult:
    campaigns: int
    leads: int
    calls: int
    turns: int
    created: bool


def format_inr(rupees):
    if rupees >= 10_000_000:
        return f"{rupees / 10_000_000:.2f} crore".replace(".00", "")
    return f"{rupees / 100_000:.0f} lakh"


def demo_present():
    return Campaign.objects.filter(description__startswith=DEMO_TAG).exists()


@transaction.atomic
def remove_demo():
    campaigns = Campaign.objects.filter(description__startswith=DEMO_TAG)
    ScheduledCall.objects.filter(campaign__in=campaigns).delete()
    CallSession.objects.filter(campaign__in=campaigns).delete()
    Lead.objects.filter(campaign__in=campaigns).delete()
    campaigns.delete()


class DemoBuilder:
    def __init__(self, *, seed, campaigns, leads, calls, today=None, batch_size=5000):
        self.rng = random.Random(seed)
        self.seed = seed
        self.n_campaigns = campaigns
        self.n_leads = leads
        self.n_calls = calls
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.today = today or timezone.localdate()
        self.batch_size = batch_size
        self.now = timezone.now()

    def build(self):
        campaigns = self._campaigns()
        leads = self._leads(campaigns)
        self._dnc(leads)
        calls, turns = self._calls(leads)
        return SeedResult(len(campaigns), len(leads), calls, turns, True)

    def _campaigns(self):
        statuses = [CampaignStatus.RUNNING, CampaignStatus.RUNNING, CampaignStatus.PAUSED,
                    CampaignStatus.COMPLETED, CampaignStatus.RUNNING, CampaignStatus.DRAFT]  # fmt: skip
        objs = []
        for i in range(self.n_campaigns):
            base = CAMPAIGN_NAMES[i % len(CAMPAIGN_NAMES)]
            name = base if i < len(CAMPAIGN_NAMES) else f"{base} #{i // len(CAMPAIGN_NAMES) + 1}"
            created = self._at(self.today - timedelta(days=35 + i), time(10, 0))
            status = statuses[i % len(statuses)]
            objs.append(
                Campaign(
                    name=name,
                    description=f"{DEMO_TAG} Outbound qualification calls for {name}.",
                    status=status,
                    max_attempts=3,
                    created_at=created,
                    started_at=created if status != CampaignStatus.DRAFT else None,
                )
            )
        return Campaign.objects.bulk_create(objs)

    def _leads(self, campaigns):
        rng = self.rng
        callable_campaigns = [c for c in campaigns if c.status != CampaignStatus.DRAFT] or campaigns
        objs = []
        used = set()
        for i in range(self.n_leads):
            campaign = (
                campaigns[i % len(campaigns)]
                if i < len(campaigns)
                else rng.choice(callable_campaigns)
            )
            city = rng.choice(list(CITIES))
            if rng.random() < 0.03:
                name = rng.choice(DEVANAGARI_NAMES)
            else:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            while True:
                phone = f"+91{rng.choice('6789')}{rng.randrange(10**8, 10**9):09d}"
                if (campaign.pk, phone) not in used:
                    used.add((campaign.pk, phone))
                    break
            budget = rng.choice([25, 40, 55, 75, 90, 120, 150, 200, 350, 500]) * 100_000
            objs.append(
                Lead(
                    campaign=campaign,
                    name=name,
                    phone=phone,
                    email=f"{name.split()[0].lower()}.{i}@example.in" if name.isascii() else "",
                    city=city,
                    property_type=rng.choice(
                        [PropertyType.APARTMENT] * 5
                        + [PropertyType.VILLA, PropertyType.PLOT, PropertyType.COMMERCIAL]
                    ),
                    budget=budget,
                    preferred_locations=", ".join(
                        rng.sample(CITIES[city], k=min(2, len(CITIES[city])))
                    ),
                    created_at=campaign.created_at,
                )
            )
        return Lead.objects.bulk_create(objs, batch_size=self.batch_size)

    def _dnc(self, leads):
        picked = [lead for lead in leads if self.rng.random() < 0.02]
        DoNotCall.objects.bulk_create(
            [DoNotCall(phone=lead.phone, reason="Asked not to be called") for lead in picked],
            ignore_conflicts=True,
        )
        ids = [lead.pk for lead in picked]
        Lead.objects.filter(pk__in=ids).update(
            is_dnc=True, dnc_reason="Asked not to be called", status=LeadStatus.DNC
        )
        for lead in picked:
            lead.is_dnc = True

    def _at(self, day, at):
        return datetime.combine(day, at, tzinfo=self.tz)

    def _call_time(self):
        rng = self.rng
        day = self.today - timedelta(days=rng.choice(range(30)) if rng.random() < 0.9 else 0)
        # Business hours in the configured time zone, busier late morning and early evening.
        hour = rng.choices(range(9, 20), weights=[3, 6, 8, 7, 4, 4, 5, 6, 8, 7, 4])[0]
        started = self._at(day, time(hour, rng.randrange(60), rng.randrange(60)))
        if started > self.now - timedelta(minutes=30):
            started -= timedelta(days=1)  # not yet happened today: the same time yesterday
        return started

    def _calls(self, leads):
        rng = self.rng
        callable_leads = [
            lead
            for lead in leads
            if not lead.is_dnc and lead.campaign.status != CampaignStatus.DRAFT
        ]
        if not callable_leads:
            return 0, 0
        attempts = {}
        lead_state = {}
        total_calls = total_turns = 0
        for start in range(0, self.n_calls, self.batch_size):
            calls, turns, objections = [], [], []
            for i in range(start, min(start + self.batch_size, self.n_calls)):
                lead = rng.choice(callable_leads)
                attempts[lead.pk] = attempts.get(lead.pk, 0) + 1
                call, plan = self._call(i, lead, attempts[lead.pk])
                call_turns, call_objections = self._conversation(call, plan)
                calls.append(call)
                turns.extend(call_turns)
                objections.extend(call_objections)
                prev = lead_state.get(lead.pk)
                if prev is None or call.initiated_at > prev[0]:
                    lead_state[lead.pk] = (call.initiated_at, call.outcome or call.status, call)
            # Turns and objections point at the calls, whose ids bulk_create fills in.
            CallSession.objects.bulk_create(calls)
            ConversationTurn.objects.bulk_create(turns, batch_size=self.batch_size)
            Objection.objects.bulk_create(objections, batch_size=self.batch_size)
            total_calls += len(calls)
            total_turns += len(turns)
        self._update_leads(lead_state, attempts)
        return total_calls, total_turns

    def _call(self, i, lead, attempt):
        rng = self.rng
        initiated = self._call_time()
        roll = rng.random()
        call = CallSession(
            call_sid=f"demo-{self.seed}-{i:07d}",
            campaign=lead.campaign,
            lead=lead,
            attempt_number=attempt,
            queued_at=initiated - timedelta(seconds=rng.randrange(5, 120)),
            initiated_at=initiated,
            ringing_at=initiated + timedelta(seconds=2),
            last_event_at=initiated,
        )
        plan = None
        if roll < 0.20:
            call.status, call.outcome, call.ended_by = (
                CallStatus.NO_ANSWER,
                CallOutcome.NO_ANSWER,
                EndedBy.SYSTEM,
            )
            call.ended_at = initiated + timedelta(seconds=rng.randrange(30, 45))
            call.duration_seconds = 0
        elif roll < 0.28:
            call.status, call.outcome, call.ended_by = (
                CallStatus.BUSY,
                CallOutcome.NO_ANSWER,
                EndedBy.SYSTEM,
            )
            call.ended_at = initiated + timedelta(seconds=rng.randrange(3, 10))
            call.duration_seconds = 0
        elif roll < 0.33:
            call.status, call.outcome, call.ended_by = (
                CallStatus.FAILED,
                CallOutcome.FAILED,
                EndedBy.SYSTEM,
            )
            call.error = rng.choice(
                ["Exotel: number unreachable", "SIP 503 from carrier", "Deepgram stream closed"]
            )
            call.ended_at = initiated + timedelta(seconds=rng.randrange(1, 5))
            call.duration_seconds = 0
        elif roll < 0.35:
            call.status, call.ended_by = CallStatus.CANCELED, EndedBy.SYSTEM
            call.ended_at = initiated + timedelta(seconds=1)
        else:
            call.answered_at = initiated + timedelta(seconds=rng.randrange(4, 25))
            call.status = CallStatus.COMPLETED
            outcome = rng.choices(
                [
                    CallOutcome.QUALIFIED,
                    CallOutcome.NOT_INTERESTED,
                    CallOutcome.CALLBACK_REQUESTED,
                    CallOutcome.VOICEMAIL,
                ],
                weights=[28, 38, 22, 12],
            )[0]
            call.outcome = outcome
            call.ended_by = rng.choice([EndedBy.AGENT, EndedBy.LEAD])
            duration = (
                rng.randrange(20, 60)
                if outcome == CallOutcome.VOICEMAIL
                else rng.randrange(60, 420)
            )
            call.duration_seconds = duration
            call.ended_at = call.answered_at + timedelta(seconds=duration)
            if outcome != CallOutcome.VOICEMAIL:
                plan = outcome
                call.recording_url = f"https://recordings.exotel.example/{call.call_sid}.mp3"
        call.last_event_at = call.ended_at
        return call, plan

    def _conversation(self, call, outcome):
        if outcome is None:
            return [], []
        rng = self.rng
        lead = call.lead
        stages = [Stage.GREETING, Stage.DISCOVERY]
        if outcome in (CallOutcome.QUALIFIED, CallOutcome.CALLBACK_REQUESTED) or rng.random() < 0.4:
            stages.append(Stage.QUALIFICATION)
        objection = rng.random() < 0.35 or outcome == CallOutcome.NOT_INTERESTED
        if objection:
            stages.append(Stage.OBJECTION_HANDLING)
        if outcome == CallOutcome.QUALIFIED:
            stages.append(Stage.CLOSING)
        budget = format_inr(lead.budget or 5_000_000)
        purpose = rng.choice(PURPOSES)
        timeline = rng.choice(TIMELINES)
        values = {
            "first": lead.name.split()[0],
            "locality": (lead.preferred_locations.split(",")[0] or lead.city).strip(),
            "ptype": lead.get_property_type_display().lower() or "home",
            "purpose": purpose,
            "budget": budget,
            "timeline": timeline,
        }
        turns, objections = [], []
        at = call.answered_at
        span = max(call.duration_seconds or 60, 30)
        lines = [(stage, speaker, text) for stage in stages for speaker, text in LINES[stage]]
        step = span / (len(lines) + 1)
        first_reached = {}
        for seq, (stage, speaker, text) in enumerate(lines, start=1):
            at = call.answered_at + timedelta(seconds=step * seq)
            first_reached.setdefault(stage.value, at.isoformat())
            is_agent = speaker == Speaker.AGENT
            turns.append(
                ConversationTurn(
                    call=call,
                    sequence=seq,
                    speaker=speaker,
                    text=text.format(**values),
                    stage=stage,
                    started_at=at,
                    stt_ms=None if is_agent else int(rng.lognormvariate(5.4, 0.35)),
                    llm_ms=int(rng.lognormvariate(6.5, 0.45)) if is_agent else None,
                    tts_ms=int(rng.lognormvariate(5.3, 0.3)) if is_agent else None,
                )
            )
            if stage == Stage.OBJECTION_HANDLING and speaker == Speaker.LEAD:
                category = rng.choice(list(ObjectionCategory))
                objections.append(
                    Objection(
                        call=call, category=category, text=OBJECTIONS[category], occurred_at=at
                    )
                )
        call.stage_first_reached = first_reached
        call.current_stage = stages[-1]
        call.qualification = {"purpose": purpose, "timeline": timeline, "interest_level": rng.choice(INTEREST),
                              "budget": budget}  # fmt: skip
        return turns, objections

    def _update_leads(self, lead_state, attempts):
        status_for = {
            CallOutcome.QUALIFIED: LeadStatus.QUALIFIED,
            CallOutcome.NOT_INTERESTED: LeadStatus.NOT_INTERESTED,
            CallOutcome.CALLBACK_REQUESTED: LeadStatus.CALLBACK,
        }
        leads, schedules = [], []
        for lead_id, (last_at, _outcome, call) in lead_state.items():
            lead = call.lead
            lead.call_attempts = attempts[lead_id]
            lead.last_call_at = call.ended_at or last_at
            lead.last_outcome = call.outcome
            lead.status = status_for.get(call.outcome, LeadStatus.CONTACTED)
            leads.append(lead)
            if call.outcome == CallOutcome.CALLBACK_REQUESTED:
                schedules.append((lead, call, ScheduledCallReason.CALLBACK, timedelta(days=1)))
            elif call.outcome == CallOutcome.NO_ANSWER and lead.call_attempts < 3:
                schedules.append((lead, call, ScheduledCallReason.RETRY, timedelta(hours=2)))
        Lead.objects.bulk_update(
            leads,
            ["call_attempts", "last_call_at", "last_outcome", "status"],
            batch_size=self.batch_size,
        )
        ScheduledCall.objects.bulk_create(
            [
                ScheduledCall(
                    lead=lead,
                    campaign_id=lead.campaign_id,
                    scheduled_for=call.ended_at + delay,
                    reason=reason,
                    status=ScheduledCallStatus.PENDING,
                    source_call=call,
                )
                for lead, call, reason, delay in schedules
            ],
            batch_size=self.batch_size,
        )


def seed_demo(*, seed=42, campaigns=6, leads=1500, calls=4000, today=None):
    """Load demo data unless it is already there (idempotent); returns what was created."""
    if demo_present():
        return SeedResult(0, 0, 0, 0, False)
    with transaction.atomic():
        return DemoBuilder(
            seed=seed, campaigns=campaigns, leads=leads, calls=calls, today=today
        ).build()

"""Deterministic, realistic demo data for Indian real estate, made by the same code as real calls.

Campaigns and leads are written here; the call history is not. It is a dialer walking through the
past in steps of STEP: at each step it asks `leads_to_call` (the live simulator's choice, built on
`Lead.objects.due_for_call`) which leads it may call at that moment, gives each a call from the
one call generator (voiceagent.simulation.calls), and feeds the calls' events through
`ingest_events`. Leads' attempts, last call, outcome, status and follow-ups are therefore what
ingestion makes of such calls, and every call obeys the lead lifecycle of docs/metrics.md: calling
hours, running campaigns only, follow-ups due, max_attempts, never again after a final outcome.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from analytics.rollups import tracking
from voiceagent.campaigns.scoring import recompute_lead_scores
from voiceagent.events import calls_unannounced
from voiceagent.ingestion.schema import MAX_BATCH_EVENTS
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import (
    CallEvent,
    CallSession,
    Campaign,
    CampaignStatus,
    DoNotCall,
    Lead,
    LeadStatus,
    PropertyType,
    ScheduledCall,
)
from voiceagent.personal_data.phones import phone_hash
from voiceagent.simulation.calls import CallPlanner, call_events
from voiceagent.simulation.dialer import leads_to_call

DEMO_TAG = "[demo]"
SOURCE = "demo"
STEP = timedelta(hours=1)
# The dialer's load over the day (local hour → weight): busier late morning and early evening.
HOURLY_LOAD = {9: 3, 10: 6, 11: 8, 12: 7, 13: 4, 14: 4, 15: 5, 16: 6, 17: 8, 18: 7, 19: 4, 20: 2}
CAMPAIGN_STATUSES = [
    CampaignStatus.RUNNING, CampaignStatus.RUNNING, CampaignStatus.PAUSED,
    CampaignStatus.COMPLETED, CampaignStatus.RUNNING, CampaignStatus.DRAFT,
]  # fmt: skip
CALLING_HOURS = [(time(9), time(21)), (time(10), time(20)), (time(9), time(21)),
                 (time(10), time(19)), (time(9, 30), time(20, 30)), (time(9), time(21))]  # fmt: skip
# When campaigns seeded as paused or completed stopped calling: days before today, local time.
STOPPED = {CampaignStatus.PAUSED: (12, time(14)), CampaignStatus.COMPLETED: (5, time(18))}

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


@dataclass
class SeedResult:
    campaigns: int
    leads: int
    calls: int
    turns: int
    created: bool


def demo_present():
    return Campaign.objects.filter(description__startswith=DEMO_TAG).exists()


DEMO_DNC_REASON = "Asked not to be called"


@transaction.atomic
def remove_demo():
    campaigns = Campaign.objects.filter(description__startswith=DEMO_TAG)
    calls = CallSession.objects.filter(campaign__in=campaigns)
    # The event log too: a reseed sends the same event_ids, which would otherwise be duplicates.
    CallEvent.objects.filter(call_sid__in=calls.values("call_sid")).delete()
    ScheduledCall.objects.filter(campaign__in=campaigns).delete()
    # The demo campaigns' rollup rows go with the campaigns: no per-call bookkeeping.
    with tracking.suspended():
        calls.delete()
    leads = Lead.objects.filter(campaign__in=campaigns)
    # The demo's DNC entries are those of its DNC leads; a number put there by hand stays.
    DoNotCall.objects.filter(
        phone__in=leads.filter(is_dnc=True).values("phone"), reason=DEMO_DNC_REASON
    ).delete()
    leads.delete()
    campaigns.delete()


def stopped_at(status, today):
    """When a demo campaign seeded as paused or completed stopped calling (None for the others)."""
    if status not in STOPPED:
        return None
    days, at = STOPPED[status]
    return datetime.combine(today - timedelta(days=days), at, tzinfo=ZoneInfo(settings.TIME_ZONE))


class DemoBuilder:
    def __init__(self, *, seed, campaigns, leads, calls, now=None):
        self.rng = random.Random(seed)
        self.planner = CallPlanner(self.rng)
        self.seed = seed
        self.n_campaigns, self.n_leads, self.n_calls = campaigns, leads, calls
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.now = now or timezone.now()
        self.today = self.now.astimezone(self.tz).date()

    def build(self):
        campaigns, stops = self._campaigns()
        leads = self._leads(campaigns, stops)
        calls = self._history(campaigns, stops, leads)
        # Ingestion scored the called leads; the others score on their budget alone.
        recompute_lead_scores(lead_ids=Lead.objects.filter(campaign__in=campaigns).values("pk"))
        turns = CallSession.objects.filter(campaign__in=campaigns).aggregate(
            turns=models.Count("turns")
        )["turns"]
        return SeedResult(len(campaigns), len(leads), calls, turns, True)

    def _at(self, day, at):
        return datetime.combine(day, at, tzinfo=self.tz)

    def _campaigns(self):
        """Every campaign but the draft runs from its start; `stops` says when the others stop."""
        objs, stops = [], {}
        for i in range(self.n_campaigns):
            base = CAMPAIGN_NAMES[i % len(CAMPAIGN_NAMES)]
            name = base if i < len(CAMPAIGN_NAMES) else f"{base} #{i // len(CAMPAIGN_NAMES) + 1}"
            created = self._at(self.today - timedelta(days=35 + i), time(10, 0))
            status = CAMPAIGN_STATUSES[i % len(CAMPAIGN_STATUSES)]
            start, end = CALLING_HOURS[i % len(CALLING_HOURS)]
            objs.append(
                Campaign(
                    name=name,
                    description=f"{DEMO_TAG} Outbound qualification calls for {name}.",
                    status=CampaignStatus.DRAFT
                    if status == CampaignStatus.DRAFT
                    else CampaignStatus.RUNNING,
                    max_attempts=3,
                    calling_hours_start=start,
                    calling_hours_end=end,
                    # Homes from 50 lakh to 1.5 crore: lead scores weigh budgets against it.
                    price_band_min=5_000_000,
                    price_band_max=15_000_000,
                    created_at=created,
                    started_at=created if status != CampaignStatus.DRAFT else None,
                )
            )
            stops[i] = (status, stopped_at(status, self.today))
        campaigns = Campaign.objects.bulk_create(objs)
        return campaigns, {campaigns[i].pk: stop for i, stop in stops.items()}

    def _leads(self, campaigns, stops):
        """Unsaved leads, oldest first: each is imported into the database when its day comes."""
        rng = self.rng
        callable_campaigns = [c for c in campaigns if c.status != CampaignStatus.DRAFT] or campaigns
        leads, used = [], set()
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
            lead = Lead(
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
                created_at=self._import_time(
                    campaign, stops[campaign.pk][1], first=i < len(campaigns)
                ),
            )
            if rng.random() < 0.02:
                lead.is_dnc, lead.dnc_reason, lead.status = True, DEMO_DNC_REASON, LeadStatus.DNC
            leads.append(lead)
        DoNotCall.objects.bulk_create(
            [
                DoNotCall(
                    phone=lead.phone, phone_hash=phone_hash(lead.phone), reason=lead.dnc_reason
                )
                for lead in leads
                if lead.is_dnc
            ],
            ignore_conflicts=True,
        )
        leads.sort(key=lambda lead: lead.created_at)
        return leads

    def _import_time(self, campaign, stop, *, first):
        """A lead file comes in at launch, then one most mornings until the campaign stops."""
        if first or self.rng.random() < 0.3:
            return campaign.created_at
        last = (stop or self.now) - timedelta(hours=1)
        days = max(0, (last - campaign.created_at).days)
        at = self._at(
            (campaign.created_at + timedelta(days=self.rng.randint(0, days))).date(),
            time(8, self.rng.randrange(60)),
        )
        return max(campaign.created_at, min(at, last))

    def _steps(self, campaigns):
        """The moments the dialer looks for leads: every STEP from the first launch until now."""
        launches = [c.started_at for c in campaigns if c.started_at]
        if not launches:
            return []
        at, steps = min(launches), []
        while at + STEP <= self.now:
            steps.append(at)
            at += STEP
        return steps

    def _history(self, campaigns, stops, leads):
        by_pk = {campaign.pk: campaign for campaign in campaigns}
        steps = self._steps(campaigns)
        load = [HOURLY_LOAD.get(step.astimezone(self.tz).hour, 0) for step in steps]
        per_load = self.n_calls / (sum(load) or 1)
        reports = _Reports()
        imported = calls = 0
        for step, weight in zip(steps, load, strict=True):
            while imported < len(leads) and leads[imported].created_at <= step:
                imported += 1
            if imported and leads[imported - 1].pk is None:
                Lead.objects.bulk_create([lead for lead in leads[:imported] if lead.pk is None])
            self._stop_campaigns(by_pk, stops, step)
            capacity = min(math.floor(per_load * weight + self.rng.random()), self.n_calls - calls)
            if capacity <= 0:
                continue
            # Like the live simulator: the leads of calls not reported yet are busy.
            chosen = leads_to_call(now=step, limit=capacity, exclude=reports.leads)
            for lead in chosen:
                calls += 1
                reports.add(lead, self._call(lead, by_pk[lead.campaign_id], stops, step, calls))
        reports.flush()
        Lead.objects.bulk_create([lead for lead in leads if lead.pk is None])
        self._stop_campaigns(by_pk, stops, self.now)
        return calls

    def _stop_campaigns(self, by_pk, stops, at):
        for pk, (status, stop) in stops.items():
            campaign = by_pk[pk]
            if stop is not None and stop <= at and campaign.status != status:
                campaign.status = status
                campaign.completed_at = stop if status == CampaignStatus.COMPLETED else None
                campaign.save(update_fields=["status", "completed_at"])

    def _call(self, lead, campaign, stops, step, number):
        """The events of one call started within this step, the calling hours and the campaign's
        run; and when the agent reports it (a moment after it ended)."""
        ends = [step + STEP, self._at(step.astimezone(self.tz).date(), campaign.calling_hours_end)]
        if stops[campaign.pk][1] is not None:
            ends.append(stops[campaign.pk][1])
        room = (min(ends) - step - timedelta(minutes=2)).total_seconds()
        started_at = step + timedelta(seconds=self.rng.uniform(0, max(room, 0)))
        script = self.planner.plan(lead)
        events = call_events(
            call_sid=f"demo-{self.seed}-{number:06d}",
            lead=lead,
            script=script,
            started_at=started_at,
        )
        return [event for _, event in events], started_at + timedelta(seconds=script[-1][0] + 1)


class _Reports:
    """Calls made but not reported yet, sent to ingestion in batches of up to MAX_BATCH_EVENTS
    (few large batches keep the seeding fast); `leads` are the leads of those calls."""

    def __init__(self):
        self.events, self.leads, self.received_at = [], set(), None

    def add(self, lead, call):
        events, received_at = call
        if len(self.events) + len(events) > MAX_BATCH_EVENTS:
            self.flush()
        self.events.extend(events)
        self.leads.add(lead.id)
        self.received_at = max(self.received_at or received_at, received_at)

    def flush(self):
        if self.events:
            ingest_events(events=self.events, source=SOURCE, received_at=self.received_at)
        self.events, self.leads, self.received_at = [], set(), None


def seed_demo(*, seed=42, campaigns=6, leads=2500, calls=3000, now=None):
    """Load demo data unless it is already there (idempotent); returns what was created."""
    if demo_present():
        return SeedResult(0, 0, 0, 0, False)
    with calls_unannounced(), transaction.atomic():
        return DemoBuilder(
            seed=seed, campaigns=campaigns, leads=leads, calls=calls, now=now
        ).build()

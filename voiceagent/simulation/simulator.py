"""A live call simulator: realistic calls reported through the very same ingestion path.

Each started call gets a whole script (CallPlanner) of timed events: queued → initiated →
ringing, then no answer, busy, failed, or answered with stages, turns (with STT/LLM/TTS
latencies), objections and qualification data, ending qualified, not interested, callback
requested or on voicemail. Events are emitted when they fall due, so calls take tens of seconds
and the events of concurrent calls interleave; each tick's due events go out as one batch,
either to the ingestion service (same process) or over HTTP to /api/call-events.

Only valid leads (phone, not DNC) of running campaigns are called, never two calls of one lead
at once; leads with a due retry or callback come first, then new leads, then the others.
Given a seed, the sequence of call scripts is the same on every run (call_sids carry a run id
so that two runs never collide).
"""

import heapq
import itertools
import logging
import math
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from django.db import DatabaseError
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from voiceagent.ingestion.schema import MAX_BATCH_EVENTS, EventType
from voiceagent.ingestion.services import IngestionError, ingest_events
from voiceagent.models import (
    CallOutcome,
    CampaignStatus,
    Lead,
    LeadStatus,
    ObjectionCategory,
    ScheduledCall,
    Speaker,
    Stage,
)
from voiceagent.simulation.demo_data import (
    INTEREST,
    LINES,
    OBJECTIONS,
    PURPOSES,
    TIMELINES,
    format_inr,
)

logger = logging.getLogger(__name__)

PATHS = ["answered", "no_answer", "busy", "failed"]
PATH_WEIGHTS = [67, 20, 8, 5]
ANSWERED_OUTCOMES = [
    CallOutcome.QUALIFIED,
    CallOutcome.NOT_INTERESTED,
    CallOutcome.CALLBACK_REQUESTED,
    CallOutcome.VOICEMAIL,
]
ANSWERED_WEIGHTS = [28, 38, 22, 12]
ERRORS = ["Exotel: number unreachable", "SIP 503 from carrier", "Deepgram stream closed"]


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
        script.append((at, EventType.INITIATED, {}))
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
            "budget": format_inr(lead.budget or 5_000_000),
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
        }


class DatabaseLeads:
    """Valid leads of running campaigns, best first: due follow-ups, then new, then the rest."""

    FINAL = (LeadStatus.QUALIFIED, LeadStatus.NOT_INTERESTED, LeadStatus.UNREACHABLE)

    def __init__(self, *, campaign_id=None, pool=200):
        self.campaign_id, self.pool = campaign_id, pool

    def candidates(self, *, exclude):
        leads = Lead.objects.valid().filter(campaign__status=CampaignStatus.RUNNING)
        if self.campaign_id:
            leads = leads.filter(campaign_id=self.campaign_id)
        due = ScheduledCall.objects.due().filter(lead__in=leads).values("lead_id")
        ranked = (
            leads.exclude(pk__in=exclude)
            .annotate(
                priority=Case(
                    When(pk__in=due, then=Value(0)),
                    When(status=LeadStatus.NEW, then=Value(1)),
                    When(status__in=self.FINAL, then=Value(3)),
                    default=Value(2),
                    output_field=IntegerField(),
                )
            )
            .order_by("priority", "last_call_at", "pk")
            .values_list(
                "pk", "campaign_id", "name", "city", "property_type", "budget",
                "preferred_locations", "priority",
            )[: self.pool]
        )  # fmt: skip
        rows = list(ranked)
        if not rows:
            return []
        best = rows[0][-1]
        return [LeadInfo(*row[:-1]) for row in rows if row[-1] == best]


class ServiceSink:
    """Applies batches with the ingestion service in this process (same database)."""

    def send(self, events):
        try:
            ingest_events(events=events, source="simulator")
        except IngestionError as exc:
            # A bug in a script, not a transient problem: resending would fail the same way.
            logger.error("simulator batch rejected: %s", getattr(exc, "errors", exc))


class HttpSink:
    """Posts batches to /api/call-events; keeps them for the next try while the server is away."""

    def __init__(self, *, url, token, timeout=10.0, client=None):
        self.url = url.rstrip("/") + "/api/call-events"
        self.client = client or httpx.Client(
            timeout=timeout, headers={"Authorization": f"Token {token}"}
        )

    def send(self, batch):
        response = self.client.post(self.url, json=batch)
        if response.status_code in (401, 403):
            raise PermissionError(f"{self.url} refused the token: {response.text[:200]}")
        if response.status_code >= 500:
            raise ConnectionError(f"{self.url} answered {response.status_code}")
        if response.status_code >= 400:
            # A bug in a script, not a transient problem: resending would fail the same way.
            logger.error(
                "simulator batch rejected (%s): %s", response.status_code, response.text[:500]
            )


def wait_for_server(url, *, sleep=time.sleep, timeout=None, client=None):
    """Block until `url` answers any HTTP request (the embedded server starts in parallel)."""
    client = client or httpx.Client(timeout=2.0)
    started = time.monotonic()
    for attempt in itertools.count():
        try:
            client.get(url.rstrip("/") + "/")
            return
        except httpx.TransportError:
            if timeout is not None and time.monotonic() - started > timeout:
                raise
            if attempt % 20 == 0:
                logger.info("simulator: waiting for %s", url)
            sleep(0.5)


@dataclass(order=True)
class _Due:
    at: float
    order: int
    event: dict = field(compare=False)


class Simulator:
    """Starts `rate` calls per second (Poisson arrivals) and emits their events in real time.

    `clock`/`sleep`/`now` are injectable so that tests can run it on a virtual clock; `speed`
    runs call scripts faster than life (a 60 s call takes 60/speed s). `duration` (seconds, 0 =
    forever) stops new calls; the calls in progress then run to their end.
    """

    def __init__(
        self,
        *,
        sink,
        rate=0.5,
        duration=0,
        seed=None,
        leads=None,
        run_id=None,
        speed=1.0,
        tick=0.5,
        clock=time.monotonic,
        sleep=time.sleep,
        now=timezone.now,
        refresh_every=5.0,
    ):
        self.sink, self.rate, self.duration, self.speed, self.tick = (
            sink,
            rate,
            duration,
            speed,
            tick,
        )
        self.clock, self.sleep, self.now = clock, sleep, now
        self.rng = random.Random(seed)
        self.planner = CallPlanner(self.rng)
        self.leads = leads or DatabaseLeads()
        self.run_id = run_id or format(int(time.time() * 1000) % 36**8, "x")
        self.refresh_every = refresh_every
        self.queue, self.order, self.pending = [], itertools.count(), []
        self.in_flight = {}  # call_sid → lead id
        self.calls_started = self.events_sent = 0
        self._candidates, self._refreshed_at = [], -math.inf

    def run(self):
        self.started_clock, self.started_wall = self.clock(), self.now()
        next_start = self._next_arrival(0.0)
        last_report = 0.0
        while True:
            elapsed = self.clock() - self.started_clock
            accepting = not self.duration or elapsed < self.duration
            while accepting and next_start <= elapsed:
                self._start_call(next_start)
                next_start = self._next_arrival(next_start)
            self._flush(elapsed)
            if not accepting and not self.queue and not self.pending:
                return
            if elapsed - last_report >= 10:
                last_report = elapsed
                logger.info(
                    "simulator: %s calls in progress, %s started, %s events sent",
                    len(self.in_flight), self.calls_started, self.events_sent,
                )  # fmt: skip
            # One tick between sends: the events of all calls due in it go out as one batch.
            self.sleep(self.tick)

    def _next_arrival(self, after):
        return after + self.rng.expovariate(self.rate) if self.rate > 0 else math.inf

    def _pick_lead(self, elapsed):
        busy = set(self.in_flight.values())
        if elapsed - self._refreshed_at >= self.refresh_every or not self._candidates:
            self._refreshed_at = elapsed
            try:
                self._candidates = self.leads.candidates(exclude=busy)
            except DatabaseError as exc:  # e.g. SQLite busy in embedded mode: try again later
                logger.warning("simulator: could not read leads (%s)", exc)
                return None
        choices = [lead for lead in self._candidates if lead.id not in busy]
        if not choices:
            return None
        lead = self.rng.choice(choices)
        self._candidates.remove(lead)
        return lead

    def _start_call(self, start):
        lead = self._pick_lead(start)
        if lead is None:
            return
        self.calls_started += 1
        call_sid = f"SIM-{self.run_id}-{self.calls_started:05d}"
        self.in_flight[call_sid] = lead.id
        script = self.planner.plan(lead)
        for number, (offset, event_type, data) in enumerate(script, start=1):
            due = start + offset / self.speed
            event = {
                "event_id": f"{call_sid}-{number:03d}",
                "type": event_type,
                "occurred_at": (self.started_wall + timedelta(seconds=due)).isoformat(),
                "call_sid": call_sid,
                "campaign_id": lead.campaign_id,
                "lead_id": lead.id,
                "data": data,
            }
            heapq.heappush(self.queue, _Due(due, next(self.order), event))

    def _flush(self, elapsed):
        while self.queue and self.queue[0].at <= elapsed:
            self.pending.append(heapq.heappop(self.queue).event)
        # In batches the ingestion accepts, whichever sink: a busy tick can hold more.
        while self.pending:
            batch = self.pending[:MAX_BATCH_EVENTS]
            try:
                self.sink.send(batch)
            except (httpx.TransportError, ConnectionError, DatabaseError) as exc:
                # Idempotent by event_id: the same events go out again on the next tick.
                logger.warning(
                    "simulator: could not send %s events (%s); retrying", len(self.pending), exc
                )
                return
            self.events_sent += len(batch)
            for event in batch:
                if event["type"] in (EventType.COMPLETED, EventType.FAILED):
                    self.in_flight.pop(event["call_sid"], None)
            del self.pending[: len(batch)]

"""A live call simulator: realistic calls reported through the very same ingestion path.

Each started call gets a whole script (CallPlanner) of timed events: queued → initiated →
ringing, then no answer, busy, failed, or answered with stages, turns (with STT/LLM/TTS
latencies), objections and qualification data, ending qualified, not interested, callback
requested or on voicemail. Events are emitted when they fall due, so calls take tens of seconds
and the events of concurrent calls interleave; each tick's due events go out as one batch,
either to the ingestion service (same process) or over HTTP to /api/call-events.

Leads are picked like a real dialer, by the same rules as the demo history
(voiceagent.simulation.dialer, Lead.objects.due_for_call): leads of running campaigns within
their calling hours that are new or have a follow-up due, below max_attempts, never two calls
of one lead at once; due follow-ups first, then new leads. Given a seed, the sequence of call scripts is the same on every run (call_sids carry a run id
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
from django.utils import timezone

from voiceagent.ingestion.schema import MAX_BATCH_EVENTS
from voiceagent.ingestion.services import IngestionError, ingest_events
from voiceagent.simulation.calls import CallPlanner, LeadInfo, call_events, ends_call
from voiceagent.simulation.dialer import leads_to_call

__all__ = ["CallPlanner", "DatabaseLeads", "HttpSink", "LeadInfo", "ServiceSink", "Simulator"]

logger = logging.getLogger(__name__)


class DatabaseLeads:
    """The leads a dialer would call now (voiceagent.simulation.dialer), optionally of one campaign."""

    def __init__(self, *, campaign_id=None, pool=200):
        self.campaign_id, self.pool = campaign_id, pool

    def candidates(self, *, exclude, now):
        return leads_to_call(
            now=now, limit=self.pool, campaign_id=self.campaign_id, exclude=exclude
        )


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
                self._candidates = self.leads.candidates(exclude=busy, now=self._wall(elapsed))
            except DatabaseError as exc:  # e.g. SQLite busy in embedded mode: try again later
                logger.warning("simulator: could not read leads (%s)", exc)
                return None
        # In the dialer's order; a lead picked from this list is not offered again until refresh.
        while self._candidates:
            lead = self._candidates.pop(0)
            if lead.id not in busy:
                return lead
        return None

    def _wall(self, elapsed):
        return self.started_wall + timedelta(seconds=elapsed)

    def _start_call(self, start):
        lead = self._pick_lead(start)
        if lead is None:
            return
        self.calls_started += 1
        call_sid = f"SIM-{self.run_id}-{self.calls_started:05d}"
        self.in_flight[call_sid] = lead.id
        # A sped-up call is a shorter call: its events carry the times they are sent at.
        script = [
            (offset / self.speed, kind, data) for offset, kind, data in self.planner.plan(lead)
        ]
        for offset, event in call_events(
            call_sid=call_sid, lead=lead, script=script, started_at=self._wall(start)
        ):
            heapq.heappush(self.queue, _Due(start + offset, next(self.order), event))

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
                if ends_call(event):
                    self.in_flight.pop(event["call_sid"], None)
            del self.pending[: len(batch)]

"""The call simulator: realistic deterministic scripts, live interleaved calls, service and HTTP."""

import dataclasses
import io
import random
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from scripts.harness import free_port
from tests.factories import make_call, make_campaign, make_lead, make_scheduled_call
from voiceagent.ingestion.schema import MAX_BATCH_EVENTS
from voiceagent.models import CallEvent, CallSession, CampaignStatus, ConversationTurn
from voiceagent.simulation.calls import CallPlanner, LeadInfo
from voiceagent.simulation.simulator import (
    DatabaseLeads,
    HttpSink,
    ServiceSink,
    Simulator,
    wait_for_server,
)

WALL = datetime(2025, 1, 15, 5, 30, tzinfo=UTC)  # 11:00 in Asia/Kolkata
NIGHT = datetime(2025, 1, 15, 17, 30, tzinfo=UTC)  # 23:00 in Asia/Kolkata
LEAD = LeadInfo(
    id=7,
    campaign_id=1,
    name="Priya Sharma",
    city="Mumbai",
    property_type="apartment",
    budget=8_000_000,
    preferred_locations="Powai, Andheri West",
)


class VirtualClock:
    """Time that moves only when the simulator sleeps: a minute of calls runs in a moment."""

    def __init__(self, wall=WALL):
        self.elapsed, self.wall = 0.0, wall

    def monotonic(self):
        return self.elapsed

    def sleep(self, seconds):
        self.elapsed += seconds

    def now(self):
        return self.wall + timedelta(seconds=self.elapsed)


class RecordingSink:
    """Keeps what would be sent, to compare two runs without a database."""

    def __init__(self):
        self.batches = []

    def send(self, events):
        self.batches.append(list(events))


class FixedLeads:
    def __init__(self, leads):
        self.leads = leads

    def candidates(self, *, exclude, now):
        return [lead for lead in self.leads if lead.id not in exclude]


def simulate(sink, leads, *, seed=3, rate=1.0, duration=60, run_id="T", wall=WALL):
    clock = VirtualClock(wall)
    simulator = Simulator(
        sink=sink, rate=rate, duration=duration, seed=seed, leads=leads, run_id=run_id,
        clock=clock.monotonic, sleep=clock.sleep, now=clock.now,
    )  # fmt: skip
    simulator.run()
    return simulator, clock


def scripts(seed, n=300):
    planner = CallPlanner(random.Random(seed))
    return [planner.plan(LEAD) for _ in range(n)]


def test_same_seed_gives_the_same_call_scripts():
    assert scripts(11) == scripts(11)
    assert scripts(11) != scripts(12)


def test_every_path_of_a_call_occurs_with_realistic_timing():
    plans = scripts(5)
    endings = Counter(
        plan[-1][2].get("outcome", "failed") if plan[-1][1] == "call.completed" else "failed"
        for plan in plans
    )

    assert set(endings) == {
        "qualified",
        "not_interested",
        "callback_requested",
        "voicemail",
        "no_answer",
        "busy",
        "failed",
    }
    for plan in plans:
        assert [event_type for _, event_type, _ in plan[:2]] == ["call.queued", "call.initiated"]
        assert plan[-1][1] in ("call.completed", "call.failed")
        assert [offset for offset, _, _ in plan] == sorted(offset for offset, _, _ in plan)
    conversations = [plan for plan in plans if any(t == "call.turn" for _, t, _ in plan)]
    lengths = [plan[-1][0] for plan in conversations if plan[-1][2]["outcome"] != "voicemail"]
    assert min(lengths) > 20 and max(lengths) < 120


def test_turns_carry_the_latencies_of_their_speaker():
    turns = [
        data for plan in scripts(8) for _, event_type, data in plan if event_type == "call.turn"
    ]

    agent = [turn for turn in turns if turn["speaker"] == "agent"]
    lead = [turn for turn in turns if turn["speaker"] == "lead"]
    assert all(
        turn["llm_ms"] > 0 and turn["tts_ms"] > 0 and turn["stt_ms"] is None for turn in agent
    )
    assert all(turn["stt_ms"] > 0 and turn["llm_ms"] is None for turn in lead)


def test_events_of_concurrent_calls_go_out_interleaved_tick_by_tick():
    leads = FixedLeads([LeadInfo(id=n, campaign_id=1, name=f"Lead {n}") for n in range(1, 80)])

    simulator, clock = simulate(RecordingSink(), leads)
    batches = simulator.sink.batches

    calls_per_batch = [len({event["call_sid"] for event in batch}) for batch in batches]
    assert max(calls_per_batch) >= 3
    assert simulator.calls_started == len({e["call_sid"] for batch in batches for e in batch})
    assert 40 <= simulator.calls_started <= 80
    assert clock.elapsed > 60  # calls started before the end run on to their own end


def test_a_busy_tick_goes_out_in_batches_the_ingestion_accepts():
    # 1,000 calls/s start about 500 calls in one half-second tick, several events each.
    leads = FixedLeads([LeadInfo(id=n, campaign_id=1, name=f"Lead {n}") for n in range(1, 8000)])

    simulator, _ = simulate(RecordingSink(), leads, rate=1000, duration=2)
    sizes = [len(batch) for batch in simulator.sink.batches]

    assert max(sizes) == MAX_BATCH_EVENTS  # some tick held more than one batch
    assert simulator.events_sent == sum(sizes)
    assert not simulator.in_flight  # every call's end went out


def test_same_seed_sends_the_same_events_in_the_same_batches():
    leads = [LeadInfo(id=n, campaign_id=1, name=f"Lead {n}") for n in range(1, 30)]

    first, _ = simulate(RecordingSink(), FixedLeads(leads), seed=9, duration=20, run_id="A")
    second, _ = simulate(RecordingSink(), FixedLeads(leads), seed=9, duration=20, run_id="A")

    assert first.sink.batches == second.sink.batches


@pytest.mark.django_db
def test_a_simulated_minute_through_the_service_calls_only_valid_leads_of_running_campaigns(team):
    running = [make_lead(team.campaign) for _ in range(40)]
    make_lead(team.campaign, is_dnc=True)
    make_lead(team.campaign, phone="")
    paused = make_campaign("Paused", status=CampaignStatus.PAUSED)
    make_lead(paused)
    in_progress_seen = []

    class WatchingSink(ServiceSink):
        def send(self, events):
            super().send(events)
            in_progress_seen.append(CallSession.objects.in_progress().count())

    simulator, _ = simulate(WatchingSink(), DatabaseLeads())

    calls = CallSession.objects.all()
    assert calls.count() == simulator.calls_started
    assert {call.lead_id for call in calls} <= {lead.pk for lead in running}
    assert CallEvent.objects.count() == simulator.events_sent
    assert CallEvent.objects.filter(source="simulator").count() == simulator.events_sent
    assert calls.in_progress().count() == 0  # every call ran to its end
    assert max(in_progress_seen) >= 10
    assert ConversationTurn.objects.exists()
    for lead_id in {call.lead_id for call in calls}:
        spans = sorted((c.initiated_at, c.ended_at) for c in calls.filter(lead_id=lead_id))
        assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:], strict=False))


@pytest.mark.django_db
def test_leads_with_a_due_follow_up_are_called_first(team):
    new = make_lead(team.campaign, status="new")
    due = make_lead(team.campaign, status="contacted", call_attempts=1)
    make_lead(team.campaign, status="qualified")
    now = WALL + timedelta(days=1)
    make_scheduled_call(due, scheduled_for=now - timedelta(minutes=5))

    assert [lead.id for lead in DatabaseLeads().candidates(exclude=set(), now=now)] == [
        due.pk,
        new.pk,
    ]
    assert [lead.id for lead in DatabaseLeads().candidates(exclude={due.pk}, now=now)] == [new.pk]


def dialer_database(team, now):
    """A running and a paused campaign with one lead of each kind a dialer must tell apart."""
    campaign = team.campaign  # running, 09:00-21:00, max_attempts 3
    paused = make_campaign("Paused", status=CampaignStatus.PAUSED)
    afternoon = make_campaign("Afternoon", calling_hours_start=time(12), calling_hours_end=time(18))
    hour = timedelta(hours=1)
    leads = {
        "new": make_lead(campaign, status="new"),
        "due follow-up": make_lead(campaign, status="contacted", call_attempts=1),
        "future follow-up": make_lead(campaign, status="callback", call_attempts=1),
        "at max_attempts": make_lead(campaign, status="contacted", call_attempts=3),
        "qualified": make_lead(campaign, status="qualified", call_attempts=1),
        "not interested": make_lead(campaign, status="not_interested", call_attempts=1),
        "unreachable": make_lead(campaign, status="unreachable", call_attempts=3),
        "dnc flag": make_lead(campaign, is_dnc=True),
        "dnc status": make_lead(campaign, status="dnc"),
        "paused campaign": make_lead(paused, status="new"),
        "outside its campaign's hours": make_lead(afternoon, status="new"),
    }
    make_scheduled_call(leads["due follow-up"], scheduled_for=now - hour)
    make_scheduled_call(leads["future follow-up"], scheduled_for=now + hour)
    make_scheduled_call(leads["at max_attempts"], scheduled_for=now - hour)
    # An attempt is a finished call: three of them, and a canceled one that uses up none.
    for hours_ago, status in ((30, "no_answer"), (20, "busy"), (10, "no_answer")):
        make_call(
            leads["at max_attempts"],
            status=status,
            initiated_at=now - hours_ago * hour,
            call_sid=f"EARLIER-{hours_ago}",
        )
    make_call(
        leads["due follow-up"], status="canceled", initiated_at=now - 5 * hour, call_sid="EARLIER-5"
    )
    make_scheduled_call(leads["qualified"], scheduled_for=now - hour)
    return leads


def called_leads(leads):
    ids = set(
        CallSession.objects.exclude(call_sid__startswith="EARLIER-").values_list(
            "lead_id", flat=True
        )
    )
    return sorted(name for name, lead in leads.items() if lead.pk in ids)


@pytest.mark.django_db
def test_the_simulator_calls_only_the_leads_a_dialer_would_call(team):
    leads = dialer_database(team, WALL)

    simulate(ServiceSink(), DatabaseLeads(), rate=2, duration=10)

    assert called_leads(leads) == ["due follow-up", "new"]
    assert CallSession.objects.exclude(call_sid__startswith="EARLIER-").count() == 2


@pytest.mark.django_db
def test_the_simulator_calls_nobody_outside_calling_hours(team):
    leads = dialer_database(team, NIGHT)

    simulator, _ = simulate(ServiceSink(), DatabaseLeads(), rate=2, duration=10, wall=NIGHT)

    assert called_leads(leads) == []
    assert (simulator.calls_started, CallSession.objects.count()) == (0, 4)  # the EARLIER- calls


@pytest.mark.django_db
def test_a_campaign_filter_only_offers_that_campaigns_leads(team):
    mine = make_lead(team.campaign)
    make_lead(team.other_campaign)

    assert [
        lead.id
        for lead in DatabaseLeads(campaign_id=team.campaign.pk).candidates(exclude=set(), now=WALL)
    ] == [mine.pk]


def test_events_are_kept_while_the_server_is_unreachable():
    sink = HttpSink(url=f"http://127.0.0.1:{free_port()}", token="x", timeout=0.5)
    leads = FixedLeads([LeadInfo(id=1, campaign_id=1, name="Lead")])

    clock = VirtualClock()
    simulator = Simulator(sink=sink, rate=1, duration=3, seed=1, leads=leads, run_id="D",
                          clock=clock.monotonic, sleep=clock.sleep, now=clock.now)  # fmt: skip
    simulator.started_clock, simulator.started_wall = 0.0, WALL
    simulator._start_call(0.0)
    simulator._flush(0.0)

    assert (simulator.events_sent, len(simulator.pending)) == (0, 1)


def test_waiting_for_a_server_that_never_answers_gives_up_after_the_timeout():
    with pytest.raises(httpx.ConnectError):
        wait_for_server(f"http://127.0.0.1:{free_port()}", timeout=0.5, sleep=lambda s: None)


@pytest.mark.django_db(transaction=True)
def test_command_posts_over_http_with_the_embedded_simulator_token(live_server):
    # Calling all day: the command dials leads that are due now, whatever the hour of the run.
    campaign = make_campaign("Live", calling_hours_start=time.min, calling_hours_end=time.max)
    for _ in range(10):
        make_lead(campaign)

    out = io.StringIO()

    call_command(
        "simulate_calls", url=live_server.url, wait_for_server=True, rate=5, duration=2,
        speed=40, seed=2, campaign=campaign.pk, stdout=out,
    )  # fmt: skip

    calls, events = map(
        int, re.search(r"Simulated (\d+) calls, (\d+) events", out.getvalue()).groups()
    )
    simulator_user = User.objects.get(username="simulator")
    assert list(simulator_user.groups.values_list("name", flat=True)) == ["ingest"]
    assert calls > 0
    assert CallSession.objects.filter(campaign=campaign).count() == calls
    assert CallSession.objects.in_progress().count() == 0
    assert CallEvent.objects.filter(source="api").count() == CallEvent.objects.count() == events


@pytest.mark.django_db
def test_command_refuses_a_token_without_a_url_and_an_unknown_campaign(team):
    with pytest.raises(CommandError, match="--token and --wait-for-server need --url."):
        call_command("simulate_calls", token="abc", duration=1)
    with pytest.raises(CommandError, match="No campaign with id 999999."):
        call_command("simulate_calls", campaign=999999, duration=1)


def test_a_few_answered_calls_report_an_ai_error_and_agent_turns_carry_usage():
    planner = CallPlanner(random.Random(11))
    scripts = [planner.plan(LEAD) for _ in range(1000)]
    errors = [data for script in scripts for _, kind, data in script if kind == "call.error"]
    answered = [s for s in scripts if any(kind == "call.answered" for _, kind, _ in s)]
    # Seeded: exactly these counts; about 5% of the answered calls report an error.
    assert (len(errors), len(answered)) == (35, 699)
    assert {error["component"] for error in errors} == {"llm", "stt", "tts", "telephony"}
    for script in scripts:
        assert [step[0] for step in script] == sorted(step[0] for step in script)
    agent_turns = [
        data
        for script in scripts
        for _, kind, data in script
        if kind == "call.turn" and data["speaker"] == "agent"
    ]
    assert all(turn["tts_characters"] == len(turn["text"]) for turn in agent_turns)
    assert all(turn["llm_input_tokens"] > 400 for turn in agent_turns)


def test_each_lead_hears_one_of_two_script_variants_in_call_initiated():
    planner = CallPlanner(random.Random(3))
    variants = {}
    for lead_id in (10, 11, 12, 13):
        lead = dataclasses.replace(LEAD, id=lead_id)
        initiated = [data for _, kind, data in planner.plan(lead) if kind == "call.initiated"]
        variants[lead_id] = initiated[0]["script_variant"]

    assert variants == {10: "default", 11: "warm-open", 12: "default", 13: "warm-open"}

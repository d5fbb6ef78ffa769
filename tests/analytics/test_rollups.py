"""Rollups stay equal to the raw definition: random event streams (shuffled, duplicated, late by
days, outcome changes, several campaigns, a call straddling local midnight) in two time zones,
concurrent writers to one campaign, ORM saves, and verify_rollups naming an injected drift; the
set-based rebuild gives what ingestion kept, and every rule it writes in SQL agrees with the
Python rule beside it."""

import itertools
import json
import random
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone

from analytics import selectors
from analytics.aggregates import rate, rounded
from analytics.costs import billed_minutes, billed_minutes_sql
from analytics.models import CallRollup, LatencyRollup, LeadFunnelRollup, ObjectionRollup
from analytics.periods import Period, local_today
from analytics.rollups import histogram
from analytics.rollups.contribution import (
    answered_sql,
    bucket_of,
    bucket_sql,
    contribution,
    day_of,
    day_sql,
    is_answered,
    reached_sql,
    total_latency_bin,
    total_latency_bin_sql,
    week_hour_of,
    week_hour_sql,
)
from analytics.rollups.rebuild import Drift, rebuild_campaign, verify_campaign
from analytics.rollups.writer import counter_fields
from tests.factories import make_call, make_campaign, make_lead, make_objection, make_turn
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import (
    CallOutcome,
    CallSession,
    CallStatus,
    ConversationTurn,
    Objection,
    ObjectionCategory,
    Stage,
)

OUTCOMES = ["qualified", "not_interested", "callback_requested", "no_answer", "voicemail", "busy"]
STAGES = list(Stage.values)

pytestmark = pytest.mark.django_db


def _event(call, kind, at, data=None, event_id=None):
    call["n"] += 1
    return {
        "event_id": event_id or f"{call['sid']}-{call['n']:03d}",
        "type": kind,
        "occurred_at": at.isoformat(),
        "call_sid": call["sid"],
        "campaign_id": call["lead"].campaign_id,
        "lead_id": call["lead"].pk,
        "data": data or {},
    }


def _call_events(rng, lead, sid, start):
    """One call's events; some arrive late (days after, or saying the call began days before)
    and some change the outcome after the call was counted."""
    call = {"sid": sid, "lead": lead, "n": 0}
    events = [
        _event(call, "call.queued", start - timedelta(seconds=5)),
        _event(call, "call.initiated", start),
        _event(call, "call.ringing", start + timedelta(seconds=3)),
    ]
    ending = rng.random()
    if ending < 0.1:
        return events  # still ringing: counted nowhere
    if ending < 0.2:
        return [*events, _event(call, "call.failed", start + timedelta(seconds=20), {"error": "x"})]
    answered = rng.random() < 0.7
    at = start + timedelta(seconds=8)
    if answered:
        events.append(_event(call, "call.answered", at))
        for sequence in range(1, rng.randint(1, 6)):
            at += timedelta(seconds=rng.randint(1, 9))
            latencies = {
                field: rng.choice([None, rng.randint(0, 4000)])
                for field in ("stt_ms", "llm_ms", "tts_ms")
            }
            data = {
                "sequence": sequence,
                "speaker": rng.choice(["agent", "lead"]),
                "text": "Namaste",
                "stage": rng.choice(STAGES),
                **{k: v for k, v in latencies.items() if v is not None},
                "llm_input_tokens": rng.randint(0, 500),
                "tts_characters": rng.randint(0, 200),
            }
            events.append(_event(call, "call.turn", at, data))
        for _ in range(rng.randint(0, 3)):
            category = rng.choice(ObjectionCategory.values)
            events.append(_event(call, "call.objection", at, {"category": category, "text": "hm"}))
    outcome = rng.choice(OUTCOMES if answered else ["no_answer", "busy", "voicemail"])
    end = at + timedelta(seconds=rng.randint(5, 400))
    completed = {"outcome": outcome, "duration_seconds": rng.randint(0, 400)}
    events.append(_event(call, "call.completed", end, completed))
    if rng.random() < 0.2:  # an earlier report of the end arrives later: the outcome changes
        earlier = {"outcome": rng.choice(OUTCOMES), "duration_seconds": rng.randint(0, 400)}
        events.append(_event(call, "call.completed", end - timedelta(seconds=1), earlier))
    if rng.random() < 0.15:  # the dialler says, late, that the call began days before
        events.append(_event(call, "call.initiated", start - timedelta(days=rng.randint(1, 3))))
    return events


def _stream(rng, leads, zone):
    """All calls' events, shuffled into batches, with some batches resent."""
    today = timezone.now().astimezone(zone).date()
    events = []
    for number in range(60):
        lead = rng.choice(leads)
        if number % 10 == 0:  # 10 s before local midnight: ends on the next day
            day = today - timedelta(days=rng.randint(1, 4))
            start = datetime.combine(day, time(23, 59, 50), tzinfo=zone)
        else:
            start = timezone.now() - timedelta(minutes=rng.randint(60, 6 * 24 * 60))
        events += _call_events(rng, lead, f"CA-{rng.random():.12f}", start)
    rng.shuffle(events)
    batches, index = [], 0
    while index < len(events):
        size = rng.randint(1, 40)
        batches.append(events[index : index + size])
        index += size
    return batches + rng.sample(batches, k=len(batches) // 4)


def _raw_totals(calls):
    answered = Q(answered_at__isnull=False) & ~Q(outcome=CallOutcome.VOICEMAIL)
    return calls.aggregate(
        calls_made=Count("pk"),
        calls_answered=Count("pk", filter=answered),
        calls_qualified=Count("pk", filter=Q(outcome="qualified")),
        calls_not_interested=Count("pk", filter=Q(outcome="not_interested")),
        calls_callback=Count("pk", filter=Q(outcome="callback_requested")),
        calls_no_answer=Count("pk", filter=Q(outcome="no_answer")),
        calls_failed=Count("pk", filter=Q(outcome="failed")),
        avg_call_duration=Avg("duration_seconds", filter=answered),
        total_call_time=Sum("duration_seconds", default=0),
    )


def _assert_equal_to_raw(campaign, period, zone):
    calls = CallSession.objects.finished().filter(campaign=campaign)
    if period is not None:
        calls = calls.filter(**period.filter_kwargs())
    raw = _raw_totals(calls)
    metrics = selectors.campaign_metrics(campaign=campaign, period=period)
    for name, value in raw.items():
        expected = rounded(value) if name == "avg_call_duration" else value
        assert metrics[name] == expected, (name, period)
    assert metrics["conversion_rate"] == rate(
        calls.filter(outcome="qualified").values("lead").distinct().count(),
        metrics["valid_leads"],
    )
    hours = {
        (slot["weekday"], slot["hour"]): slot["calls_made"]
        for slot in selectors.best_hours(campaign=campaign, period=period)["slots"]
        if slot["calls_made"]
    }
    raw_hours = {
        (row["weekday"], row["hour"]): row["n"]
        for row in calls.annotate(
            weekday=ExtractIsoWeekDay("initiated_at", tzinfo=zone),
            hour=ExtractHour("initiated_at", tzinfo=zone),
        )
        .values("weekday", "hour")
        .order_by()
        .annotate(n=Count("pk"))
    }
    assert hours == raw_hours
    raw_bins = {field: {} for field in ("stt_ms", "llm_ms", "tts_ms")}
    turns = ConversationTurn.objects.filter(call__in=calls).values(*raw_bins)
    for turn in turns:
        for field, milliseconds in turn.items():
            if milliseconds is not None:
                bins = raw_bins[field]
                bins[histogram.bin_of(milliseconds)] = (
                    bins.get(histogram.bin_of(milliseconds), 0) + 1
                )
    assert selectors.latency_histograms(campaigns=campaign, period=period) == raw_bins, period
    breakdown = selectors.objection_breakdown(campaign=campaign, period=period)
    objections = Objection.objects.filter(call__in=calls)
    assert breakdown["total_objections"] == objections.count()
    assert breakdown["calls_with_objections"] == objections.values("call").distinct().count()
    for row in breakdown["categories"]:
        of_category = objections.filter(category=row["category"])
        assert row["objections"] == of_category.count()
        assert row["calls"] == of_category.values("call").distinct().count()


def _assert_daily_equal_to_raw(campaign, zone):
    period = Period.last_days(8)
    calls = CallSession.objects.finished().filter(campaign=campaign, **period.filter_kwargs())
    raw = {
        row["day"]: row["n"]
        for row in calls.annotate(day=TruncDate("initiated_at", tzinfo=zone))
        .values("day")
        .order_by()
        .annotate(n=Count("pk"))
    }
    stats = selectors.daily_stats(campaigns=campaign, period=period)
    assert {row["date"]: row["calls_made"] for row in stats if row["calls_made"]} == raw


def rollup_rows(campaign_id):
    """{table: {key: counters}} of the campaign's rollup rows, rows whose counters are all 0
    left out (ingestion keeps a row a call moved out of; a rebuild has none)."""
    tables = {}
    for model in (CallRollup, ObjectionRollup, LatencyRollup, LeadFunnelRollup):
        keys = [model._meta.get_field(name).attname for name in model._meta.pk.field_names]
        counters = [field.name for field in counter_fields(model)]
        tables[model._meta.db_table] = {
            tuple(row[k] for k in keys): {c: row[c] for c in counters}
            for row in model.objects.filter(campaign_id=campaign_id).values(*keys, *counters)
            if any(row[c] for c in counters)
        }
    return tables


@pytest.mark.parametrize("zone_name", ["Asia/Kolkata", "Asia/Kathmandu"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_event_streams_give_rollups_equal_to_the_raw_definition(settings, zone_name, seed):
    settings.TIME_ZONE = zone_name
    zone = ZoneInfo(zone_name)
    rng = random.Random(seed)
    campaigns = [make_campaign(), make_campaign()]
    leads = [make_lead(campaign) for campaign in campaigns for _ in range(4)]

    for batch in _stream(rng, leads, zone):
        ingest_events(events=batch, source="api")

    assert CallSession.objects.finished().count() > 30
    for campaign in campaigns:
        assert verify_campaign(campaign.pk) == []
        kept = rollup_rows(campaign.pk)
        rebuild_campaign(campaign.pk)
        assert rollup_rows(campaign.pk) == kept
        assert verify_campaign(campaign.pk) == []
        for period in (None, Period.last_days(2), Period(local_today(), local_today())):
            _assert_equal_to_raw(campaign, period, zone)
        _assert_daily_equal_to_raw(campaign, zone)
        funnel = selectors.campaign_funnel(campaign=campaign)
        dialed = next(step for step in funnel["steps"] if step["step"] == "dialed")
        assert dialed["count"] == (
            CallSession.objects.finished()
            .filter(campaign=campaign)
            .values("lead")
            .distinct()
            .count()
        )


def test_a_call_straddling_local_midnight_counts_on_the_day_it_was_initiated(settings):
    settings.TIME_ZONE = "Asia/Kathmandu"
    zone = ZoneInfo("Asia/Kathmandu")
    lead = make_lead(make_campaign())
    day = local_today() - timedelta(days=1)
    start = datetime.combine(day, time(23, 59, 59), tzinfo=zone)
    call = {"sid": "CA-midnight", "lead": lead, "n": 0}
    ingest_events(
        events=[
            _event(call, "call.initiated", start),
            _event(call, "call.answered", start + timedelta(seconds=1)),
            _event(
                call,
                "call.completed",
                start + timedelta(seconds=90),
                {"outcome": "qualified", "duration_seconds": 88},
            ),
        ],  # fmt: skip
        source="api",
    )

    stats = selectors.daily_stats(campaigns=lead.campaign, period=Period(day, local_today()))

    assert [(row["date"], row["calls_made"], row["avg_call_duration"]) for row in stats] == [
        (day, 1, 88.0),
        (local_today(), 0, 0.0),
    ]


def test_saving_a_call_through_the_orm_moves_its_contribution():
    lead = make_lead(make_campaign())
    call = make_call(lead, outcome=CallOutcome.QUALIFIED, duration=30)
    make_turn(call, 1, llm_ms=500)
    make_objection(call, "price")
    metrics = selectors.campaign_metrics(campaign=lead.campaign)
    assert (metrics["calls_qualified"], metrics["calls_not_interested"]) == (1, 0)

    call.outcome = CallOutcome.NOT_INTERESTED
    call.save()
    moved = selectors.campaign_metrics(campaign=lead.campaign)
    call.delete()
    gone = selectors.campaign_metrics(campaign=lead.campaign)

    assert (moved["calls_qualified"], moved["calls_not_interested"]) == (0, 1)
    assert (gone["calls_made"], gone["total_call_time"]) == (0, 0)
    assert verify_campaign(lead.campaign_id) == []


def test_verify_rollups_names_a_drift_injected_with_sql_and_rebuild_repairs_it(capsys):
    lead = make_lead(make_campaign())
    make_call(lead, duration=42)
    call_command("verify_rollups")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE analytics_callrollup SET total_call_time = total_call_time + 5 "
            "WHERE campaign_id = %s",
            [lead.campaign_id],
        )

    with pytest.raises(SystemExit) as exited:
        call_command("verify_rollups")
    err = capsys.readouterr().err
    call_command("rebuild_rollups", "--campaign", str(lead.campaign_id))

    assert exited.value.code == 1
    assert "total_call_time is 47, raw rows give 42" in err
    assert "1 rollup counter(s) differ from the raw rows." in err
    assert verify_campaign(lead.campaign_id) == []


def test_the_metrics_scrape_shows_the_last_verifications_drift(client):
    lead = make_lead(make_campaign())
    make_call(lead)
    CallRollup.objects.filter(campaign=lead.campaign).update(calls_made=5)
    with pytest.raises(SystemExit):
        call_command("verify_rollups")

    body = client.get("/health/metrics").content.decode()

    assert "\nrollup_drift 1.0\n" in body


def test_rebuild_rollups_twice_gives_the_rollups_ingestion_kept():
    lead = make_lead(make_campaign())
    for outcome in ("qualified", "no_answer", "voicemail"):
        call = make_call(lead, outcome=outcome, duration=61)
        make_turn(call, 1, stt_ms=200, llm_ms=700, tts_ms=150, llm_input_tokens=40)
    kept = list(CallRollup.objects.values())

    rebuild_campaign(lead.campaign_id)
    rebuild_campaign(lead.campaign_id)

    assert list(CallRollup.objects.values()) == kept
    assert kept[0]["billed_minutes"] == 6
    assert kept[0]["llm_input_tokens"] == 120


@pytest.mark.parametrize("fraction", [0.5, 0.95])
def test_histogram_percentiles_are_within_the_stated_relative_error(fraction):
    from analytics.aggregates import percentile_cont

    rng = random.Random(7)
    values = [rng.randint(1, 20000) for _ in range(5000)]
    counts = {}
    for value in values:
        counts[histogram.bin_of(value)] = counts.get(histogram.bin_of(value), 0) + 1

    exact = percentile_cont(values, fraction)
    estimate = histogram.percentile(counts, fraction)

    assert abs(estimate - exact) / exact <= histogram.RELATIVE_ERROR


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_to_one_campaign_lose_nothing_and_never_deadlock():
    campaign = make_campaign()
    leads = [make_lead(campaign) for _ in range(8)]
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    barrier, failures = threading.Barrier(8), []

    def writer(index):
        try:
            barrier.wait()
            for number in range(10):
                call = {"sid": f"CA-{index}-{number}", "lead": leads[index], "n": 0}
                ingest_events(
                    events=[
                        _event(call, "call.initiated", start),
                        _event(call, "call.answered", start + timedelta(seconds=2)),
                        _event(
                            call,
                            "call.completed",
                            start + timedelta(seconds=30),
                            {"outcome": "qualified", "duration_seconds": 28},
                        ),
                    ],  # fmt: skip
                    source="api",
                )
        except Exception as exc:  # reported below, with the writer's number
            failures.append((index, exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    totals = CallRollup.objects.filter(campaign=campaign).aggregate(
        made=Sum("calls_made"), qualified=Sum("calls_qualified"), time=Sum("total_call_time")
    )
    assert totals == {"made": 80, "qualified": 80, "time": 80 * 28}
    assert verify_campaign(campaign.pk) == []


def _select_one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _select_row(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


def test_histogram_bins_in_sql_equal_bin_of_for_every_millisecond_up_to_200000():
    in_sql = _select_one(
        f"SELECT array_agg({histogram.bin_sql('ms')} ORDER BY ms) "
        "FROM generate_series(0, 200000) AS ms"
    )

    assert in_sql == [histogram.bin_of(ms) for ms in range(200001)]


def test_buckets_in_sql_equal_bucket_of():
    kolkata, kathmandu = ZoneInfo("Asia/Kolkata"), ZoneInfo("Asia/Kathmandu")
    instants = [
        None,
        datetime(2025, 3, 9, 18, 30, tzinfo=UTC),  # a bucket's first instant
        datetime(2025, 3, 9, 18, 44, 59, 999999, tzinfo=UTC),  # its last microsecond
        datetime(2025, 3, 10, 0, 0, tzinfo=kolkata),  # local midnight, +05:30
        datetime(2025, 3, 9, 23, 59, 59, 500000, tzinfo=kolkata),
        datetime(2025, 3, 10, 0, 0, tzinfo=kathmandu),  # local midnight, +05:45
        datetime(2025, 3, 9, 23, 59, 59, 999999, tzinfo=kathmandu),
        datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch: floored
        datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]

    in_sql = [_select_one(f"SELECT {bucket_sql('%s::timestamptz')}", [at]) for at in instants]

    assert in_sql == [bucket_of(at) for at in instants]


@pytest.mark.parametrize("zone_name", ["Asia/Kolkata", "Asia/Kathmandu"])
def test_days_in_sql_equal_day_of_in_the_configured_time_zone(settings, zone_name):
    settings.TIME_ZONE = zone_name
    kolkata, kathmandu = ZoneInfo("Asia/Kolkata"), ZoneInfo("Asia/Kathmandu")
    instants = [
        None,  # the epoch's local day
        datetime(2025, 3, 10, 0, 0, tzinfo=kolkata),  # local midnight, +05:30
        datetime(2025, 3, 9, 23, 59, 59, 999999, tzinfo=kolkata),
        datetime(2025, 3, 10, 0, 0, tzinfo=kathmandu),  # local midnight, +05:45
        datetime(2025, 3, 9, 23, 59, 59, 999999, tzinfo=kathmandu),
        datetime(2025, 3, 9, 18, 20, tzinfo=UTC),  # 23:50 in Kolkata, 00:05 in Kathmandu
        datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
        datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]

    in_sql = [_select_one(f"SELECT {day_sql('%s::timestamptz')}", [at]) for at in instants]

    assert in_sql == [day_of(at) for at in instants]
    assert day_of(instants[5]) == (
        date(2025, 3, 9) if zone_name == "Asia/Kolkata" else date(2025, 3, 10)
    )
    assert day_of(None) == date(1970, 1, 1)


@pytest.mark.parametrize("zone_name", ["Asia/Kolkata", "Asia/Kathmandu"])
def test_weekday_and_hour_in_sql_equal_week_hour_of_in_the_configured_time_zone(
    settings, zone_name
):
    settings.TIME_ZONE = zone_name
    kolkata = ZoneInfo("Asia/Kolkata")
    instants = [
        None,  # the epoch's: a Thursday, 05:30 in Kolkata, 05:45 in Kathmandu
        datetime(2025, 3, 10, 0, 0, tzinfo=kolkata),  # Monday midnight in Kolkata
        datetime(2025, 3, 9, 23, 59, 59, 999999, tzinfo=kolkata),  # Sunday 23h
        datetime(2025, 3, 9, 18, 20, tzinfo=UTC),  # Sunday 23:50 in Kolkata, Monday in Kathmandu
        datetime(2025, 3, 9, 18, 14, 59, tzinfo=UTC),  # 23:44 / 23:59 Sunday
    ]
    weekday, hour = week_hour_sql("%s::timestamptz")

    in_sql = [_select_row(f"SELECT {weekday}, {hour}", [at, at]) for at in instants]

    assert in_sql == [week_hour_of(at) for at in instants]
    assert week_hour_of(instants[3]) == ((7, 23) if zone_name == "Asia/Kolkata" else (1, 0))
    assert week_hour_of(None) == (4, 5)


def test_rows_in_local_time_written_under_one_time_zone_are_drift_under_another(settings, capsys):
    settings.TIME_ZONE = "Asia/Kolkata"
    lead = make_lead(make_campaign())
    # 23:50 in Kolkata on 9 March is 00:05 on 10 March in Kathmandu (+05:45).
    call = make_call(lead, initiated_at=datetime(2025, 3, 9, 18, 20, tzinfo=UTC), duration=30)
    make_turn(call, 1, llm_ms=700)
    assert verify_campaign(lead.campaign_id) == []

    settings.TIME_ZONE = "Asia/Kathmandu"
    drift = verify_campaign(lead.campaign_id)
    with pytest.raises(SystemExit) as exited:
        call_command("verify_rollups", "--campaign", str(lead.campaign_id))
    call_command("rebuild_rollups", "--campaign", str(lead.campaign_id))

    key = (lead.campaign_id, "llm_ms", histogram.bin_of(700))
    moved = {  # the call's CallDayRollup counters, on the wrong day under Kathmandu
        "calls_made": 1, "calls_answered": 1, "answered_duration": 30, "answered_durations": 1,
        "total_call_time": 30, "billed_minutes": 1, "llm_ms_total": 700, "llm_ms_turns": 1,
    }  # fmt: skip
    per_day = [  # (expected, stored) of each counter: stored on 9 March, due on 10 March
        Drift("analytics_calldayrollup", (key[0], day), counter, *(amount * n for n in sides))
        for day, sides in ((date(2025, 3, 9), (0, 1)), (date(2025, 3, 10), (1, 0)))
        for counter, amount in moved.items()
    ]
    total = (lead.campaign_id, "total", 1)  # 700 ms in all: the 0.5–1 s bucket
    assert drift == [
        *per_day,
        Drift("analytics_latencyrollup", (key[0], date(2025, 3, 9), *key[1:]), "turns", 0, 1),
        Drift("analytics_latencyrollup", (total[0], date(2025, 3, 9), *total[1:]), "turns", 0, 1),
        Drift("analytics_latencyrollup", (key[0], date(2025, 3, 10), *key[1:]), "turns", 1, 0),
        Drift("analytics_latencyrollup", (total[0], date(2025, 3, 10), *total[1:]), "turns", 1, 0),
        # Sunday 23h in Kolkata is Monday 0h in Kathmandu:
        Drift("analytics_weekhourrollup", (key[0], 1, 0), "calls_made", 1, 0),
        Drift("analytics_weekhourrollup", (key[0], 1, 0), "calls_answered", 1, 0),
        Drift("analytics_weekhourrollup", (key[0], 7, 23), "calls_made", 0, 1),
        Drift("analytics_weekhourrollup", (key[0], 7, 23), "calls_answered", 0, 1),
    ]
    assert exited.value.code == 1
    assert "24 rollup counter(s) differ from the raw rows." in capsys.readouterr().err
    assert verify_campaign(lead.campaign_id) == []
    assert list(
        LatencyRollup.objects.filter(campaign=lead.campaign, turns__gt=0)
        .order_by("component")
        .values_list("day", "component", "turns")
    ) == [(date(2025, 3, 10), "llm_ms", 1), (date(2025, 3, 10), "total", 1)]


def test_total_latency_bins_in_sql_equal_total_latency_bin():
    values = [None, 0, 1, 249, 250, 499, 500, 999, 1000, 1500, 2999, 3000, 2_147_483_647]
    turns = [
        dict(zip(("stt_ms", "llm_ms", "tts_ms"), latencies, strict=True))
        for latencies in itertools.product(values, repeat=3)
    ]

    in_sql = _select_one(
        f"SELECT array_agg({total_latency_bin_sql('t')} ORDER BY t.n) "
        "FROM unnest(%s::integer[], %s::integer[], %s::integer[]) WITH ORDINALITY "
        "AS t (stt_ms, llm_ms, tts_ms, n)",
        [[turn[field] for turn in turns] for field in ("stt_ms", "llm_ms", "tts_ms")],
    )

    # Every mix of the edges 499/500, 2,999/3,000 and missing steps; sums past int4 included.
    assert len(turns) == 2197
    assert in_sql == [total_latency_bin(turn) for turn in turns]


def test_billed_minutes_in_sql_equal_billed_minutes():
    durations = [None, *range(0, 3602)]

    in_sql = _select_one(
        f"SELECT array_agg({billed_minutes_sql('d')} ORDER BY n) "
        "FROM unnest(%s::integer[]) WITH ORDINALITY AS t (d, n)",
        [durations],
    )

    assert in_sql == [billed_minutes(d) for d in durations]


def test_answered_in_sql_equals_is_answered():
    at = datetime(2025, 3, 9, 12, 0, tzinfo=UTC)
    calls = [
        {"status": status, "answered_at": answered_at, "outcome": outcome}
        for status in CallStatus.values
        for answered_at in (None, at)
        for outcome in ["", *CallOutcome.values]
    ]

    in_sql = _select_one(
        f"SELECT array_agg({answered_sql('c')} ORDER BY c.n) "
        "FROM unnest(%s::text[], %s::timestamptz[], %s::text[]) WITH ORDINALITY "
        "AS c (status, answered_at, outcome, n)",
        [[c[field] for c in calls] for field in ("status", "answered_at", "outcome")],
    )

    assert in_sql == [is_answered(call) for call in calls]


def test_stages_reached_in_sql_equal_contributions_funnel():
    subsets = [
        dict.fromkeys(chosen, "2025-03-09T12:00:00+00:00")
        for size in range(len(STAGES) + 1)
        for chosen in itertools.combinations(STAGES, size)
    ]
    call = {
        "campaign_id": 1, "lead_id": 2, "status": "completed", "outcome": "qualified",
        "initiated_at": None, "answered_at": datetime(2025, 3, 9, tzinfo=UTC),
        "duration_seconds": 60,
    }  # fmt: skip

    for stage in STAGES:
        in_sql = _select_one(
            f"SELECT array_agg({reached_sql('r.reached', stage)} ORDER BY r.n) "
            "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS r (reached, n)",
            [[json.dumps(reached) for reached in subsets]],
        )
        in_python = [
            contribution({**call, "stage_first_reached": reached})[LeadFunnelRollup][(1, 2)][
                f"reached_{stage}"
            ]
            == 1
            for reached in subsets
        ]
        assert in_sql == in_python, stage

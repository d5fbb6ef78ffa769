"""manage.py rebuild_rollups and verify_rollups on PostgreSQL (set-based): exact drift reports,
--campaign and --since touching only their rows, a rebuild run twice, stopped halfway or beside an
open ingestion batch, and the call-by-call path (kept for SQLite) agreeing with the set-based
one."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from analytics.models import CallRollup, LatencyRollup, LeadFunnelRollup, ObjectionRollup
from analytics.periods import local_today, start_of_day
from analytics.rollups import histogram
from analytics.rollups.contribution import bucket_of
from analytics.rollups.rebuild import (
    Drift,
    Since,
    rebuild_campaign,
    rebuild_campaign_call_by_call,
    verify_campaign,
    verify_campaign_call_by_call,
)
from tests.analytics.test_rollups import _event, rollup_rows
from tests.db_locks import wait_for_a_lock_wait
from tests.factories import make_call, make_campaign, make_lead, make_objection, make_turn
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import CallOutcome, CallSession, Stage

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 9, 6, 40, tzinfo=UTC)  # 12:10 IST; bucket 06:30 UTC
BUCKET = datetime(2025, 3, 9, 6, 30, tzinfo=UTC)
DAY = date(2025, 3, 9)  # its local day in Asia/Kolkata (LatencyRollup's key)


def _execute(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _campaign_with_calls():
    """Two answered calls of one lead in one bucket: a qualified one with two turns and two
    objections (price twice), a not-interested one with a timing objection."""
    lead = make_lead(make_campaign())
    qualified = make_call(
        lead,
        initiated_at=AT,
        outcome=CallOutcome.QUALIFIED,
        duration=61,
        stage_first_reached={Stage.GREETING: "2025-03-09T06:40:05+00:00"},
    )
    make_turn(qualified, 1, stt_ms=200, llm_ms=700, llm_input_tokens=40)
    make_turn(qualified, 2, stt_ms=200, tts_ms=150, tts_characters=90)
    make_objection(qualified, "price")
    make_objection(qualified, "price")
    other = make_call(lead, initiated_at=AT, outcome=CallOutcome.NOT_INTERESTED, duration=30)
    make_objection(other, "timing")
    return lead


def test_verify_names_each_drifting_table_key_and_counter():
    lead = _campaign_with_calls()
    campaign = lead.campaign_id
    stt_bin = histogram.bin_of(200)
    _execute(
        "UPDATE analytics_latencyrollup SET turns = 5 WHERE campaign_id = %s AND bin = %s",
        [campaign, stt_bin],
    )
    _execute("DELETE FROM analytics_leadfunnelrollup WHERE campaign_id = %s", [campaign])
    _execute(
        "INSERT INTO analytics_objectionrollup (campaign_id, bucket, category, objections, calls, "
        "calls_qualified) VALUES (%s, %s, 'trust', 1, 1, 0)",
        [campaign, BUCKET],
    )
    _execute(  # a row whose counters are all 0 is no drift: ingestion leaves such rows
        "INSERT INTO analytics_objectionrollup (campaign_id, bucket, category, objections, calls, "
        "calls_qualified) VALUES (%s, %s, 'other', 0, 0, 0)",
        [campaign, BUCKET],
    )

    drift = verify_campaign(campaign)

    assert drift == [
        Drift("analytics_objectionrollup", (campaign, BUCKET, "trust"), "objections", 0, 1),
        Drift("analytics_objectionrollup", (campaign, BUCKET, "trust"), "calls", 0, 1),
        Drift("analytics_latencyrollup", (campaign, DAY, "stt_ms", stt_bin), "turns", 2, 5),
        Drift("analytics_leadfunnelrollup", (campaign, lead.pk), "dialed", 2, 0),
        Drift("analytics_leadfunnelrollup", (campaign, lead.pk), "answered", 2, 0),
        Drift("analytics_leadfunnelrollup", (campaign, lead.pk), "reached_greeting", 1, 0),
        Drift("analytics_leadfunnelrollup", (campaign, lead.pk), "qualified", 1, 0),
    ]
    assert verify_campaign_call_by_call(campaign) == drift
    assert str(drift[2]) == (
        f"analytics_latencyrollup ({campaign}, {DAY!r}, 'stt_ms', {stt_bin}): turns is 5, "
        "raw rows give 2"
    )


def test_verify_rollups_prints_each_drift_and_exits_1(capsys):
    lead = _campaign_with_calls()
    _execute(
        "UPDATE analytics_callrollup SET billed_minutes = 9, tts_characters = 0 "
        "WHERE campaign_id = %s",
        [lead.campaign_id],
    )

    with pytest.raises(SystemExit) as exited:
        call_command("verify_rollups", "--campaign", str(lead.campaign_id))

    key = f"({lead.campaign_id}, {BUCKET!r})"
    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        f"campaign {lead.campaign_id}: analytics_callrollup {key}: billed_minutes is 9, "
        "raw rows give 3",
        f"campaign {lead.campaign_id}: analytics_callrollup {key}: tts_characters is 0, "
        "raw rows give 90",
        "2 rollup counter(s) differ from the raw rows.",
    ]


def test_the_rebuild_gives_what_ingestion_kept_and_again_the_same():
    lead = _campaign_with_calls()
    kept = rollup_rows(lead.campaign_id)

    rebuild_campaign(lead.campaign_id)
    once = rollup_rows(lead.campaign_id)
    rebuild_campaign(lead.campaign_id)

    assert rollup_rows(lead.campaign_id) == once == kept
    rollup = CallRollup.objects.get(campaign=lead.campaign)
    assert (rollup.calls_made, rollup.billed_minutes, rollup.stt_ms_turns) == (2, 3, 2)
    assert sorted(
        ObjectionRollup.objects.filter(campaign=lead.campaign).values_list(
            "category", "objections", "calls", "calls_qualified"
        )
    ) == [("", 3, 2, 1), ("price", 2, 1, 1), ("timing", 1, 1, 0)]


def test_the_set_based_rebuild_equals_the_call_by_call_one():
    lead = _campaign_with_calls()
    unplaced = make_call(lead, status="no_answer", answered=False)
    CallSession.objects.filter(pk=unplaced.pk).update(initiated_at=None, queued_at=None)
    make_call(lead, initiated_at=AT - timedelta(days=40), outcome=CallOutcome.VOICEMAIL)

    rebuild_campaign_call_by_call(lead.campaign_id)
    call_by_call = rollup_rows(lead.campaign_id)
    rebuild_campaign(lead.campaign_id)

    assert rollup_rows(lead.campaign_id) == call_by_call
    assert CallRollup.objects.filter(campaign=lead.campaign).count() == 3


def test_since_and_campaign_rebuild_only_their_rows_and_the_whole_funnel():
    today = start_of_day(local_today())
    leads = [make_lead(make_campaign()) for _ in range(2)]
    for lead in leads:
        make_call(lead, initiated_at=today - timedelta(days=3), duration=10)
        make_call(lead, initiated_at=today - timedelta(days=1), duration=20)
    _execute("UPDATE analytics_callrollup SET total_call_time = 99")
    _execute("UPDATE analytics_leadfunnelrollup SET dialed = 7")
    since = (local_today() - timedelta(days=2)).isoformat()

    call_command("rebuild_rollups", "--campaign", str(leads[0].campaign_id), "--since", since)

    def call_time(lead):
        return dict(
            CallRollup.objects.filter(campaign=lead.campaign).values_list(
                "bucket", "total_call_time"
            )
        )

    old, recent = (bucket_of(today - timedelta(days=n)) for n in (3, 1))
    assert call_time(leads[0]) == {old: 99, recent: 20}
    assert call_time(leads[1]) == {old: 99, recent: 99}
    assert list(
        LeadFunnelRollup.objects.order_by("campaign").values_list("campaign", "dialed")
    ) == [(leads[0].campaign_id, 2), (leads[1].campaign_id, 7)]


@pytest.mark.parametrize("path", ["set-based", "call by call"])
def test_since_rebuilds_the_latency_histograms_from_its_local_day_and_buckets_from_its_own(
    settings, path
):
    settings.TIME_ZONE = "Asia/Kathmandu"
    lead = make_lead(make_campaign())
    days = [local_today() - timedelta(days=n) for n in (3, 1)]
    for day in days:
        call = make_call(lead, initiated_at=start_of_day(day) + timedelta(minutes=5), duration=10)
        make_turn(call, 1, stt_ms=200)
    _execute("UPDATE analytics_latencyrollup SET turns = 9")
    _execute("UPDATE analytics_callrollup SET total_call_time = 99")
    since = start_of_day(days[1]) + timedelta(hours=5)  # after that day's call, on its day

    if path == "set-based":
        rebuild_campaign(lead.campaign_id, since=since)
    else:
        rebuild_campaign_call_by_call(lead.campaign_id, since=Since.of(since))

    latency = LatencyRollup.objects.filter(campaign=lead.campaign)
    assert dict(latency.values_list("day", "turns")) == {days[0]: 9, days[1]: 1}
    assert list(CallRollup.objects.values_list("total_call_time", flat=True)) == [99, 99]


def test_a_rebuild_stopped_halfway_leaves_the_campaign_as_it_was():
    lead = _campaign_with_calls()
    _execute("UPDATE analytics_callrollup SET calls_made = 9")
    _execute("DELETE FROM analytics_latencyrollup WHERE component = 'tts_ms'")
    before = rollup_rows(lead.campaign_id)
    # The funnel is rebuilt last: a trigger makes its insert fail, as a stop would.
    _execute(
        "CREATE FUNCTION stop_rebuild() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'stopped'; END $$"
    )
    _execute(
        "CREATE TRIGGER stop_rebuild BEFORE INSERT ON analytics_leadfunnelrollup "
        "FOR EACH ROW EXECUTE FUNCTION stop_rebuild()"
    )

    with pytest.raises(Exception, match="stopped"):
        rebuild_campaign(lead.campaign_id)

    assert rollup_rows(lead.campaign_id) == before
    assert CallRollup.objects.get(campaign=lead.campaign).calls_made == 9
    # The stt and llm bins (the tts rows deleted above stay deleted); the turns' totals aside.
    assert (
        LatencyRollup.objects.filter(campaign=lead.campaign).exclude(component="total").count() == 2
    )


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_waits_for_an_open_ingestion_batch_and_counts_it_once():
    lead = _campaign_with_calls()
    ingested, commit, failures = threading.Event(), threading.Event(), []
    call = {"sid": "CA-open-batch", "lead": lead, "n": 0}
    batch = [
        _event(call, "call.initiated", AT),
        _event(call, "call.answered", AT + timedelta(seconds=2)),
        _event(call, "call.completed", AT + timedelta(seconds=40), {"outcome": "qualified"}),
    ]

    def ingest():
        try:
            with transaction.atomic():
                ingest_events(events=batch, source="api")
                ingested.set()
                commit.wait(timeout=60)
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    def rebuild():
        try:
            rebuild_campaign(lead.campaign_id)
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    writer, rebuilder = threading.Thread(target=ingest), threading.Thread(target=rebuild)
    writer.start()
    assert ingested.wait(timeout=60)
    rebuilder.start()
    waiting = wait_for_a_lock_wait()
    commit.set()
    writer.join(timeout=60)
    rebuilder.join(timeout=60)

    assert (waiting, failures) == (True, [])
    assert CallRollup.objects.get(campaign=lead.campaign).calls_made == 3
    assert verify_campaign(lead.campaign_id) == []

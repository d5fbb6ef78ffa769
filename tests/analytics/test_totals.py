"""LeadTotals and FunnelTotals (analytics/rollups/totals.py): the triggers keep them equal to the
leads (Lead.objects.valid(), .dnc_filtered()) and to the LeadFunnelRollup rows whatever writes
them, verify_rollups names their drift, rebuild_rollups repairs it, and the selectors read them
instead of counting leads."""

import importlib
import random
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from analytics import selectors
from analytics.models import FunnelTotals, LeadFunnelRollup, LeadTotals
from analytics.rollups import totals
from analytics.rollups.rebuild import Drift, rebuild_campaign, verify_campaign
from analytics.rollups.totals import counted_funnel, counted_leads
from analytics.rollups.writer import upsert
from tests.factories import make_call, make_campaign, make_lead, make_phone, make_user
from voiceagent.campaigns.dnc import add_to_dnc, remove_from_dnc
from voiceagent.campaigns.services import delete_campaign
from voiceagent.models import CallOutcome, CampaignStatus, Lead
from voiceagent.personal_data.erasure import erase_lead

pytestmark = pytest.mark.django_db

LEAD_COUNTS = ("total_leads", "valid_leads", "dnc_filtered_leads")


def _execute(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _stored_leads(campaign):
    return LeadTotals.objects.filter(campaign=campaign).values(*LEAD_COUNTS).get()


def _stored_funnel(campaign_id):
    steps = [f.name for f in FunnelTotals._meta.concrete_fields if not f.primary_key]
    return FunnelTotals.objects.filter(campaign_id=campaign_id).values(*steps).get()


def _mutate_leads(rng, campaigns):
    """One random write of leads, the way the product or an operator makes it."""
    leads = list(Lead.objects.filter(campaign__in=campaigns).order_by("pk"))
    action = rng.choice(
        ["create", "bulk", "edit", "move", "dnc", "undnc", "erase", "delete", "raw"]
    )
    if action == "create" or not leads:
        make_lead(rng.choice(campaigns), phone=rng.choice([make_phone(), ""]))
    elif action == "bulk":
        Lead.objects.bulk_create(
            Lead(campaign=rng.choice(campaigns), name="Bulk", phone=rng.choice([make_phone(), ""]))
            for _ in range(rng.randint(1, 4))
        )
    elif action == "edit":  # the admin's save(): every column written
        lead = rng.choice(leads)
        lead.phone = "" if lead.phone else make_phone()
        lead.status = rng.choice(["new", "contacted", "qualified"])
        lead.save()
    elif action == "move":
        lead = rng.choice(leads)
        lead.campaign = rng.choice(campaigns)
        lead.save(update_fields=["campaign"])
    elif action == "dnc":
        phones_now = [lead.phone for lead in leads if lead.phone]
        if phones_now:
            add_to_dnc(phones=rng.sample(phones_now, min(3, len(phones_now))), reason="asked")
    elif action == "undnc":
        listed = [lead.phone for lead in leads if lead.is_dnc and lead.phone]
        if listed:
            remove_from_dnc(phone=rng.choice(listed))
    elif action == "erase":
        lead = rng.choice([lead for lead in leads if lead.erased_at is None] or leads)
        if lead.erased_at is None:
            erase_lead(lead=lead, reason="asked", erased_by=None)
    elif action == "delete":
        Lead.objects.filter(
            pk__in=[lead.pk for lead in rng.sample(leads, 2 if len(leads) > 1 else 1)]
        ).delete()
    else:  # raw SQL in bulk, as bench/dataset.py writes: statuses (no move) and DNC flags
        _execute(
            "UPDATE voiceagent_lead SET status = 'contacted', is_dnc = NOT is_dnc "
            "WHERE campaign_id = %s AND id %% 3 = %s",
            [rng.choice(campaigns).pk, rng.randint(0, 2)],
        )


@pytest.mark.parametrize("seed", range(4))
def test_lead_totals_equal_the_leads_after_random_writes(seed):
    rng = random.Random(seed)
    campaigns = [make_campaign() for _ in range(3)]
    for _ in range(40):
        _mutate_leads(rng, campaigns)
        for campaign in campaigns:
            assert _stored_leads(campaign) == counted_leads(campaign.pk), campaign.pk


def test_valid_leads_follow_the_glossary_rule():
    campaign = make_campaign()
    make_lead(campaign)  # valid
    make_lead(campaign, phone="")  # no phone: not valid
    make_lead(campaign, is_dnc=True)  # DNC: not valid, DNC-filtered
    erased = make_lead(campaign)
    erase_lead(lead=erased, reason="asked", erased_by=None)  # still valid (phone_erased)

    assert _stored_leads(campaign) == {
        "total_leads": 4,
        "valid_leads": 2,
        "dnc_filtered_leads": 1,
    }
    assert Lead.objects.filter(campaign=campaign).valid().count() == 2


def test_a_deleted_draft_campaign_takes_its_totals_along():
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    make_lead(campaign)
    other = make_campaign()
    make_lead(other)

    delete_campaign(campaign=campaign)

    assert list(LeadTotals.objects.values_list("campaign_id", "total_leads")) == [(other.pk, 1)]
    assert list(FunnelTotals.objects.values_list("campaign_id", "dialed")) == [(other.pk, 0)]


def test_campaigns_inserted_with_raw_sql_get_their_totals_rows():
    _execute(
        "INSERT INTO voiceagent_campaign (name, description, status, max_attempts, "
        "retry_delay_minutes, callback_delay_minutes, calling_hours_start, calling_hours_end, "
        "created_at, updated_at) SELECT 'Raw ' || g, '', 'running', 3, 60, 60, '09:00', '21:00', "
        "now(), now() FROM generate_series(1, 2) g"
    )

    assert LeadTotals.objects.count() == 2
    assert FunnelTotals.objects.count() == 2


@pytest.mark.parametrize("seed", range(3))
def test_funnel_totals_equal_the_funnel_rows_after_random_upserts(seed):
    """Ingestion's upserts move a lead's steps up and down (a call's outcome corrected), delete
    rows (a lead deleted) and insert several campaigns' rows at once."""
    rng = random.Random(seed)
    campaigns = [make_campaign() for _ in range(2)]
    leads = [make_lead(rng.choice(campaigns)) for _ in range(8)]
    steps = [f.name for f in FunnelTotals._meta.concrete_fields if not f.primary_key]
    stored = {}
    for _ in range(30):
        if rng.random() < 0.15 and stored:
            key = rng.choice(sorted(stored))
            LeadFunnelRollup.objects.filter(campaign_id=key[0], lead_id=key[1]).delete()
            del stored[key]
            continue
        rows = {}
        for lead in rng.sample(leads, rng.randint(1, 4)):
            key = (lead.campaign_id, lead.pk)
            now = stored.setdefault(key, dict.fromkeys(steps, 0))
            moved = {}
            for step in rng.sample(steps, 3):
                delta = rng.choice([1, 1, -1]) if now[step] else 1
                moved[step] = delta
                now[step] += delta
            rows[key] = moved
        upsert(LeadFunnelRollup, rows)
        for campaign in campaigns:
            assert _stored_funnel(campaign.pk) == counted_funnel(campaign.pk)


def test_funnel_and_leads_qualified_read_the_totals_not_the_rows(django_assert_num_queries):
    campaign = make_campaign()
    leads = [make_lead(campaign) for _ in range(3)]
    make_call(leads[0], outcome=CallOutcome.QUALIFIED)
    make_call(leads[1], outcome=CallOutcome.NOT_INTERESTED)
    make_call(leads[1], outcome=CallOutcome.QUALIFIED)

    with django_assert_num_queries(1) as captured:
        funnel = selectors.campaign_funnel(campaign=campaign)
    assert [(step["step"], step["count"]) for step in funnel["steps"]] == [
        ("leads", 3),
        ("dialed", 2),
        ("answered", 2),
        ("greeting", 0),
        ("discovery", 0),
        ("qualification", 0),
        ("objection_handling", 0),
        ("closing", 0),
        ("qualified", 2),
    ]
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert "voiceagent_lead" not in sql and "analytics_leadfunnelrollup" not in sql
    assert selectors.leads_qualified(campaigns=campaign) == 2


def test_system_total_leads_sums_the_visible_campaigns_totals(django_assert_num_queries):
    mine, other = make_campaign(), make_campaign()
    manager = make_user()
    mine.members.add(manager)
    for _ in range(3):
        make_lead(mine)
    make_lead(other)

    with django_assert_num_queries(1) as captured:
        counts = selectors.lead_counts(campaigns=mine.__class__.objects.filter(pk=mine.pk))
    assert counts == {"total_leads": 3, "valid_leads": 3, "dnc_filtered_leads": 0}
    assert 'voiceagent_lead"' not in captured.captured_queries[0]["sql"]
    assert selectors.lead_counts(campaigns=mine.__class__.objects.all())["total_leads"] == 4


def test_verify_names_totals_drift_and_rebuild_repairs_it():
    campaign = make_campaign()
    lead = make_lead(campaign)
    make_lead(campaign, is_dnc=True)
    make_call(
        lead, outcome=CallOutcome.QUALIFIED, initiated_at=datetime(2025, 3, 9, 6, 40, tzinfo=UTC)
    )
    _execute(
        "UPDATE analytics_leadtotals SET valid_leads = 7, dnc_filtered_leads = 0 "
        "WHERE campaign_id = %s",
        [campaign.pk],
    )
    _execute(
        "UPDATE analytics_funneltotals SET qualified = 5 WHERE campaign_id = %s", [campaign.pk]
    )

    assert verify_campaign(campaign.pk) == [
        Drift("analytics_funneltotals", (campaign.pk,), "qualified", 1, 5),
        Drift("analytics_leadtotals", (campaign.pk,), "valid_leads", 1, 7),
        Drift("analytics_leadtotals", (campaign.pk,), "dnc_filtered_leads", 1, 0),
    ]

    rebuild_campaign(campaign.pk)

    assert verify_campaign(campaign.pk) == []
    assert _stored_leads(campaign) == {"total_leads": 2, "valid_leads": 1, "dnc_filtered_leads": 1}
    assert _stored_funnel(campaign.pk)["qualified"] == 1


def test_a_missing_totals_row_is_drift_that_rebuild_puts_back():
    campaign = make_campaign()
    make_lead(campaign)
    LeadTotals.objects.filter(campaign=campaign).delete()

    assert verify_campaign(campaign.pk) == [
        Drift("analytics_leadtotals", (campaign.pk,), "total_leads", 1, 0),
        Drift("analytics_leadtotals", (campaign.pk,), "valid_leads", 1, 0),
    ]
    rebuild_campaign(campaign.pk)
    assert _stored_leads(campaign) == {"total_leads": 1, "valid_leads": 1, "dnc_filtered_leads": 0}


def test_verify_rollups_counts_totals_drift_in_the_drift_gauge(client, capsys):
    campaign = make_campaign()
    make_lead(campaign)
    _execute(
        "UPDATE analytics_leadtotals SET total_leads = 3 WHERE campaign_id = %s", [campaign.pk]
    )

    with pytest.raises(SystemExit):
        call_command("verify_rollups")

    assert f"analytics_leadtotals ({campaign.pk},): total_leads is 3, raw rows give 1" in (
        capsys.readouterr().err
    )
    assert "\nrollup_drift 1.0\n" in client.get("/health/metrics").content.decode()


def test_the_migration_installing_the_triggers_carries_the_codes_statements():
    """Migrations freeze the statements they run; a rule changed here without a new migration
    carrying the new statements (which then replaces 0004 in this test) fails."""
    migration = importlib.import_module("analytics.migrations.0004_lead_and_funnel_totals")
    steps = totals.funnel_steps()
    assert list(migration.FUNNEL_STEPS) == steps
    assert totals.postgresql_statements(steps) == migration.POSTGRESQL_TRIGGERS
    assert totals.sqlite_statements(steps) == migration.SQLITE_TRIGGERS
    assert totals.count_statements(steps) == migration.COUNT_EVERY_CAMPAIGN


SQLITE_STEP = """
from django.db import connection
from analytics.models import LeadTotals
from tests.factories import make_campaign, make_lead
with connection.cursor() as cursor:
    if {drop!r}:
        cursor.execute("DROP TRIGGER analytics_lead_totals_insert")
        make_lead(make_campaign("Rebuilt"))
    cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics_%'")
    print(cursor.fetchone()[0], [row.total_leads for row in LeadTotals.objects.all()])
"""


@pytest.mark.slow
def test_on_sqlite_migrate_puts_dropped_totals_triggers_back_and_recounts(tmp_path):
    """A migration rebuilding the leads' table on SQLite drops its triggers: the next migrate's
    end installs them again and counts the leads written meanwhile."""
    from tests.processes import manage_py, process_environment

    env = process_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}")

    manage_py(env, "migrate", "-v", "0")
    assert manage_py(env, "shell", "-c", SQLITE_STEP.format(drop=True)) == "6 [0]"
    manage_py(env, "migrate", "-v", "0")
    assert manage_py(env, "shell", "-c", SQLITE_STEP.format(drop=False)) == "7 [1]"

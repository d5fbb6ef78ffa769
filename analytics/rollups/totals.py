"""Per-campaign totals kept by database triggers: LeadTotals (the campaign's leads, valid and
DNC-filtered ones) and FunnelTotals (its LeadFunnelRollup rows with each step above zero).

Triggers keep them exact whatever writes the rows: imports, the admin, DNC changes in bulk,
erasure, a campaign's deletion, rebuild_rollups, ingestion's upserts and raw SQL alike (but
TRUNCATE, which fires none of them: rebuild_rollups recounts after one). On
PostgreSQL the inserts and deletes of a statement are summed per campaign from its transition
tables; a lead's update moves its counts only when a column the counts read changes (the WHEN of
a row trigger), so ingestion's lead status updates never touch a totals row. The statement
triggers lock the totals rows they move in campaign order, so concurrent writers never deadlock
on them; a bulk update of leads across campaigns goes one campaign at a time
(update_leads_by_campaign(): the row trigger locks in the update's scan order). A totals row moves only when a count changes. A campaign's totals row is made by a trigger on the
campaign table; the triggers only update rows, so a campaign being deleted never gets one back.
SQLite (the embedded `make run`) has row triggers for each.

valid_sql() is the SQL twin of Lead.objects.valid(); tests/analytics/test_totals.py asserts both
agree after random mutations. A change of a rule or a column here needs a new migration carrying
the statements this module then generates, frozen (as analytics 0004 does: a migration must not
run today's code); tests/analytics/test_totals.py checks the newest one against this module. On
SQLite every `migrate` ends by installing the triggers again and recounting (apps.py): a
migration that rebuilds one of the counted tables there drops its triggers.
"""

from django.db import transaction
from django.db.models import Count, Q

from analytics.aggregates import condition
from analytics.models import FunnelTotals, LeadFunnelRollup, LeadTotals
from analytics.rollups.writer import counter_fields
from voiceagent.campaigns.locks import lock_leads
from voiceagent.models import Lead

LEAD_COUNTS = ("total_leads", "valid_leads", "dnc_filtered_leads")
LEADS = "voiceagent_lead"
CAMPAIGNS = "voiceagent_campaign"
LEAD_TOTALS = "analytics_leadtotals"
FUNNEL_ROLLUP = "analytics_leadfunnelrollup"
FUNNEL_TOTALS = "analytics_funneltotals"


def valid_sql(lead):
    """Lead.objects.valid() of the lead row `lead` as an SQL boolean (0/1 on SQLite)."""
    return f"(({lead}.phone <> '' OR {lead}.phone_erased) AND NOT {lead}.is_dnc)"


def _lead_counts(lead):
    """{count: SQL expression} of what one lead row adds to its campaign's LeadTotals."""
    return {
        "total_leads": "1",
        "valid_leads": f"CASE WHEN {valid_sql(lead)} THEN 1 ELSE 0 END",
        "dnc_filtered_leads": f"CASE WHEN {lead}.is_dnc THEN 1 ELSE 0 END",
    }


def _funnel_counts(row, steps):
    return {step: f"CASE WHEN {row}.{step} > 0 THEN 1 ELSE 0 END" for step in steps}


# Lead columns the counts read: an update changing none of them moves nothing.
LEAD_CHANGED = (
    "OLD.campaign_id <> NEW.campaign_id OR OLD.is_dnc <> NEW.is_dnc"
    " OR OLD.phone_erased <> NEW.phone_erased OR (OLD.phone = '') <> (NEW.phone = '')"
)


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pg_move(totals, counts, sides):
    """A plpgsql body adding, per campaign in campaign order, the sum over `sides` ((sign,
    relation) pairs) of `counts` (of the row alias r) to the `totals` rows."""
    moved = " UNION ALL ".join(
        "SELECT r.campaign_id, "
        + ", ".join(f"{sign}({sql}) AS {name}" for name, sql in counts.items())
        + f" FROM {relation} r"
        for sign, relation in sides
    )
    sums = ", ".join(f"sum({name})::bigint AS {name}" for name in counts)
    changed = " OR ".join(f"sum({name}) <> 0" for name in counts)
    updates = ", ".join(f"{name} = {name} + d.{name}" for name in counts)
    return f"""DECLARE d record;
BEGIN
    FOR d IN SELECT campaign_id, {sums} FROM ({moved}) m
             GROUP BY campaign_id HAVING {changed} ORDER BY campaign_id LOOP
        UPDATE {totals} SET {updates} WHERE campaign_id = d.campaign_id;
    END LOOP;
    RETURN NULL;
END"""


def _pg_function(name, body):
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n{body};\n$$"
    )


def _pg_trigger(name, when, table, *, referencing="", row=False, condition=""):
    each = "ROW" if row else "STATEMENT"
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {when} ON {table} {referencing} FOR EACH {each} "
        f"{f'WHEN ({condition})' if condition else ''} EXECUTE FUNCTION {name}()",
    ]


def postgresql_statements(steps):
    """The functions and statement/row triggers of PostgreSQL, each replacing what it creates."""
    lead_counts = _lead_counts("r")
    funnel_counts = _funnel_counts("r", steps)
    zeros = {LEAD_TOTALS: LEAD_COUNTS, FUNNEL_TOTALS: steps}
    new_campaign = "BEGIN\n" + "".join(
        f"    INSERT INTO {table} (campaign_id, {', '.join(columns)})\n"
        f"    SELECT id, {', '.join('0' for _ in columns)} FROM new_rows ORDER BY id\n"
        f"    ON CONFLICT (campaign_id) DO NOTHING;\n"
        for table, columns in zeros.items()
    )
    statements = [
        _pg_function("analytics_totals_new_campaign", new_campaign + "    RETURN NULL;\nEND"),
        *_pg_trigger(
            "analytics_totals_new_campaign",
            "AFTER INSERT",
            CAMPAIGNS,
            referencing="REFERENCING NEW TABLE AS new_rows",
        ),
    ]
    for prefix, table, counts in (
        ("analytics_lead_totals", LEADS, lead_counts),
        ("analytics_funnel_totals", FUNNEL_ROLLUP, funnel_counts),
    ):
        totals = LEAD_TOTALS if table == LEADS else FUNNEL_TOTALS
        for event, sides, referencing in (
            ("INSERT", [("", "new_rows")], "NEW TABLE AS new_rows"),
            ("DELETE", [("-", "old_rows")], "OLD TABLE AS old_rows"),
        ):
            name = f"{prefix}_{event.lower()}"
            statements.append(_pg_function(name, _pg_move(totals, counts, sides)))
            statements += _pg_trigger(
                name, f"AFTER {event}", table, referencing=f"REFERENCING {referencing}"
            )
        name = f"{prefix}_update"
        if table == LEADS:  # a row trigger: only the leads whose counted columns change
            body = _pg_move(totals, counts, [("-", "(SELECT OLD.*)"), ("", "(SELECT NEW.*)")])
            statements.append(_pg_function(name, body))
            statements += _pg_trigger(name, "AFTER UPDATE", table, row=True, condition=LEAD_CHANGED)
        else:  # ingestion's upserts: transition tables, summed per campaign
            body = _pg_move(totals, counts, [("-", "old_rows"), ("", "new_rows")])
            statements.append(_pg_function(name, body))
            statements += _pg_trigger(
                name,
                "AFTER UPDATE",
                table,
                referencing="REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            )
    return statements


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_update(totals, counts, row, sign):
    sets = ", ".join(
        f"{name} = {name} {sign} ({sql.replace('r.', f'{row}.')})" for name, sql in counts.items()
    )
    return f"UPDATE {totals} SET {sets} WHERE campaign_id = {row}.campaign_id;"


def sqlite_statements(steps):
    """The row triggers of SQLite, each dropped first."""
    statements = []
    new_campaign = " ".join(
        f"INSERT OR IGNORE INTO {table} (campaign_id, {', '.join(columns)}) "
        f"VALUES (NEW.id, {', '.join('0' for _ in columns)});"
        for table, columns in ((LEAD_TOTALS, LEAD_COUNTS), (FUNNEL_TOTALS, steps))
    )
    statements += [
        "DROP TRIGGER IF EXISTS analytics_totals_new_campaign",
        f"CREATE TRIGGER analytics_totals_new_campaign AFTER INSERT ON {CAMPAIGNS} "
        f"BEGIN {new_campaign} END",
    ]
    for prefix, table, totals, counts, when in (
        ("analytics_lead_totals", LEADS, LEAD_TOTALS, _lead_counts("r"), LEAD_CHANGED),
        ("analytics_funnel_totals", FUNNEL_ROLLUP, FUNNEL_TOTALS, _funnel_counts("r", steps), ""),
    ):
        for event, body in (
            ("insert", _sqlite_update(totals, counts, "NEW", "+")),
            ("delete", _sqlite_update(totals, counts, "OLD", "-")),
            (
                "update",
                _sqlite_update(totals, counts, "OLD", "-")
                + " "
                + _sqlite_update(totals, counts, "NEW", "+"),
            ),
        ):
            name = f"{prefix}_{event}"
            condition = f"WHEN {when}" if event == "update" and when else ""
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW "
                f"{condition} BEGIN {body} END",
            ]
    return statements


# --- install, backfill, recount -------------------------------------------------------------------


def count_statements(steps):
    """Every campaign's totals from its rows now (replacing what is stored)."""
    lead_sums = ", ".join(f"coalesce(sum({sql}), 0)" for sql in _lead_counts("r").values()).replace(
        "sum(1)", "count(r.campaign_id)"
    )
    funnel_sums = ", ".join(
        f"coalesce(sum({sql}), 0)" for sql in _funnel_counts("r", steps).values()
    )
    return [
        f"DELETE FROM {LEAD_TOTALS}",
        f"INSERT INTO {LEAD_TOTALS} (campaign_id, {', '.join(LEAD_COUNTS)}) "
        f"SELECT c.id, {lead_sums} FROM {CAMPAIGNS} c LEFT JOIN {LEADS} r "
        "ON r.campaign_id = c.id GROUP BY c.id",
        f"DELETE FROM {FUNNEL_TOTALS}",
        f"INSERT INTO {FUNNEL_TOTALS} (campaign_id, {', '.join(steps)}) "
        f"SELECT c.id, {funnel_sums} FROM {CAMPAIGNS} c LEFT JOIN {FUNNEL_ROLLUP} r "
        "ON r.campaign_id = c.id GROUP BY c.id",
    ]


def install(connection, *, steps):
    """Create (or replace) the triggers and count every campaign's totals afresh (SQLite after
    every migrate, apps.py); `steps` are LeadFunnelRollup's counters. On PostgreSQL the counted tables are locked against writers
    first, so no write falls between the count and the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {LEADS}, {FUNNEL_ROLLUP} IN SHARE ROW EXCLUSIVE MODE")
            statements = postgresql_statements(steps)
        else:
            statements = sqlite_statements(steps)
        for sql in [*statements, *count_statements(steps)]:
            cursor.execute(sql)


def update_leads_by_campaign(leads, **values):
    """`leads.update(**values)` (a Lead queryset) one campaign at a time, in campaign order, for
    an update that may move the counts (DNC flags in bulk); returns how many leads it changed.

    The leads are locked first, all of them in id order (voiceagent/campaigns/locks.py), then
    each statement (the row trigger fires at its end) that one campaign's LeadTotals row: the
    order every writer of leads takes (ingestion, an import, an erasure). An UPDATE alone would
    lock its leads in its scan order, and deadlock with a batch holding one of them; locking
    the totals rows first would deadlock with such a writer holding a lead row; one statement
    over several campaigns would lock their totals rows in its scan order, and two of them in
    different orders would deadlock on each other."""
    lock_leads(leads)
    changed = 0
    campaign_ids = sorted(set(leads.order_by().values_list("campaign_id", flat=True)))
    for campaign_id in campaign_ids:
        changed += leads.filter(campaign_id=campaign_id).update(**values)
    return changed


def counted_leads(campaign_id):
    """LeadTotals' counts of the campaign from its leads themselves (Lead.objects.valid(),
    Lead.objects.dnc_filtered())."""
    return Lead.objects.filter(campaign_id=campaign_id).aggregate(
        total_leads=Count("pk"),
        valid_leads=Count("pk", filter=condition(Lead.objects.valid())),
        dnc_filtered_leads=Count("pk", filter=condition(Lead.objects.dnc_filtered())),
    )


def funnel_steps():
    return [field.name for field in counter_fields(LeadFunnelRollup)]


def _counts(model):
    """The counters of LeadTotals or FunnelTotals (every field but the campaign)."""
    return [field.name for field in model._meta.concrete_fields if not field.primary_key]


def counted_funnel(campaign_id):
    """FunnelTotals' counts of the campaign from its stored LeadFunnelRollup rows."""
    return LeadFunnelRollup.objects.filter(campaign_id=campaign_id).aggregate(
        **{step: Count("lead", filter=Q(**{f"{step}__gt": 0})) for step in funnel_steps()}
    )


def recount_leads(campaign_id):
    """Set the campaign's LeadTotals to its leads' counts (its own transaction). The row is
    locked before the leads are counted: a lead writer's trigger waits for it, and a writer
    that got it first has committed before the count, a later statement, reads the leads."""
    with transaction.atomic():
        LeadTotals.objects.select_for_update().filter(campaign_id=campaign_id).exists()
        LeadTotals.objects.update_or_create(
            campaign_id=campaign_id, defaults=counted_leads(campaign_id)
        )


def recount_funnel(campaign_id):
    """Set the campaign's FunnelTotals to its LeadFunnelRollup rows' counts; inside
    rebuild_campaign's transaction, where no other writer may touch those rows."""
    FunnelTotals.objects.update_or_create(
        campaign_id=campaign_id, defaults=counted_funnel(campaign_id)
    )


def stored_totals(model, campaign_id):
    """The campaign's row of LeadTotals or FunnelTotals as a dict (zeros when missing)."""
    names = _counts(model)
    row = model.objects.filter(campaign_id=campaign_id).values(*names).first()
    return row or dict.fromkeys(names, 0)

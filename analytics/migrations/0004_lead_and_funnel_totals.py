"""LeadTotals and FunnelTotals, per-campaign totals kept by database triggers
(analytics/rollups/totals.py): the triggers are created and every campaign's totals counted from
its leads and LeadFunnelRollup rows, with those tables locked against writers meanwhile.

The statements are frozen here as totals.py generated them when this migration was written, so
that a later change of the rules never changes what this migration does on a fresh database (a
change needs a new migration carrying its own statements; tests/analytics/test_totals.py checks
the newest such migration against the code)."""

import django.db.models.deletion
from django.db import migrations, models

# LeadFunnelRollup's counters as of this migration.
FUNNEL_STEPS = (
    "dialed", "answered", "reached_greeting", "reached_discovery", "reached_qualification",
    "reached_objection_handling", "reached_closing", "qualified",
)

POSTGRESQL_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION analytics_totals_new_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_leadtotals (campaign_id, total_leads, valid_leads, dnc_filtered_leads)
    SELECT id, 0, 0, 0 FROM new_rows ORDER BY id
    ON CONFLICT (campaign_id) DO NOTHING;
    INSERT INTO analytics_funneltotals (campaign_id, dialed, answered, reached_greeting, reached_discovery, reached_qualification, reached_objection_handling, reached_closing, qualified)
    SELECT id, 0, 0, 0, 0, 0, 0, 0, 0 FROM new_rows ORDER BY id
    ON CONFLICT (campaign_id) DO NOTHING;
    RETURN NULL;
END;
$$""",
    'DROP TRIGGER IF EXISTS analytics_totals_new_campaign ON voiceagent_campaign',
    'CREATE TRIGGER analytics_totals_new_campaign AFTER INSERT ON voiceagent_campaign REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT  EXECUTE FUNCTION analytics_totals_new_campaign()',
    """CREATE OR REPLACE FUNCTION analytics_lead_totals_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    FOR d IN SELECT campaign_id, sum(total_leads)::bigint AS total_leads, sum(valid_leads)::bigint AS valid_leads, sum(dnc_filtered_leads)::bigint AS dnc_filtered_leads FROM (SELECT r.campaign_id, (1) AS total_leads, (CASE WHEN ((r.phone <> '' OR r.phone_erased) AND NOT r.is_dnc) THEN 1 ELSE 0 END) AS valid_leads, (CASE WHEN r.is_dnc THEN 1 ELSE 0 END) AS dnc_filtered_leads FROM new_rows r) m
             GROUP BY campaign_id HAVING sum(total_leads) <> 0 OR sum(valid_leads) <> 0 OR sum(dnc_filtered_leads) <> 0 ORDER BY campaign_id LOOP
        UPDATE analytics_leadtotals SET total_leads = total_leads + d.total_leads, valid_leads = valid_leads + d.valid_leads, dnc_filtered_leads = dnc_filtered_leads + d.dnc_filtered_leads WHERE campaign_id = d.campaign_id;
    END LOOP;
    RETURN NULL;
END;
$$""",
    'DROP TRIGGER IF EXISTS analytics_lead_totals_insert ON voiceagent_lead',
    'CREATE TRIGGER analytics_lead_totals_insert AFTER INSERT ON voiceagent_lead REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT  EXECUTE FUNCTION analytics_lead_totals_insert()',
    """CREATE OR REPLACE FUNCTION analytics_lead_totals_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    FOR d IN SELECT campaign_id, sum(total_leads)::bigint AS total_leads, sum(valid_leads)::bigint AS valid_leads, sum(dnc_filtered_leads)::bigint AS dnc_filtered_leads FROM (SELECT r.campaign_id, -(1) AS total_leads, -(CASE WHEN ((r.phone <> '' OR r.phone_erased) AND NOT r.is_dnc) THEN 1 ELSE 0 END) AS valid_leads, -(CASE WHEN r.is_dnc THEN 1 ELSE 0 END) AS dnc_filtered_leads FROM old_rows r) m
             GROUP BY campaign_id HAVING sum(total_leads) <> 0 OR sum(valid_leads) <> 0 OR sum(dnc_filtered_leads) <> 0 ORDER BY campaign_id LOOP
        UPDATE analytics_leadtotals SET total_leads = total_leads + d.total_leads, valid_leads = valid_leads + d.valid_leads, dnc_filtered_leads = dnc_filtered_leads + d.dnc_filtered_leads WHERE campaign_id = d.campaign_id;
    END LOOP;
    RETURN NULL;
END;
$$""",
    'DROP TRIGGER IF EXISTS analytics_lead_totals_delete ON voiceagent_lead',
    'CREATE TRIGGER analytics_lead_totals_delete AFTER DELETE ON voiceagent_lead REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT  EXECUTE FUNCTION analytics_lead_totals_delete()',
    """CREATE OR REPLACE FUNCTION analytics_lead_totals_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    FOR d IN SELECT campaign_id, sum(total_leads)::bigint AS total_leads, sum(valid_leads)::bigint AS valid_leads, sum(dnc_filtered_leads)::bigint AS dnc_filtered_leads FROM (SELECT r.campaign_id, -(1) AS total_leads, -(CASE WHEN ((r.phone <> '' OR r.phone_erased) AND NOT r.is_dnc) THEN 1 ELSE 0 END) AS valid_leads, -(CASE WHEN r.is_dnc THEN 1 ELSE 0 END) AS dnc_filtered_leads FROM (SELECT OLD.*) r UNION ALL SELECT r.campaign_id, (1) AS total_leads, (CASE WHEN ((r.phone <> '' OR r.phone_erased) AND NOT r.is_dnc) THEN 1 ELSE 0 END) AS valid_leads, (CASE WHEN r.is_dnc THEN 1 ELSE 0 END) AS dnc_filtered_leads FROM (SELECT NEW.*) r) m
             GROUP BY campaign_id HAVING sum(total_leads) <> 0 OR sum(valid_leads) <> 0 OR sum(dnc_filtered_leads) <> 0 ORDER BY campaign_id LOOP
        UPDATE analytics_leadtotals SET total_leads = total_leads + d.total_leads, valid_leads = valid_leads + d.valid_leads, dnc_filtered_leads = dnc_filtered_leads + d.dnc_filtered_leads WHERE campaign_id = d.campaign_id;
    END LOOP;
    RETURN NULL;
END;
$$""",
    'DROP TRIGGER IF EXISTS analytics_lead_totals_update ON voiceagent_lead',
    "CREATE TRIGGER analytics_lead_totals_update AFTER UPDATE ON voiceagent_lead  FOR EACH ROW WHEN (OLD.campaign_id <> NEW.campaign_id OR OLD.is_dnc <> NEW.is_dnc OR OLD.phone_erased <> NEW.phone_erased OR (OLD.phone = '') <> (NEW.phone = '')) EXECUTE FUNCTION analytics_lead_totals_update()",
    """CREATE OR REPLACE FUNCTION analytics_funnel_totals_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    FOR d IN SELECT campaign_id, sum(dialed)::bigint AS dialed, sum(answered)::bigint AS answered, sum(reached_greeting)::bigint AS reached_greeting, sum(reached_discovery)::bigint AS reached_discovery, sum(reached_qualification)::bigint AS reached_qualification, sum(reached_objection_handling)::bigint AS reached_objection_handling, sum(reached_closing)::bigint AS reached_closing, sum(qualified)::bigint AS qualified FROM (SELECT r.campaign_id, (CASE WHEN r.dialed > 0 THEN 1 ELSE 0 END) AS dialed, (CASE WHEN r.answered > 0 THEN 1 ELSE 0 END) AS answered, (CASE WHEN r.reached_greeting > 0 THEN 1 ELSE 0 END) AS reached_greeting, (CASE WHEN r.reached_discovery > 0 THEN 1 ELSE 0 END) AS reached_discovery, (CASE WHEN r.reached_qualification > 0 THEN 1 ELSE 0 END) AS reached_qualification, (CASE WHEN r.reached_objection_handling > 0 THEN 1 ELSE 0 END) AS reached_objection_handling, (CASE WHEN r.reached_closing > 0 THEN 1 ELSE 0 END) AS reached_closing, (CASE WHEN r.qualified > 0 THEN 1 ELSE 0 END) AS qualified FROM new_rows r) m
             GROUP BY campaign_id HAVING sum(dialed) <> 0 OR sum(answered) <> 0 OR sum(reached_greeting) <> 0 OR sum(reached_discovery) <> 0 OR sum(reached_qualification) <> 0 OR sum(reached_objection_handling) <> 0 OR sum(reached_closing) <> 0 OR sum(qualified) <> 0 ORDER BY campaign_id LOOP
        UPDATE analytics_funneltotals SET dialed = dialed + d.dialed, answered = answered + d.answered, reached_greeting = reached_greeting + d.reached_greeting, reached_discovery = reached_discovery + d.reached_discovery, reached_qualification = reached_qualification + d.reached_qualification, reached_objection_handling = reached_objection_handling + d.reached_objection_handling, reached_closing = reached_closing + d.reached_closing, qualified = qualified + d.qualified WHERE campaign_id = d.campaign_id;
    END LOOP;
    RETURN NULL;
END;
$$""",
    'DROP TRIGGER IF EXISTS analytics_funnel_totals_insert ON analytics_leadfunnelrollup',
    'CREATE TRIGGER analytics_funnel_totals_insert AFTER INSERT ON analytics_leadfunnelrollup REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT  EXECUTE FUNCTION analytics_funnel_totals_insert()',
    """CREATE OR REPLACE FUNCTION analytics_funnel_totals_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    FOR d IN SELECT campaign_id, sum(dialed)::bigint AS dialed, sum(answered)::bigint AS answered, sum(reached_greeting)::bigint AS reached_greeting, sum(reached_discovery)::bigint AS reached_discovery, sum(reached_qualification)::bigint AS reached_qualification, sum(reached_objection_handling)::bigint AS reached_objection_handling, sum(reached_closing)::bigint AS reached_closing, sum(qualified)::bigint AS qualified FROM (SELECT r.campaign_id, -(CASE WHEN r.dialed > 0 THEN 1 ELSE 0 END) AS dialed, -(CASE WHEN r.answered > 0 THEN 1 ELSE 0 END) AS answered, -(CASE WHEN r.reached_greeting > 0 THEN 1 ELSE 0 END) AS reached_greeting, -(CASE WHEN r.reached_discovery > 0 THEN 1 ELSE 0 END) AS reached_discovery, -(CASE WHEN r.reached_qualification > 0 THEN 1 ELSE 0 END) AS reached_qualification, -(CASE WHEN r.reached_objection_handling > 0 THEN 1 ELSE 0 END) AS reached_objection_handling, -(CASE WHEN r.reached_closing > 0 THEN 1 ELSE 0 END) AS reached_closing, -(CASE WHEN r.qualified > 0 THEN 1 ELSE 0 END) AS qualified FROM old_rows r) m
             GROUP BY campaign_id HAVING sum(dialed) <> 0 OR sum(answered) <> 0 OR sum(reached_greeting) <> 0 OR sum(reached_discovery) <> 0 OR sum(reached_qualification) <> 0 OR sum(reached_objection_handling) <> 0 OR sum(reached_closing) <> 0 OR sum(qualified) <> 0 ORDER BY campaign_id LOOP
        UPDATE analytics_funneltotals SET dialed = dialed + d.dialed, answered = answered + d.answered, reached_greeting = reached_greeting + d.reached_greeting, reached_discovery = reached_discovery + d.reached_discovery, reached_qualification = reached_qualification + d.reached_qualification, reached_objection_handling = reached_objection_handling + d.reached_objection_handling, reached_closing = reached_closing + d.reached_closing, qualified = qualified + d.qualified WHERE campaign_id = d.campaign_id;
    END LOOP;
    RETURN NULL;
END;
$$""",
    'DROP TRIGGER IF EXISTS analytics_funnel_totals_delete ON analytics_leadfunnelrollup',
    'CREATE TRIGGER analytics_funnel_totals_delete AFTER DELETE ON analytics_leadfunnelrollup REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT  EXECUTE FUNCTION analytics_funnel_totals_delete()',
    """CREATE OR REPLACE FUNCTION analytics_funnel_totals_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    FOR d IN SELECT campaign_id, sum(dialed)::bigint AS dialed, sum(answered)::bigint AS answered, sum(reached_greeting)::bigint AS reached_greeting, sum(reached_discovery)::bigint AS reached_discovery, sum(reached_qualification)::bigint AS reached_qualification, sum(reached_objection_handling)::bigint AS reached_objection_handling, sum(reached_closing)::bigint AS reached_closing, sum(qualified)::bigint AS qualified FROM (SELECT r.campaign_id, -(CASE WHEN r.dialed > 0 THEN 1 ELSE 0 END) AS dialed, -(CASE WHEN r.answered > 0 THEN 1 ELSE 0 END) AS answered, -(CASE WHEN r.reached_greeting > 0 THEN 1 ELSE 0 END) AS reached_greeting, -(CASE WHEN r.reached_discovery > 0 THEN 1 ELSE 0 END) AS reached_discovery, -(CASE WHEN r.reached_qualification > 0 THEN 1 ELSE 0 END) AS reached_qualification, -(CASE WHEN r.reached_objection_handling > 0 THEN 1 ELSE 0 END) AS reached_objection_handling, -(CASE WHEN r.reached_closing > 0 THEN 1 ELSE 0 END) AS reached_closing, -(CASE WHEN r.qualified > 0 THEN 1 ELSE 0 END) AS qualified FROM old_rows r UNION ALL SELECT r.campaign_id, (CASE WHEN r.dialed > 0 THEN 1 ELSE 0 END) AS dialed, (CASE WHEN r.answered > 0 THEN 1 ELSE 0 END) AS answered, (CASE WHEN r.reached_greeting > 0 THEN 1 ELSE 0 END) AS reached_greeting, (CASE WHEN r.reached_discovery > 0 THEN 1 ELSE 0 END) AS reached_discovery, (CASE WHEN r.reached_qualification > 0 THEN 1 ELSE 0 END) AS reached_qualification, (CASE WHEN r.reached_objection_handling > 0 THEN 1 ELSE 0 END) AS reached_objection_handling, (CASE WHEN r.reached_closing > 0 THEN 1 ELSE 0 END) AS reached_closing, (CASE WHEN r.qualified > 0 THEN 1 ELSE 0 END) AS qualified FROM new_rows r) m
             GROUP BY campaign_id HAVING sum(dialed) <> 0 OR sum(answered) <> 0 OR sum(reached_greeting) <> 0 OR sum(reached_discovery) <> 0 OR sum(reached_qualification) <> 0 OR sum(reached_objection_handling) <> 0 OR sum(reached_closing) <> 0 OR sum(qualified) <> 0 ORDER BY campaign_id LOOP
        UPDATE analytics_funneltotals SET dialed = dialed + d.dialed, answered = answered + d.answered, reached_greeting = reached_greeting + d.reached_greeting, reached_discovery = reached_discovery + d.reached_discovery, reached_qualification = reached_qualification + d.reached_qualification, reached_objection_handling = reached_objection_handling + d.reached_objection_handling, reached_closing = reached_closing + d.reached_closing, qualified = qualified + d.qualified WHERE campaign_id = d.campaign_id;
    END LOOP;
    RETURN NULL;
END;
$$""",
    'DROP TRIGGER IF EXISTS analytics_funnel_totals_update ON analytics_leadfunnelrollup',
    'CREATE TRIGGER analytics_funnel_totals_update AFTER UPDATE ON analytics_leadfunnelrollup REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT  EXECUTE FUNCTION analytics_funnel_totals_update()',
]
SQLITE_TRIGGERS = [
    'DROP TRIGGER IF EXISTS analytics_totals_new_campaign',
    'CREATE TRIGGER analytics_totals_new_campaign AFTER INSERT ON voiceagent_campaign BEGIN INSERT OR IGNORE INTO analytics_leadtotals (campaign_id, total_leads, valid_leads, dnc_filtered_leads) VALUES (NEW.id, 0, 0, 0); INSERT OR IGNORE INTO analytics_funneltotals (campaign_id, dialed, answered, reached_greeting, reached_discovery, reached_qualification, reached_objection_handling, reached_closing, qualified) VALUES (NEW.id, 0, 0, 0, 0, 0, 0, 0, 0); END',
    'DROP TRIGGER IF EXISTS analytics_lead_totals_insert',
    "CREATE TRIGGER analytics_lead_totals_insert AFTER INSERT ON voiceagent_lead FOR EACH ROW  BEGIN UPDATE analytics_leadtotals SET total_leads = total_leads + (1), valid_leads = valid_leads + (CASE WHEN ((NEW.phone <> '' OR NEW.phone_erased) AND NOT NEW.is_dnc) THEN 1 ELSE 0 END), dnc_filtered_leads = dnc_filtered_leads + (CASE WHEN NEW.is_dnc THEN 1 ELSE 0 END) WHERE campaign_id = NEW.campaign_id; END",
    'DROP TRIGGER IF EXISTS analytics_lead_totals_delete',
    "CREATE TRIGGER analytics_lead_totals_delete AFTER DELETE ON voiceagent_lead FOR EACH ROW  BEGIN UPDATE analytics_leadtotals SET total_leads = total_leads - (1), valid_leads = valid_leads - (CASE WHEN ((OLD.phone <> '' OR OLD.phone_erased) AND NOT OLD.is_dnc) THEN 1 ELSE 0 END), dnc_filtered_leads = dnc_filtered_leads - (CASE WHEN OLD.is_dnc THEN 1 ELSE 0 END) WHERE campaign_id = OLD.campaign_id; END",
    'DROP TRIGGER IF EXISTS analytics_lead_totals_update',
    "CREATE TRIGGER analytics_lead_totals_update AFTER UPDATE ON voiceagent_lead FOR EACH ROW WHEN OLD.campaign_id <> NEW.campaign_id OR OLD.is_dnc <> NEW.is_dnc OR OLD.phone_erased <> NEW.phone_erased OR (OLD.phone = '') <> (NEW.phone = '') BEGIN UPDATE analytics_leadtotals SET total_leads = total_leads - (1), valid_leads = valid_leads - (CASE WHEN ((OLD.phone <> '' OR OLD.phone_erased) AND NOT OLD.is_dnc) THEN 1 ELSE 0 END), dnc_filtered_leads = dnc_filtered_leads - (CASE WHEN OLD.is_dnc THEN 1 ELSE 0 END) WHERE campaign_id = OLD.campaign_id; UPDATE analytics_leadtotals SET total_leads = total_leads + (1), valid_leads = valid_leads + (CASE WHEN ((NEW.phone <> '' OR NEW.phone_erased) AND NOT NEW.is_dnc) THEN 1 ELSE 0 END), dnc_filtered_leads = dnc_filtered_leads + (CASE WHEN NEW.is_dnc THEN 1 ELSE 0 END) WHERE campaign_id = NEW.campaign_id; END",
    'DROP TRIGGER IF EXISTS analytics_funnel_totals_insert',
    'CREATE TRIGGER analytics_funnel_totals_insert AFTER INSERT ON analytics_leadfunnelrollup FOR EACH ROW  BEGIN UPDATE analytics_funneltotals SET dialed = dialed + (CASE WHEN NEW.dialed > 0 THEN 1 ELSE 0 END), answered = answered + (CASE WHEN NEW.answered > 0 THEN 1 ELSE 0 END), reached_greeting = reached_greeting + (CASE WHEN NEW.reached_greeting > 0 THEN 1 ELSE 0 END), reached_discovery = reached_discovery + (CASE WHEN NEW.reached_discovery > 0 THEN 1 ELSE 0 END), reached_qualification = reached_qualification + (CASE WHEN NEW.reached_qualification > 0 THEN 1 ELSE 0 END), reached_objection_handling = reached_objection_handling + (CASE WHEN NEW.reached_objection_handling > 0 THEN 1 ELSE 0 END), reached_closing = reached_closing + (CASE WHEN NEW.reached_closing > 0 THEN 1 ELSE 0 END), qualified = qualified + (CASE WHEN NEW.qualified > 0 THEN 1 ELSE 0 END) WHERE campaign_id = NEW.campaign_id; END',
    'DROP TRIGGER IF EXISTS analytics_funnel_totals_delete',
    'CREATE TRIGGER analytics_funnel_totals_delete AFTER DELETE ON analytics_leadfunnelrollup FOR EACH ROW  BEGIN UPDATE analytics_funneltotals SET dialed = dialed - (CASE WHEN OLD.dialed > 0 THEN 1 ELSE 0 END), answered = answered - (CASE WHEN OLD.answered > 0 THEN 1 ELSE 0 END), reached_greeting = reached_greeting - (CASE WHEN OLD.reached_greeting > 0 THEN 1 ELSE 0 END), reached_discovery = reached_discovery - (CASE WHEN OLD.reached_discovery > 0 THEN 1 ELSE 0 END), reached_qualification = reached_qualification - (CASE WHEN OLD.reached_qualification > 0 THEN 1 ELSE 0 END), reached_objection_handling = reached_objection_handling - (CASE WHEN OLD.reached_objection_handling > 0 THEN 1 ELSE 0 END), reached_closing = reached_closing - (CASE WHEN OLD.reached_closing > 0 THEN 1 ELSE 0 END), qualified = qualified - (CASE WHEN OLD.qualified > 0 THEN 1 ELSE 0 END) WHERE campaign_id = OLD.campaign_id; END',
    'DROP TRIGGER IF EXISTS analytics_funnel_totals_update',
    'CREATE TRIGGER analytics_funnel_totals_update AFTER UPDATE ON analytics_leadfunnelrollup FOR EACH ROW  BEGIN UPDATE analytics_funneltotals SET dialed = dialed - (CASE WHEN OLD.dialed > 0 THEN 1 ELSE 0 END), answered = answered - (CASE WHEN OLD.answered > 0 THEN 1 ELSE 0 END), reached_greeting = reached_greeting - (CASE WHEN OLD.reached_greeting > 0 THEN 1 ELSE 0 END), reached_discovery = reached_discovery - (CASE WHEN OLD.reached_discovery > 0 THEN 1 ELSE 0 END), reached_qualification = reached_qualification - (CASE WHEN OLD.reached_qualification > 0 THEN 1 ELSE 0 END), reached_objection_handling = reached_objection_handling - (CASE WHEN OLD.reached_objection_handling > 0 THEN 1 ELSE 0 END), reached_closing = reached_closing - (CASE WHEN OLD.reached_closing > 0 THEN 1 ELSE 0 END), qualified = qualified - (CASE WHEN OLD.qualified > 0 THEN 1 ELSE 0 END) WHERE campaign_id = OLD.campaign_id; UPDATE analytics_funneltotals SET dialed = dialed + (CASE WHEN NEW.dialed > 0 THEN 1 ELSE 0 END), answered = answered + (CASE WHEN NEW.answered > 0 THEN 1 ELSE 0 END), reached_greeting = reached_greeting + (CASE WHEN NEW.reached_greeting > 0 THEN 1 ELSE 0 END), reached_discovery = reached_discovery + (CASE WHEN NEW.reached_discovery > 0 THEN 1 ELSE 0 END), reached_qualification = reached_qualification + (CASE WHEN NEW.reached_qualification > 0 THEN 1 ELSE 0 END), reached_objection_handling = reached_objection_handling + (CASE WHEN NEW.reached_objection_handling > 0 THEN 1 ELSE 0 END), reached_closing = reached_closing + (CASE WHEN NEW.reached_closing > 0 THEN 1 ELSE 0 END), qualified = qualified + (CASE WHEN NEW.qualified > 0 THEN 1 ELSE 0 END) WHERE campaign_id = NEW.campaign_id; END',
]
COUNT_EVERY_CAMPAIGN = [
    'DELETE FROM analytics_leadtotals',
    "INSERT INTO analytics_leadtotals (campaign_id, total_leads, valid_leads, dnc_filtered_leads) SELECT c.id, coalesce(count(r.campaign_id), 0), coalesce(sum(CASE WHEN ((r.phone <> '' OR r.phone_erased) AND NOT r.is_dnc) THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.is_dnc THEN 1 ELSE 0 END), 0) FROM voiceagent_campaign c LEFT JOIN voiceagent_lead r ON r.campaign_id = c.id GROUP BY c.id",
    'DELETE FROM analytics_funneltotals',
    'INSERT INTO analytics_funneltotals (campaign_id, dialed, answered, reached_greeting, reached_discovery, reached_qualification, reached_objection_handling, reached_closing, qualified) SELECT c.id, coalesce(sum(CASE WHEN r.dialed > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.answered > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.reached_greeting > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.reached_discovery > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.reached_qualification > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.reached_objection_handling > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.reached_closing > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN r.qualified > 0 THEN 1 ELSE 0 END), 0) FROM voiceagent_campaign c LEFT JOIN analytics_leadfunnelrollup r ON r.campaign_id = c.id GROUP BY c.id',
]

TRIGGERS = (
    ("analytics_totals_new_campaign", "voiceagent_campaign"),
    *(
        (f"{prefix}_{event}", table)
        for prefix, table in (
            ("analytics_lead_totals", "voiceagent_lead"),
            ("analytics_funnel_totals", "analytics_leadfunnelrollup"),
        )
        for event in ("insert", "delete", "update")
    ),
)


def install_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No write may fall between the count and the triggers.
            cursor.execute(
                "LOCK TABLE voiceagent_lead, analytics_leadfunnelrollup IN SHARE ROW EXCLUSIVE MODE"
            )
            statements = POSTGRESQL_TRIGGERS
        else:
            statements = SQLITE_TRIGGERS
        for sql in [*statements, *COUNT_EVERY_CAMPAIGN]:
            cursor.execute(sql)


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for name, table in TRIGGERS:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0003_fill_total_latency_histogram'),
        ('voiceagent', '0006_turn_search_document'),
    ]

    operations = [
        migrations.CreateModel(
            name='FunnelTotals',
            fields=[
                ('campaign', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='voiceagent.campaign')),
                ('dialed', models.BigIntegerField(default=0)),
                ('answered', models.BigIntegerField(default=0)),
                ('reached_greeting', models.BigIntegerField(default=0)),
                ('reached_discovery', models.BigIntegerField(default=0)),
                ('reached_qualification', models.BigIntegerField(default=0)),
                ('reached_objection_handling', models.BigIntegerField(default=0)),
                ('reached_closing', models.BigIntegerField(default=0)),
                ('qualified', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name_plural': 'funnel totals',
            },
        ),
        migrations.CreateModel(
            name='LeadTotals',
            fields=[
                ('campaign', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='voiceagent.campaign')),
                ('total_leads', models.BigIntegerField(default=0)),
                ('valid_leads', models.BigIntegerField(default=0)),
                ('dnc_filtered_leads', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name_plural': 'lead totals',
            },
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]

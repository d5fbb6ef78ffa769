"""The analytics and dashboard endpoints `make bench` measures, each beside a hand-written SQL
baseline computing the same numbers (the best PostgreSQL itself does on the same data)."""

FINISHED = "status IN ('completed','no_answer','busy','failed')"
ANSWERED = f"{FINISHED} AND answered_at IS NOT NULL AND outcome <> 'voicemail'"
LOCAL_DAY = "(initiated_at AT TIME ZONE 'Asia/Kolkata')::date"

CAMPAIGN_METRICS_SQL = [
    f"""SELECT count(*) FILTER (WHERE {FINISHED}), count(*) FILTER (WHERE {ANSWERED}),
        count(*) FILTER (WHERE {FINISHED} AND outcome = 'qualified'),
        count(*) FILTER (WHERE {FINISHED} AND outcome = 'not_interested'),
        count(*) FILTER (WHERE {FINISHED} AND outcome = 'callback_requested'),
        count(*) FILTER (WHERE {FINISHED} AND outcome = 'no_answer'),
        count(*) FILTER (WHERE {FINISHED} AND outcome = 'failed'),
        count(*) FILTER (WHERE status IN ('initiated','ringing','in_progress')),
        count(*) FILTER (WHERE status = 'queued'),
        avg(duration_seconds) FILTER (WHERE {ANSWERED}), sum(duration_seconds) FILTER (WHERE {FINISHED}),
        count(DISTINCT lead_id) FILTER (WHERE {FINISHED} AND outcome = 'qualified')
    FROM voiceagent_callsession WHERE campaign_id = %(campaign)s""",
    """SELECT count(*), count(*) FILTER (WHERE phone <> '' AND NOT is_dnc), count(*) FILTER (WHERE is_dnc)
    FROM voiceagent_lead WHERE campaign_id = %(campaign)s""",
    """SELECT count(*) FROM voiceagent_scheduledcall
    WHERE campaign_id = %(campaign)s AND status = 'pending' AND scheduled_for <= now()""",
]

DAILY_SQL = f"""SELECT {LOCAL_DAY} AS day, count(*) FILTER (WHERE {FINISHED}), count(*) FILTER (WHERE {ANSWERED}),
    count(*) FILTER (WHERE {FINISHED} AND outcome = 'qualified'), avg(duration_seconds) FILTER (WHERE {ANSWERED}),
    sum(duration_seconds) FILTER (WHERE {FINISHED})
FROM voiceagent_callsession WHERE {{where}} initiated_at >= now() - interval '30 days' GROUP BY 1 ORDER BY 1"""

LIVE_SQL = [
    "SELECT count(*) FROM voiceagent_callsession WHERE status IN ('initiated','ringing','in_progress')",
    "SELECT count(*) FROM voiceagent_callsession WHERE status = 'queued'",
    "SELECT count(*) FROM voiceagent_scheduledcall WHERE status = 'pending' AND scheduled_for <= now()",
]
SYSTEM_SQL = [
    "SELECT count(*), count(*) FILTER (WHERE status = 'running') FROM voiceagent_campaign",
    "SELECT count(*) FROM voiceagent_lead",
    f"""SELECT count(*) FILTER (WHERE {FINISHED}) FROM voiceagent_callsession
    WHERE initiated_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Kolkata') AT TIME ZONE 'Asia/Kolkata'""",
    f"""SELECT count(*) FILTER (WHERE {FINISHED}), count(*) FILTER (WHERE {ANSWERED}),
        count(*) FILTER (WHERE {FINISHED} AND outcome = 'qualified')
    FROM voiceagent_callsession WHERE initiated_at >= now() - interval '30 days'""",
    *LIVE_SQL,
]

RECENT_CAMPAIGNS_SQL = f"""SELECT c.id, c.name, c.status, count(s.id) FILTER (WHERE s.{FINISHED}),
    count(s.id) FILTER (WHERE s.{FINISHED} AND s.answered_at IS NOT NULL AND s.outcome <> 'voicemail'),
    count(s.id) FILTER (WHERE s.{FINISHED} AND s.outcome = 'qualified')
FROM (SELECT * FROM voiceagent_campaign ORDER BY created_at DESC LIMIT 10) c
LEFT JOIN voiceagent_callsession s ON s.campaign_id = c.id GROUP BY c.id, c.name, c.status"""

ACTIVITY_SQL = """SELECT l.id, l.name, l.phone, l.status, l.call_attempts, l.last_call_at, l.last_outcome,
    (SELECT reason || ' ' || scheduled_for FROM voiceagent_scheduledcall s
     WHERE s.lead_id = l.id AND s.status = 'pending' ORDER BY scheduled_for LIMIT 1)
FROM voiceagent_lead l WHERE l.campaign_id = %(campaign)s
ORDER BY l.last_call_at DESC NULLS LAST, l.id DESC LIMIT 50"""

CONVERSATION_SQL = [
    """SELECT c.*, l.name, l.phone FROM voiceagent_callsession c JOIN voiceagent_lead l ON l.id = c.lead_id
    WHERE c.call_sid = %(call_sid)s""",
    """SELECT t.* FROM voiceagent_conversationturn t JOIN voiceagent_callsession c ON c.id = t.call_id
    WHERE c.call_sid = %(call_sid)s ORDER BY t.sequence""",
    """SELECT o.* FROM voiceagent_objection o JOIN voiceagent_callsession c ON c.id = o.call_id
    WHERE c.call_sid = %(call_sid)s ORDER BY o.occurred_at""",
]

FUNNEL_SQL = [
    "SELECT count(*) FROM voiceagent_lead WHERE campaign_id = %(campaign)s",
    f"""SELECT count(DISTINCT lead_id) FILTER (WHERE {FINISHED}), count(DISTINCT lead_id) FILTER (WHERE {ANSWERED}),
        count(DISTINCT lead_id) FILTER (WHERE stage_first_reached ? 'discovery'),
        count(DISTINCT lead_id) FILTER (WHERE stage_first_reached ? 'qualification'),
        count(DISTINCT lead_id) FILTER (WHERE stage_first_reached ? 'closing'),
        count(DISTINCT lead_id) FILTER (WHERE {FINISHED} AND outcome = 'qualified')
    FROM voiceagent_callsession WHERE campaign_id = %(campaign)s""",
]

BEST_HOURS_SQL = f"""SELECT extract(isodow FROM initiated_at AT TIME ZONE 'Asia/Kolkata'),
    extract(hour FROM initiated_at AT TIME ZONE 'Asia/Kolkata'), count(*) FILTER (WHERE {FINISHED}),
    count(*) FILTER (WHERE {ANSWERED}), count(*) FILTER (WHERE {FINISHED} AND outcome = 'qualified')
FROM voiceagent_callsession WHERE campaign_id = %(campaign)s GROUP BY 1, 2"""

OBJECTIONS_SQL = """SELECT o.category, count(*), count(*) FILTER (WHERE c.outcome = 'qualified')
FROM voiceagent_objection o JOIN voiceagent_callsession c ON c.id = o.call_id
WHERE c.campaign_id = %(campaign)s GROUP BY 1"""

REALTIME_SQL = """SELECT c.call_sid, c.campaign_id, k.name, c.lead_id, l.name, c.current_stage, c.status,
    c.initiated_at, c.answered_at
FROM voiceagent_callsession c JOIN voiceagent_campaign k ON k.id = c.campaign_id
JOIN voiceagent_lead l ON l.id = c.lead_id
WHERE c.status IN ('initiated','ringing','in_progress') ORDER BY c.initiated_at LIMIT 500"""

# Transcript search: a word in about one lead turn in 500 (Baner, बजट), and one in nearly every
# lead turn (Powai); the baseline is the same full-text match on the GIN index: the 1,001 most
# recently recorded matches ranked, then the page's 20 turns with their call and lead.
SEARCH_MATCH = "search_document @@ plainto_tsquery('transcript_search'::regconfig, %s)"


def search_sql(word):
    match = SEARCH_MATCH % f"'{word}'"
    return [
        f"""SELECT id, started_at,
            ts_rank(search_document, plainto_tsquery('transcript_search'::regconfig, '{word}'))
        FROM voiceagent_conversationturn WHERE {match} ORDER BY id DESC LIMIT 1001""",
        f"""SELECT t.sequence, t.speaker, t.text, t.started_at, c.call_sid, c.campaign_id, l.name
        FROM voiceagent_conversationturn t JOIN voiceagent_callsession c ON c.id = t.call_id
        JOIN voiceagent_lead l ON l.id = c.lead_id
        WHERE t.id IN (SELECT id FROM voiceagent_conversationturn WHERE {match}
            ORDER BY id DESC LIMIT 20)""",
    ]


# Endpoints that read the rollups (analytics.models): at reference scale (1M calls) at most a
# tenth of the raw SQL they replace, and flat in data size (bench/run.py compares 1M with 10k);
# below it the raw SQL takes a few milliseconds, less than a request's fixed cost, so smaller
# scales only track them. Transcript search answers in under 50 ms whatever the size; the rest
# (one call, live calls, leads) read raw rows by design and track their SQL.
ROLLUP_ENDPOINTS = {
    "campaign metrics", "daily stats (campaign, 30 d)", "daily stats (all, 30 d)", "system",
    "funnel", "best hours", "objections", "dashboard overview", "campaign summary",
}  # fmt: skip


# (figure, path, baseline statements); %(campaign)s and %(call_sid)s are filled in by the harness.
ENDPOINTS = [
    ("campaign metrics", "/analytics/campaigns/{campaign}/metrics", CAMPAIGN_METRICS_SQL),
    ("daily stats (campaign, 30 d)", "/analytics/daily-stats?campaign_id={campaign}&days=30",
     [DAILY_SQL.replace("{where}", "campaign_id = %(campaign)s AND")]),
    ("daily stats (all, 30 d)", "/analytics/daily-stats?days=30", [DAILY_SQL.replace("{where}", "")]),
    ("conversation", "/analytics/conversations/{call_sid}", CONVERSATION_SQL),
    ("system", "/analytics/system", SYSTEM_SQL),
    ("lead activity", "/analytics/leads/activity?campaign_id={campaign}&limit=50", [ACTIVITY_SQL]),
    ("funnel", "/analytics/campaigns/{campaign}/funnel", FUNNEL_SQL),
    ("best hours", "/analytics/campaigns/{campaign}/best-hours", [BEST_HOURS_SQL]),
    ("objections", "/analytics/campaigns/{campaign}/objections", [OBJECTIONS_SQL]),
    ("dashboard overview", "/dashboard/overview",
     [*SYSTEM_SQL, RECENT_CAMPAIGNS_SQL, DAILY_SQL.replace("{where}", "")]),
    ("dashboard realtime", "/dashboard/realtime", [*LIVE_SQL, REALTIME_SQL]),
    ("transcript search (rare word)", "/analytics/transcripts/search?q=Baner", search_sql("baner")),
    ("transcript search (Devanagari)", "/analytics/transcripts/search?q=%E0%A4%AC%E0%A4%9C%E0%A4%9F",
     search_sql("बजट")),
    ("transcript search (common word)", "/analytics/transcripts/search?q=Powai", search_sql("powai")),
    ("campaign summary", "/dashboard/campaigns/{campaign}/summary",
     [*CAMPAIGN_METRICS_SQL, DAILY_SQL.replace("{where}", "campaign_id = %(campaign)s AND"), ACTIVITY_SQL]),
]  # fmt: skip

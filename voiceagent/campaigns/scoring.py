"""Lead scores: how likely a lead is to buy, 0–100, from what its calls collected and how it
engaged, with the top three contributions in words (docs/metrics.md, "Lead score").

One function, `recompute_lead_scores(*, lead_ids)`, rewrites the score of the given leads in ONE
`UPDATE … FROM (aggregate)` statement that PostgreSQL and SQLite (3.33+) both run: nothing is
computed per lead in Python, so scoring a batch of 500 leads costs what scoring one does.
`rescore_campaigns` scores whole campaigns again, their leads locked first in the order ingestion
takes them (voiceagent/campaigns/locks.py).

Signals, each worth the points of the campaign's `score_weights` (else DEFAULT_SCORE_WEIGHTS):
- interest level, timeline and purpose: the strongest value any of the lead's calls collected
  (call.qualification: "high" > "medium" > "low"; within a month > 3 months > 6 months; buy >
  invest > rent), read from the words the agent reported ("1 month", "Within 3 months", …);
- budget: the lead's budget against the campaign's price band (in it, or within 20% of it);
- engagement: an answered call, talk time over answered calls (1 and 3 minutes), a callback
  asked, and each objection raised (at most three count).
The sum is clamped to 0–100. Reasons are the three largest contributions by size (ties: in the
order above), e.g. "high interest (+30); buying within a month (+20); budget in the price band
(+15)".
"""

from django.db import connection, transaction
from django.db.models.query import QuerySet

from voiceagent.campaigns.locks import lock_leads
from voiceagent.models import (
    DEFAULT_SCORE_WEIGHTS,
    CallOutcome,
    CallSession,
    CallStatus,
    Campaign,
    Lead,
    Objection,
)
from voiceagent.prepared import prepared_cursor

MAX_COUNTED_OBJECTIONS = 3
# Talk time thresholds, seconds over the lead's answered calls.
LONG_TALK_SECONDS, SHORT_TALK_SECONDS = 180, 60
REASONS_SHOWN = 3

# Matched against the words padded with spaces (see _words), so " 1 month" never matches
# "11 months" and " 2 month" never matches "12 months".
TIMELINE_PATTERNS = {
    3: ("%immediate%", "%this month%", "% 1 month%", "% one month%", "%within a month%", "% week%"),
    2: ("% 2 month%", "% 3 month%", "% two month%", "% three month%", "%quarter%"),
    1: ("% 4 month%", "% 5 month%", "% 6 month%", "% six month%", "%half a year%"),
}
INTEREST_PATTERNS = {3: ("%high%", "%hot%"), 2: ("%medium%", "%moderate%"), 1: ("%low%",)}
PURPOSE_PATTERNS = {3: ("%buy%", "%purchase%"), 2: ("%invest%",), 1: ("%rent%", "%lease%")}


def _json_text(column, key):
    """The text of one key of a JSON column, on either vendor."""
    if connection.vendor == "postgresql":
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def _weight(key):
    """The campaign's points for a signal (alias c), else the default."""
    return f"COALESCE(CAST({_json_text('c.score_weights', key)} AS integer), {int(DEFAULT_SCORE_WEIGHTS[key])})"


def _fence():
    """`OFFSET 0` closing a subquery, so the planner never pulls it up into the one above: the
    signal columns are each referenced many times by the ranks and reasons, and inlined they
    were planned (and computed) once per reference: 10-30 ms of planning a statement."""
    return "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"


def _words(text):
    """Lower-cased, with "-", "(" and "/" as spaces and a space at each end: whole words match."""
    return f"(' ' || replace(replace(replace(lower({text}), '-', ' '), '(', ' '), '/', ' ') || ' ')"


def _rank_of(words_column, patterns):
    """MAX over the calls of a rank (3 best … 0 unknown) matched from their words (_words)."""
    cases = " ".join(
        f"WHEN {' OR '.join(f'{words_column} LIKE %s' for _ in words)} THEN {rank}"
        for rank, words in patterns.items()
    )
    params = [word for words in patterns.values() for word in words]
    return f"MAX(CASE {cases} ELSE 0 END)", params


def _ranked(name, cases):
    """Points and label columns of a signal taking one of several ranked values."""
    points = " ".join(f"WHEN f.{name} = {rank} THEN {_weight(key)}" for rank, key, _ in cases)
    labels = " ".join(f"WHEN f.{name} = {rank} THEN '{label}'" for rank, _, label in cases)
    return f"CASE {points} ELSE 0 END", f"CASE {labels} ELSE '' END"


def _signals():
    """[(points SQL, label SQL)] over the per-lead features `f`, lead `l`, campaign `c`."""
    in_band = (
        "(c.price_band_min IS NULL OR l.budget >= c.price_band_min) AND "
        "(c.price_band_max IS NULL OR l.budget <= c.price_band_max)"
    )
    near_band = (
        "(c.price_band_min IS NOT NULL AND l.budget * 5 >= c.price_band_min * 4 "
        "AND l.budget < c.price_band_min) OR (c.price_band_max IS NOT NULL AND "
        "l.budget > c.price_band_max AND l.budget * 5 <= c.price_band_max * 6)"
    )
    no_band = "l.budget IS NULL OR (c.price_band_min IS NULL AND c.price_band_max IS NULL)"
    objections = f"CASE WHEN f.objections > {MAX_COUNTED_OBJECTIONS} THEN {MAX_COUNTED_OBJECTIONS} ELSE COALESCE(f.objections, 0) END"
    return [
        _ranked(
            "interest",
            [
                (3, "interest_high", "high interest"),
                (2, "interest_medium", "medium interest"),
                (1, "interest_low", "low interest"),
            ],
        ),
        _ranked(
            "timeline",
            [
                (3, "timeline_within_1_month", "buying within a month"),
                (2, "timeline_within_3_months", "buying within 3 months"),
                (1, "timeline_within_6_months", "buying within 6 months"),
            ],
        ),
        (
            f"CASE WHEN {no_band} THEN 0 WHEN {in_band} THEN {_weight('budget_in_band')} "
            f"WHEN {near_band} THEN {_weight('budget_near_band')} ELSE 0 END",
            f"CASE WHEN {no_band} THEN '' WHEN {in_band} THEN 'budget in the price band' "
            "ELSE 'budget near the price band' END",
        ),
        _ranked(
            "purpose",
            [
                (3, "purpose_buy", "wants to buy"),
                (2, "purpose_invest", "wants to invest"),
                (1, "purpose_rent", "wants to rent"),
            ],
        ),
        (
            f"CASE WHEN f.answered > 0 THEN {_weight('answered')} ELSE 0 END",
            "CASE WHEN f.answered = 1 THEN 'answered a call' "
            "ELSE 'answered ' || CAST(f.answered AS text) || ' calls' END",
        ),
        (
            f"CASE WHEN f.talk_seconds >= {LONG_TALK_SECONDS} THEN {_weight('talk_time_3_minutes')} "
            f"WHEN f.talk_seconds >= {SHORT_TALK_SECONDS} THEN {_weight('talk_time_1_minute')} "
            "ELSE 0 END",
            f"CASE WHEN f.talk_seconds >= {LONG_TALK_SECONDS} THEN 'talked over 3 minutes' "
            "ELSE 'talked over a minute' END",
        ),
        (
            f"CASE WHEN f.callbacks > 0 THEN {_weight('callback_asked')} ELSE 0 END",
            "'asked for a callback'",
        ),
        (
            f"{objections} * {_weight('objection')}",
            "CASE WHEN f.objections = 1 THEN 'raised an objection' "
            "ELSE 'raised ' || CAST(f.objections AS text) || ' objections' END",
        ),
    ]


def _lead_filter(column, lead_ids):
    """(SQL, params) limiting `column` to the leads; a queryset of ids stays a subquery."""
    if lead_ids is None:
        return "1 = 1", []
    if isinstance(lead_ids, QuerySet):
        sql, params = lead_ids.query.sql_with_params()
        return f"{column} IN ({sql})", list(params)
    ids = [int(pk) for pk in lead_ids]
    if not ids:
        return "1 = 0", []
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def _features(lead_ids):
    """Per-lead features of its calls (not canceled): interest, timeline, purpose ranks,
    answered calls, talk seconds, callbacks asked; and objections raised."""
    call = CallSession._meta.db_table
    objection = Objection._meta.db_table
    qualification = "calls.qualification"
    # Each call's words are normalised once (in `worded`), not once per pattern matched.
    interest, interest_params = _rank_of("worded.interest_words", INTEREST_PATTERNS)
    timeline, timeline_params = _rank_of("worded.timeline_words", TIMELINE_PATTERNS)
    purpose, purpose_params = _rank_of("worded.purpose_words", PURPOSE_PATTERNS)
    answered = "worded.answered_at IS NOT NULL AND worded.outcome <> %s AND worded.status <> %s"
    calls_filter, calls_params = _lead_filter("calls.lead_id", lead_ids)
    fence = _fence()
    sql = f"""
        SELECT worded.lead_id AS lead_id,
               {interest} AS interest, {timeline} AS timeline, {purpose} AS purpose,
               SUM(CASE WHEN {answered} THEN 1 ELSE 0 END) AS answered,
               SUM(CASE WHEN {answered} THEN COALESCE(worded.duration_seconds, 0) ELSE 0 END)
                   AS talk_seconds,
               SUM(CASE WHEN worded.outcome = %s THEN 1 ELSE 0 END) AS callbacks,
               (SELECT COUNT(*) FROM {objection} o JOIN {call} oc ON oc.id = o.call_id
                 WHERE oc.lead_id = worded.lead_id AND oc.status <> %s) AS objections
          FROM (
            SELECT calls.lead_id, calls.answered_at, calls.outcome, calls.status,
                   calls.duration_seconds,
                   {_words(_json_text(qualification, "interest_level"))} AS interest_words,
                   {_words(_json_text(qualification, "timeline"))} AS timeline_words,
                   {_words(_json_text(qualification, "purpose"))} AS purpose_words
              FROM {call} calls
             WHERE calls.status <> %s AND {calls_filter}
             {fence}
          ) worded
         GROUP BY worded.lead_id
    """
    canceled, voicemail = CallStatus.CANCELED, CallOutcome.VOICEMAIL
    params = [
        *interest_params,
        *timeline_params,
        *purpose_params,
        voicemail,
        canceled,
        voicemail,
        canceled,
        CallOutcome.CALLBACK_REQUESTED,
        canceled,
        canceled,
        *calls_params,
    ]
    return sql, params


def _statement(lead_ids, *, changed_only):
    lead, campaign = Lead._meta.db_table, Campaign._meta.db_table
    signals = _signals()
    count = len(signals)
    features_sql, features_params = _features(lead_ids)
    changed_only = (
        f"AND ({lead}.score <> scored.score OR {lead}.score_reasons <> scored.reasons)"
        if changed_only
        else ""
    )
    leads_filter, leads_params = _lead_filter("l.id", lead_ids)
    # The rows to update named again on the table itself: joined only to `scored`, the planner
    # read every lead (a sequential scan and a hash, 4k leads: ~10 ms) instead of a few by key.
    target_filter, target_params = _lead_filter(f"{lead}.id", lead_ids)
    fence = _fence()
    points = ",\n".join(
        f"({points_sql}) AS p{i}, ({label_sql}) AS t{i}"
        for i, (points_sql, label_sql) in enumerate(signals)
    )

    def rank(i):
        # How many signals weigh more than signal i (ties: the earlier signal first).
        beaten = [
            f"CASE WHEN ABS(p{j}) {'>=' if j < i else '>'} ABS(p{i}) THEN 1 ELSE 0 END"
            for j in range(count)
            if j != i
        ]
        return " + ".join(beaten)

    ranked = ",\n".join(
        f"p{i}, ({rank(i)}) AS rank{i}, t{i} || ' (' || CASE WHEN p{i} > 0 THEN '+' ELSE '-' END "
        f"|| CAST(ABS(p{i}) AS text) || ')' AS reason{i}"
        for i in range(count)
    )

    def reason(position):
        cases = " ".join(
            f"WHEN rank{i} = {position} AND p{i} <> 0 THEN reason{i}" for i in range(count)
        )
        return f"CASE {cases} END"

    total = " + ".join(f"p{i}" for i in range(count))
    reasons = " || ".join(
        [f"COALESCE({reason(0)}, '')"]
        + [f"COALESCE('; ' || {reason(position)}, '')" for position in range(1, REASONS_SHOWN)]
    )
    sql = f"""
        UPDATE {lead} SET score = scored.score, score_reasons = scored.reasons
        FROM (
            SELECT lead_id,
                   CASE WHEN total < 0 THEN 0 WHEN total > 100 THEN 100 ELSE total END AS score,
                   {reasons} AS reasons
              FROM (
                SELECT lead_id, {total} AS total, {", ".join(f"p{i}, rank{i}, reason{i}" for i in range(count))}
                  FROM (
                    SELECT lead_id, {ranked}
                      FROM (
                        SELECT l.id AS lead_id, {points}
                          FROM {lead} l
                          JOIN {campaign} c ON c.id = l.campaign_id
                          LEFT JOIN ({features_sql}) f ON f.lead_id = l.id
                         WHERE {leads_filter} AND l.erased_at IS NULL
                         {fence}
                      ) signal_points
                     {fence}
                  ) signal_ranks
                 {fence}
              ) signal_totals
        ) scored
        WHERE {lead}.id = scored.lead_id AND {target_filter} {changed_only}
    """
    return sql, [*features_params, *leads_params, *target_params]


# What of a call its lead's score reads (besides the call's objections): a batch that leaves
# these as they were, and adds no objection, leaves the lead's score as it was.
# The qualification keys a score reads (`_features`), and the facts of a canceled call.
QUALIFICATION_READ = ("interest_level", "timeline", "purpose")
CANCELED_CALL = ("canceled",)
# The facts of a call just created, before any event: it counts for nothing yet.
UNSCORED_CALL = (False, 0, False, None, None, None)


def call_score_facts(call):
    """What a lead's score reads of one of its calls (`_features`), as a value to compare: a
    canceled call counts for nothing (nor do its objections); another counts whether it was
    answered (an answer, not a voicemail) and then its talk seconds, whether it asked for a
    callback, and the qualification's interest level, timeline and purpose. A call ringing,
    talking or moving between stages keeps its facts: its lead needs no scoring then."""
    if call.status == CallStatus.CANCELED:
        return CANCELED_CALL
    answered = call.answered_at is not None and call.outcome != CallOutcome.VOICEMAIL
    qualification = call.qualification or {}
    return (
        answered,
        (call.duration_seconds or 0) if answered else 0,
        call.outcome == CallOutcome.CALLBACK_REQUESTED,
        *(qualification.get(key) for key in QUALIFICATION_READ),
    )


def recompute_lead_scores(*, lead_ids=None, changed_only=False):
    """Rewrite score and score_reasons of these leads (ids, or a queryset of ids; None: every
    lead) from their calls, in one statement; returns how many leads it wrote (-1, unknown,
    inside a pipeline: voiceagent.ingestion.bulk.pipelined). With
    `changed_only`, rows whose score and reasons stay the same are not written (nor counted):
    ingestion re-scores the leads whose calls changed what a score reads (call_score_facts)
    or got an objection, and a call's new facts often leave its lead's score as it was."""
    sql, params = _statement(lead_ids, changed_only=changed_only)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# A campaign's inputs to its leads' scores: changing one re-scores every lead of the campaign.
SCORE_INPUTS = ("price_band_min", "price_band_max", "score_weights")


def rescore_campaigns(*, campaign_ids=None):
    """Score every lead of these campaigns again (None: every lead), e.g. after a price band or
    weights changed; returns how many leads it wrote.

    In a transaction that first locks the leads in id order (voiceagent/campaigns/locks.py): the
    one UPDATE would lock them in the order its plan reads them, and an ingestion batch holding
    one of them while waiting for another (it takes its leads in id order) would deadlock with
    it."""
    if campaign_ids is None:
        leads, lead_ids = Lead.objects.all(), None
    else:
        leads = Lead.objects.filter(campaign_id__in=campaign_ids)
        lead_ids = leads.values("pk")
    with transaction.atomic():
        lock_leads(leads)
        return recompute_lead_scores(lead_ids=lead_ids)

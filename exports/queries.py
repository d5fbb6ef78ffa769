"""Row sources of the exports (reads only): which rows and columns each kind has, seen by a user.

Three kinds, each one ORM query defined once and used by both paths:
- results: one row per call of the campaign, with the lead's contact details,
  outcome, duration, attempts, the qualification data collected (purpose, timeline, interest
  level, budget), the stages reached in order of first reach and the objections raised;
- transcripts: one row per conversation turn (speaker and text), repeating the call's metadata
  (date in settings.TIME_ZONE, duration, outcome) and lead. One row per turn rather than per
  call keeps every cell far below Excel's 32,767-character limit however long the call, and lets
  a manager filter by speaker or stage;
- leads: one row per lead, with contact details, property preferences, DNC flag, call attempts
  and last outcome.
Results and transcripts hold the calls of a period (a call's day is that of its initiated_at in
settings.TIME_ZONE; no period: all time), finished calls only (the glossary's calls_made, so a
file's rows match the figure shown beside its button) unless `include` is all. Both paths get
their rows from `base_queryset`, so that rule is written once.
The Python path (`export_rows`) iterates the query with a server-side cursor; the PostgreSQL CSV
path (`copy_sql`) wraps the same query in a SELECT that formats and neutralises in the database
for `COPY ... TO STDOUT`. Both give the same cells: dates ISO 8601 with the zone's offset, to
the second (in XLSX real spreadsheet dates and date-times in the zone); booleans yes/no; empty
text as an empty cell; each stored choice code (status, outcome, stage, ...) in a "<name> code"
column beside its label, and budgets in lakh and crore beside the number (voiceagent.formats).
Visibility always goes through `voiceagent.access.visible_campaigns`.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, NotSupportedError
from django.db.models import F, Func, OrderBy, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.http import Http404

from analytics.costs import call_cost_expression, rupees
from exports.models import ExportInclude, ExportJob, ExportKind
from exports.writers import NUMBER, PHONE, TEXT, Column
from voiceagent.access import visible_campaigns
from voiceagent.formats import budget, budget_sql, choice_label, choice_label_sql
from voiceagent.models import CallSession, ConversationTurn, Lead, Objection
from voiceagent.personal_data.phones import PhoneDisplay, can_view_full_phone

# How a value is shaped into a cell: the same rule in Python and in SQL (COPY path).
SHAPE_TEXT, SHAPE_PHONE, SHAPE_INT = "text", "phone", "int"
SHAPE_DATETIME, SHAPE_DATE, SHAPE_BOOL = "datetime", "date", "bool"
SHAPE_MONEY = "money"  # rupees with 2 decimals
SHAPE_LABEL = "label"  # a choice code as words: not_interested → Not interested
SHAPE_BUDGET = "budget"  # rupees in lakh and crore: ₹85 L
COLUMN_TYPE = {SHAPE_PHONE: PHONE, SHAPE_INT: NUMBER, SHAPE_MONEY: NUMBER}


class ObjectionSummary(Func):
    """'category: text; ...' of a call's objections, in the order they were raised."""

    output_field = TextField()
    _item = (
        "CASE WHEN exp_o.text = '' THEN exp_o.category "
        "ELSE exp_o.category || ': ' || exp_o.text END"
    )

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError("ObjectionSummary is written for PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            f"(SELECT string_agg({self._item}, '; ' ORDER BY exp_o.occurred_at, exp_o.id) "
            f"FROM {Objection._meta.db_table} exp_o WHERE exp_o.call_id = %(expressions)s)"
        )
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = (
            f"(SELECT group_concat(item, '; ') FROM (SELECT {self._item} AS item "
            f"FROM {Objection._meta.db_table} exp_o WHERE exp_o.call_id = %(expressions)s "
            "ORDER BY exp_o.occurred_at, exp_o.id))"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


class StagesReached(Func):
    """'greeting > discovery > ...' from CallSession.stage_first_reached, in order of first reach."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError("StagesReached is written for PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra):
        # Calls that never got an answer have no stages: skip the per-row set-returning call.
        template = (
            "(CASE WHEN %(expressions)s = '{}'::jsonb THEN NULL ELSE "
            "(SELECT string_agg(exp_s.key, ' > ' ORDER BY exp_s.value, exp_s.key) "
            "FROM jsonb_each_text(%(expressions)s) AS exp_s) END)"
        )
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = (
            "(SELECT group_concat(key, ' > ') FROM (SELECT exp_s.key FROM "
            "json_each(%(expressions)s) AS exp_s ORDER BY exp_s.value, exp_s.key))"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


@dataclass(frozen=True)
class Field:
    header: str
    expression: object
    shape: str = SHAPE_TEXT
    width: int = 16

    @property
    def column(self):
        return Column(self.header, COLUMN_TYPE.get(self.shape, TEXT), self.width)


@dataclass(frozen=True)
class Source:
    kind: str
    sheet_title: str
    fields: tuple
    ordering: tuple

    @property
    def columns(self):
        return [field.column for field in self.fields]


def coded(header, expression, width):
    """A stored choice as two columns: its label ("Not interested") and its code."""
    return (
        Field(header, expression, SHAPE_LABEL, width),
        Field(f"{header} code", expression, width=width),
    )


def _qualification(key):
    return KeyTextTransform(key, "qualification")


def _call_day(prefix=""):
    return Coalesce(F(f"{prefix}initiated_at"), F(f"{prefix}created_at"))


RESULTS = Source(
    kind=ExportKind.RESULTS,
    sheet_title="Results",
    fields=(
        Field("Call SID", F("call_sid"), width=20),
        Field("Call date", _call_day(), SHAPE_DATE, 11),
        Field("Initiated at", F("initiated_at"), SHAPE_DATETIME, 26),
        Field("Lead", F("lead__name"), width=24),
        Field("Phone", F("lead__phone"), SHAPE_PHONE, 16),
        Field("Email", F("lead__email"), width=26),
        Field("City", F("lead__city"), width=14),
        *coded("Status", F("status"), 12),
        *coded("Outcome", F("outcome"), 18),
        *coded("Ended by", F("ended_by"), 9),
        Field("Attempt", F("attempt_number"), SHAPE_INT, 8),
        Field("Lead call attempts", F("lead__call_attempts"), SHAPE_INT, 10),
        Field("Duration (s)", F("duration_seconds"), SHAPE_INT, 10),
        Field("Purpose", _qualification("purpose"), width=14),
        Field("Timeline", _qualification("timeline"), width=14),
        Field("Interest level", _qualification("interest_level"), width=12),
        Field("Budget", _qualification("budget"), width=14),
        Field("Stages reached", StagesReached(F("stage_first_reached")), width=44),
        Field("Objections", ObjectionSummary(F("pk")), width=44),
        Field("Recording URL", F("recording_url"), width=30),
        # Built per export (a callable), so that the prices are read when the export runs.
        Field("Cost (₹)", call_cost_expression, SHAPE_MONEY, 10),
        Field("Script variant", F("script_variant"), width=14),
    ),
    ordering=(F("initiated_at").asc(nulls_last=True), F("pk").asc()),
)

TRANSCRIPTS = Source(
    kind=ExportKind.TRANSCRIPTS,
    sheet_title="Transcripts",
    fields=(
        Field("Call SID", F("call__call_sid"), width=20),
        Field("Call date", _call_day("call__"), SHAPE_DATE, 11),
        Field("Call initiated at", F("call__initiated_at"), SHAPE_DATETIME, 26),
        Field("Duration (s)", F("call__duration_seconds"), SHAPE_INT, 10),
        *coded("Outcome", F("call__outcome"), 18),
        Field("Lead", F("call__lead__name"), width=24),
        Field("Phone", F("call__lead__phone"), SHAPE_PHONE, 16),
        Field("Turn", F("sequence"), SHAPE_INT, 6),
        *coded("Speaker", F("speaker"), 8),
        *coded("Stage", F("stage"), 18),
        Field("Spoken at", F("started_at"), SHAPE_DATETIME, 26),
        Field("Text", F("text"), width=80),
    ),
    ordering=(
        F("call__initiated_at").asc(nulls_last=True),
        F("call_id").asc(),
        F("sequence").asc(),
    ),
)

LEADS = Source(
    kind=ExportKind.LEADS,
    sheet_title="Leads",
    fields=(
        Field("Lead ID", F("pk"), SHAPE_INT, 9),
        Field("Name", F("name"), width=24),
        Field("Phone", F("phone"), SHAPE_PHONE, 16),
        Field("Email", F("email"), width=26),
        Field("City", F("city"), width=14),
        *coded("Property type", F("property_type"), 16),
        Field("Budget", F("budget"), SHAPE_BUDGET, 10),
        Field("Budget (₹)", F("budget"), SHAPE_INT, 13),
        Field("Preferred locations", F("preferred_locations"), width=30),
        *coded("Status", F("status"), 14),
        Field("DNC", F("is_dnc"), SHAPE_BOOL, 6),
        Field("DNC reason", F("dnc_reason"), width=20),
        Field("Call attempts", F("call_attempts"), SHAPE_INT, 10),
        Field("Last call at", F("last_call_at"), SHAPE_DATETIME, 26),
        *coded("Last outcome", F("last_outcome"), 18),
        Field("Score", F("score"), SHAPE_INT, 7),
        Field("Score reasons", F("score_reasons"), width=60),
        Field("Added at", F("created_at"), SHAPE_DATETIME, 26),
    ),
    ordering=(F("pk").asc(),),
)

SOURCES = {source.kind: source for source in (RESULTS, TRANSCRIPTS, LEADS)}


def source_for(kind):
    return SOURCES[kind]


def exported_calls(*, campaigns, period=None, include=ExportInclude.FINISHED):
    """The calls a results or transcripts export covers: of `period` (None: all time), and
    finished ones only (exactly those counted in calls_made) unless `include` is all."""
    calls = CallSession.objects.filter(campaign__in=campaigns)
    if include != ExportInclude.ALL:
        calls = calls.finished()
    if period is not None:
        calls = calls.filter(**period.filter_kwargs())
    return calls


def base_queryset(
    *, kind, campaign, user, selected_ids=None, period=None, include=ExportInclude.FINISHED
):
    """The rows of one export of `campaign` that `user` may see (selected ones only, if given).

    `period` and `include` pick the calls of results and transcripts; a lead list has every lead.
    """
    campaigns = visible_campaigns(user).filter(pk=campaign.pk)
    if kind == ExportKind.LEADS:
        rows = Lead.objects.filter(campaign__in=campaigns)
        picked = "pk__in"
    else:
        calls = exported_calls(campaigns=campaigns, period=period, include=include)
        if kind == ExportKind.TRANSCRIPTS:
            rows = ConversationTurn.objects.filter(call__in=calls)
            picked = "call_id__in"
        else:
            rows = calls
            picked = "pk__in"
    if selected_ids is not None:
        rows = rows.filter(**{picked: selected_ids})
    return rows


def count_rows(*, using=DEFAULT_DB_ALIAS, **scope):
    """How many rows the export of `scope` (base_queryset's arguments) has, read on `using`."""
    return base_queryset(**scope).using(using).count()


def _cell_expressions(source, user):
    """The fields' expressions, phones formatted (masked without view_full_phone) in SQL."""
    full = can_view_full_phone(user)
    return [
        PhoneDisplay(field.expression, full=full)
        if field.shape == SHAPE_PHONE
        # A callable expression is built when the export runs (prices read from settings then).
        else field.expression()
        if callable(field.expression)
        else field.expression
        for field in source.fields
    ]


def _values_queryset(source, rows, *, user, sort_keys=False):
    """The export's cells as c0, c1, ...; with sort_keys, its sort keys as s0, s1, ... too."""
    columns = {
        f"c{index}": expression for index, expression in enumerate(_cell_expressions(source, user))
    }
    names = list(columns)
    ordering = source.ordering
    if sort_keys:
        keys = {f"s{index}": order.expression for index, order in enumerate(source.ordering)}
        columns.update(keys)
        names += list(keys)
        ordering = [
            OrderBy(F(name), descending=order.descending, nulls_last=order.nulls_last)
            for name, order in zip(keys, source.ordering, strict=True)
        ]
    return rows.annotate(**columns).order_by(*ordering).values_list(*names)


def _shapers(source):
    zone = ZoneInfo(settings.TIME_ZONE)

    def text(value):
        return None if value is None or value == "" else str(value)

    # Aware date-times and dates in the zone: the CSV writer prints them ISO 8601, the XLSX
    # writer makes them spreadsheet date-times (exports.writers).
    def datetime_(value):
        return None if value is None else value.astimezone(zone).replace(microsecond=0)

    def date_(value):
        return None if value is None else value.astimezone(zone).date()

    def bool_(value):
        return "yes" if value else "no"

    def same(value):
        return value

    def money(value):
        return None if value is None else rupees(value)

    by_shape = {
        SHAPE_TEXT: text,
        SHAPE_PHONE: text,
        SHAPE_INT: same,
        SHAPE_DATETIME: datetime_,
        SHAPE_DATE: date_,
        SHAPE_BOOL: bool_,
        SHAPE_MONEY: money,
        SHAPE_LABEL: lambda value: choice_label(value) or None,
        SHAPE_BUDGET: lambda value: None if value is None else budget(value),
    }
    return [by_shape[field.shape] for field in source.fields]


def export_rows(*, chunk_size=2000, using=DEFAULT_DB_ALIAS, **scope):
    """Cells of every row of `scope` (base_queryset's arguments), from a server-side cursor
    (constant memory) on the database `using`."""
    source = source_for(scope["kind"])
    rows = base_queryset(**scope).using(using)
    shapers = _shapers(source)
    for values in _values_queryset(source, rows, user=scope["user"]).iterator(
        chunk_size=chunk_size
    ):
        yield tuple(shape(value) for shape, value in zip(shapers, values, strict=True))


# The COPY path's cell formatting, per shape, on the wrapped query's column `{c}`. Text that
# starts with a formula trigger gets a leading quote (writers.neutralise); empty text is NULL,
# written as an empty unquoted cell like the Python writer's. Timestamps use the session zone,
# which `services` sets to settings.TIME_ZONE around the COPY.
_TRIGGER = r"'^[-=+@\t\r\n]'"
_NEUTRALISED = f"CASE WHEN {{c}} ~ {_TRIGGER} THEN '''' || {{c}} ELSE NULLIF({{c}}, '') END"
COPY_FORMATS = {
    SHAPE_TEXT: _NEUTRALISED,
    SHAPE_PHONE: r"CASE WHEN {c} ~ '^\+[1-9][0-9X ]{{5,17}}$' THEN {c} ELSE "
    + _NEUTRALISED
    + " END",
    SHAPE_INT: "{c}",
    SHAPE_DATETIME: """to_char({c}, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')""",
    SHAPE_DATE: "to_char({c}, 'YYYY-MM-DD')",
    SHAPE_BOOL: "CASE WHEN {c} THEN 'yes' ELSE 'no' END",
    SHAPE_MONEY: "({c})::numeric(16, 2)",
    # A code is the agent's word (a stage may be any text): its label is neutralised like text.
    SHAPE_LABEL: _NEUTRALISED.replace("{c}", choice_label_sql("{c}")),
    SHAPE_BUDGET: budget_sql("{c}"),
}


def copy_sql(**scope):
    """(sql, params) of a SELECT giving the CSV cells of the export, for PostgreSQL's COPY.

    The export's query, sorted, is fenced with OFFSET 0 so that PostgreSQL does not inline it
    into the formatting SELECT: inlined, each `CASE WHEN c ~ ... THEN ... c ... ELSE c` would
    evaluate the correlated subqueries behind `c` (objections, stages) twice per row. The outer
    ORDER BY is then already satisfied by the subquery's order (no second sort).
    """
    source = source_for(scope["kind"])
    rows = base_queryset(**scope)
    inner, params = _values_queryset(
        source, rows, user=scope["user"], sort_keys=True
    ).query.sql_with_params()
    cells = ", ".join(
        COPY_FORMATS[field.shape].format(c=f"q.c{index}")
        for index, field in enumerate(source.fields)
    )
    order = ", ".join(
        f"q.s{index} {'DESC' if order.descending else 'ASC'}"
        f"{' NULLS LAST' if order.nulls_last else ''}"
        for index, order in enumerate(source.ordering)
    )
    return f"SELECT {cells} FROM ({inner} OFFSET 0) AS q ORDER BY {order}", params


def visible_jobs(user):
    """Export jobs a user may see: their own, of campaigns they may still see; staff see all.

    A manager taken off a campaign loses its exports too: a job's file is the campaign's data.
    """
    jobs = ExportJob.objects.select_related("campaign")
    if not (user.is_authenticated and user.is_active):
        return jobs.none()
    if user.is_staff:
        return jobs
    return jobs.filter(user=user, campaign__in=visible_campaigns(user))


def get_job_for_user(user, job_id):
    """The job if the user may see it, else 404 (another user's job does not exist for them)."""
    try:
        return visible_jobs(user).get(pk=job_id)
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No export job with that id.") from None

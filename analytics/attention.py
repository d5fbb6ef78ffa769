"""Calls that need attention (docs/metrics.md, "Calls needing attention"), and the calls behind a
chart point, computed in the database: each reason is an EXISTS or a comparison on the call's
own row, so a page of calls costs two queries (count and page) whatever the data.

Reasons, on finished calls:
- slow_turn: a turn whose stt_ms + llm_ms + tts_ms (missing ones as 0) exceeds SLOW_TURN_MS;
- ai_error: the agent reported a call.error (any component);
- failed: the call failed (status failed);
- hung_up_after_slow_turn: the lead ended the call at most 15 s after a slow turn began;
- long_silence: more than 10 s between the start of a turn and the start of the next one.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay

from analytics.periods import local_zone
from voiceagent.models import (
    CallError,
    CallSession,
    CallStatus,
    Campaign,
    ConversationTurn,
    EndedBy,
)

REASONS = ("slow_turn", "ai_error", "failed", "hung_up_after_slow_turn", "long_silence")
REASON_LABELS = {
    "slow_turn": "Slow AI turn",
    "ai_error": "AI or telephony error",
    "failed": "Call failed",
    "hung_up_after_slow_turn": "Lead hung up after a slow turn",
    "long_silence": "Long silence",
}
HANG_UP_WINDOW = timedelta(seconds=15)
LONG_SILENCE = timedelta(seconds=10)


def turn_total_ms():
    """STT + LLM + TTS of a turn in milliseconds, a missing latency counting as 0."""
    return Coalesce(F("stt_ms"), 0) + Coalesce(F("llm_ms"), 0) + Coalesce(F("tts_ms"), 0)


def _turns_of_call():
    return ConversationTurn.objects.filter(call=OuterRef("pk")).order_by()


def _slow_turns():
    return (
        _turns_of_call()
        .annotate(total_ms=turn_total_ms())
        .filter(total_ms__gt=settings.SLOW_TURN_MS)
    )


def with_reasons(calls):
    """`calls` annotated with one boolean per reason and worst_turn_ms (the slowest turn's
    total, null without any latency reported)."""
    previous_turn = (
        ConversationTurn.objects.filter(call=OuterRef("call"), sequence__lt=OuterRef("sequence"))
        .order_by("-sequence")
        .values("started_at")[:1]
    )
    silences = (
        _turns_of_call()
        .annotate(previous_at=Subquery(previous_turn))
        .filter(started_at__gt=F("previous_at") + LONG_SILENCE)
    )
    slow_before_end = _slow_turns().filter(
        started_at__gte=OuterRef("ended_at") - HANG_UP_WINDOW,
        started_at__lte=OuterRef("ended_at"),
    )
    worst = (
        _turns_of_call()
        .filter(Q(stt_ms__isnull=False) | Q(llm_ms__isnull=False) | Q(tts_ms__isnull=False))
        .annotate(total_ms=turn_total_ms())
        .order_by("-total_ms")
        .values("total_ms")[:1]
    )
    return calls.annotate(
        slow_turn=Exists(_slow_turns()),
        ai_error=Exists(CallError.objects.filter(call=OuterRef("pk"))),
        failed=ExpressionWrapper(Q(status=CallStatus.FAILED), output_field=BooleanField()),
        slow_before_end=Exists(slow_before_end),
        hung_up_after_slow_turn=ExpressionWrapper(
            Q(ended_by=EndedBy.LEAD, slow_before_end=True), output_field=BooleanField()
        ),
        long_silence=Exists(silences),
        worst_turn_ms=Subquery(worst),
    )


def needing_attention(calls, reason=None):
    """Annotated `calls` with the given reason, or with any reason."""
    if reason:
        return calls.filter(**{reason: True})
    condition = Q()
    for name in REASONS:
        condition |= Q(**{name: True})
    return calls.filter(condition)


def call_rows(*, campaigns, period=None, reason=None, attention=True, weekday=None, hour=None):
    """Finished calls of `campaigns` (a Campaign or a queryset) in `period`, newest first, each
    with its reasons; only those needing attention (for `reason`, or any) unless `attention` is
    False; `weekday` (ISO, 1 = Monday) and `hour` (0–23) pick a cell of the best-hours chart."""
    calls = CallSession.objects.finished()
    if isinstance(campaigns, Campaign):
        calls = calls.filter(campaign=campaigns)
    else:
        calls = calls.filter(campaign__in=campaigns)
    if period is not None:
        calls = calls.filter(**period.filter_kwargs())
    if weekday is not None:
        calls = calls.annotate(
            local_weekday=ExtractIsoWeekDay("initiated_at", tzinfo=local_zone())
        ).filter(local_weekday=weekday)
    if hour is not None:
        calls = calls.annotate(local_hour=ExtractHour("initiated_at", tzinfo=local_zone())).filter(
            local_hour=hour
        )
    calls = with_reasons(calls)
    if attention or reason:
        calls = needing_attention(calls, reason)
    return calls.order_by(F("initiated_at").desc(nulls_last=True), "-pk").values(
        "call_sid",
        "campaign_id",
        "status",
        "outcome",
        "duration_seconds",
        "worst_turn_ms",
        *REASONS,
        lead_name=F("lead__name"),
        campaign_name=F("campaign__name"),
        started_at=F("initiated_at"),
    )


def shaped(row):
    """A row of call_rows as the API shows it: reasons as a list in REASONS order."""
    return {
        "call_sid": row["call_sid"],
        "campaign_id": row["campaign_id"],
        "campaign_name": row["campaign_name"],
        "lead_name": row["lead_name"],
        "started_at": row["started_at"],
        "status": row["status"],
        "outcome": row["outcome"],
        "duration_seconds": row["duration_seconds"],
        "reasons": [name for name in REASONS if row[name]],
        "worst_turn_ms": row["worst_turn_ms"],
    }


def attention_page(*, campaigns, period=None, reason=None, page=1, page_size=50):
    """{count, calls} of one page of the calls needing attention (two queries)."""
    rows = call_rows(campaigns=campaigns, period=period, reason=reason)
    count = rows.count()
    start = (page - 1) * page_size
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "calls": [shaped(row) for row in rows[start : start + page_size]],
    }


def period_document(period):
    """{from, to, label} of a period (None: all time)."""
    if period is None:
        return {"from": None, "to": None, "label": "All time"}
    if period.first == period.last:
        label = f"{period.first:%-d %b %Y}"
    else:
        label = f"{period.first:%-d %b %Y} – {period.last:%-d %b %Y}"
    return {"from": period.first, "to": period.last, "label": label}

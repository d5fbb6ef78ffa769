"""Reads only the dashboard pages need: the paginated, searchable lead table and the campaign's
AI latency distribution. The metric maths stays in analytics.selectors; these shape rows for
tables and charts, aggregate in the database and run a fixed number of queries."""

from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery

from analytics.rollups.contribution import LATENCY_BUCKETS
from analytics.selectors import recent_leads_with_next_action, total_latency_counts
from voiceagent.models import CallError, CallSession, ErrorComponent, Lead

LEADS_PER_PAGE = 25


def lead_activity_page(
    *, campaign, status="", search="", page=1, per_page=LEADS_PER_PAGE, search_phones=True
):
    """One page of the campaign's leads, most recently called first, each with its last call's
    sid (to link the conversation) and its next action (earliest pending ScheduledCall).
    Phones are searched only with `search_phones` (a masked phone is not to be guessed digit
    by digit). Two queries: the count and the page."""
    leads = Lead.objects.filter(campaign=campaign)
    if status:
        leads = leads.filter(status=status)
    if search:
        matches = Q(name__icontains=search) | Q(city__icontains=search)
        if search_phones:
            matches |= Q(phone__icontains=search)
        leads = leads.filter(matches)
    last_call = (
        CallSession.objects.finished()
        .filter(lead=OuterRef("pk"))
        .order_by(F("initiated_at").desc(nulls_last=True), "-pk")
    )
    leads = (
        recent_leads_with_next_action(leads)
        .annotate(last_call_sid=Subquery(last_call.values("call_sid")[:1]))
        .values(
            "id",
            "name",
            "phone",
            "city",
            "budget",
            "status",
            "is_dnc",
            "call_attempts",
            "last_call_at",
            "last_outcome",
            "last_call_sid",
            "next_reason",
            "next_scheduled_for",
            "in_progress_call_sid",
        )
    )
    return Paginator(leads, per_page).get_page(page)


def latency_distribution(*, campaign, period):
    """How many turns of the campaign's finished calls in `period` took how long in total (STT +
    LLM + TTS), in LATENCY_BUCKETS; read from the latency rollups (one query). Turns without
    any latency are left out, and so are live and canceled calls' (as in the latency table
    beside it)."""
    counts = total_latency_counts(campaigns=campaign, period=period)
    bounds = (0, *LATENCY_BUCKETS)
    buckets = []
    for index, low in enumerate(bounds):
        high = bounds[index + 1] if index + 1 < len(bounds) else None
        label = f"{low / 1000:g}–{high / 1000:g} s" if high else f"≥ {low / 1000:g} s"
        buckets.append({"label": label, "count": counts.get(index, 0)})
    return buckets


def error_counts(*, campaign, period):
    """call.error reports of the campaign's calls in `period`, by component (every component,
    zeros included) and in total; one aggregate query."""
    counts = CallError.objects.filter(
        call__campaign=campaign, **period.filter_kwargs("call__initiated_at")
    ).aggregate(
        **{
            component: Count("pk", filter=Q(component=component))
            for component in ErrorComponent.values
        }
    )
    return {**counts, "total": sum(counts.values())}

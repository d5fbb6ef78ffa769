"""Dashboard pages for managers: overview, campaign, conversation, live calls and exports.

Thin template views over analytics.selectors (the same reads as the JSON API), scoped by
`visible_campaigns(user)`: a campaign or call the user may not see is a 404. Every number is in
the HTML, so the pages work without JavaScript; live.js only keeps them fresh.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from analytics import (
    attention,
    charts,
    comparison,
    experiments,
    page_selectors,
    search,
    selectors,
)
from analytics.periods import (
    DEFAULT_PERIOD_DAYS,
    EARLIEST_DAY,
    LATEST_DAY,
    MAX_PERIOD_DAYS,
    Period,
    default_period,
    describe_period,
    local_today,
)
from exports import services as export_services
from exports.api import file_response
from exports.models import ExportFormat, ExportInclude, ExportKind
from exports.queries import visible_jobs
from exports.serializers import ExportPeriodSerializer
from monitoring.checks import cache_and_broker_name
from voiceagent.access import (
    get_campaign_for_user,
    visible_campaigns,
)
from voiceagent.db_routers import analytics_reads_view
from voiceagent.models import AuditAction, ErrorComponent, LeadStatus
from voiceagent.personal_data import audit
from voiceagent.personal_data.phones import can_view_full_phone

ATTENTION_ON_OVERVIEW = 5
CALLS_PER_PAGE = 50
SEARCH_RESULTS_PER_PAGE = 20
RANGE_PRESETS = ((7, "7 days"), (30, "30 days"), (90, "90 days"))
CORE_COMPONENTS = ("database", "redis", "worker")
COMPONENT_NAMES = {"openai": "OpenAI", "elevenlabs": "ElevenLabs"}
LATENCY_NAMES = (("stt_ms", "Speech-to-text"), ("llm_ms", "LLM"), ("tts_ms", "Text-to-speech"))


def component_name(name):
    if name == "redis":
        return cache_and_broker_name()
    return COMPONENT_NAMES.get(name, name.capitalize())


def overall_health(components):
    """One status for the header: down if a core part is unhealthy, degraded if an external
    service is, unknown before the first checks ran."""
    statuses = dict(components)
    if any(statuses.get(name) == "unhealthy" for name in CORE_COMPONENTS):
        status, label = "unhealthy", "Service disrupted: live calls or exports may not work"
    elif any(value == "unhealthy" for value in statuses.values()):
        status, label = "degraded", "Degraded: an external service is not answering"
    elif all(value == "unknown" for value in statuses.values()):
        status, label = "unknown", "Status not checked yet"
    else:
        status, label = "healthy", "All systems operational"
    rows = [
        {"name": name, "label": component_name(name), "status": value}
        for name, value in statuses.items()
    ]
    return {"status": status, "label": label, "components": rows}


def has_calls(daily_stats):
    return any(day["calls_made"] for day in daily_stats)


def day_calls_url(campaign):
    """The link of a daily chart's day: the campaign's calls of that day."""
    return lambda day: calls_url(campaign.pk, day, day)


def hour_calls_url(campaign, period):
    """The link of a heatmap cell: the campaign's calls of that weekday and hour in the period."""
    return lambda weekday, hour: calls_url(
        campaign.pk, period.first, period.last, weekday=weekday, hour=hour
    )


@login_required
@analytics_reads_view
def overview(request):
    campaigns = visible_campaigns(request.user)
    now = timezone.now()
    data = comparison.dashboard_overview(campaigns=campaigns, period=default_period(now), now=now)
    context = {
        **data,
        "health": overall_health(data["system"]["components"]),
        "active_calls": selectors.active_calls(campaigns=campaigns, now=now),
        "trend_chart": charts.responsive(
            charts.daily_trend(data["daily_stats"]),
            charts.daily_trend(data["daily_stats"], width=charts.NARROW),
        ),
        "trend_has_calls": has_calls(data["daily_stats"]),
        "attention": attention.attention_page(
            campaigns=campaigns,
            period=default_period(now),
            page_size=ATTENTION_ON_OVERVIEW,
        ),
        "overview_days": DEFAULT_PERIOD_DAYS,
    }
    return render(request, "analytics/overview.html", context)


def parse_period(params, *, today):
    """The from/to range of the query string (ISO dates, inclusive), else the default period
    (the last DEFAULT_PERIOD_DAYS days, as on the overview and in the admin); (period, error
    message or None). A bad range never fails the page: it says what is wrong."""
    default = Period(first=today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), last=today)
    instead = f"showing the last {DEFAULT_PERIOD_DAYS} days instead."
    raw_from, raw_to = params.get("from", ""), params.get("to", "")
    if not raw_from and not raw_to:
        return default, None
    try:
        first = date.fromisoformat(raw_from) if raw_from else default.first
        last = date.fromisoformat(raw_to) if raw_to else today
    except ValueError:
        return default, f"Dates must look like 2025-03-31; {instead}"
    if not (EARLIEST_DAY <= first <= LATEST_DAY and EARLIEST_DAY <= last <= LATEST_DAY):
        return default, f"Pick days between {EARLIEST_DAY:%Y} and {LATEST_DAY:%Y}; {instead}"
    if first > last:
        return default, f"“From” is after “to”; {instead}"
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        return default, f"Pick at most {MAX_PERIOD_DAYS} days; {instead}"
    return Period(first=first, last=last), None


def live_metrics_query(period, today):
    """The query the page's live figures are fetched with: a period ending today rolls with the
    days (`days=N`), so a page left open past midnight still shows the "last N days" it names."""
    if period.last == today:
        return urlencode({"days": (period.last - period.first).days + 1})
    return urlencode({"from": period.first.isoformat(), "to": period.last.isoformat()})


def range_presets(period, today):
    presets = []
    for days, label in RANGE_PRESETS:
        preset = Period(first=today - timedelta(days=days - 1), last=today)
        presets.append({**vars(preset), "label": label, "current": preset == period})
    return presets


def page_query(params, *names):
    """The query string of `names` kept across pagination links (ends with & when not empty)."""
    kept = {name: params[name] for name in names if params.get(name)}
    return f"{urlencode(kept)}&" if kept else ""


@login_required
@analytics_reads_view
def campaign_detail(request, campaign_id):
    campaign = get_campaign_for_user(request.user, campaign_id)
    now = timezone.now()
    today = local_today(now)
    period, range_error = parse_period(request.GET, today=today)
    status = request.GET.get("status", "")
    if status not in LeadStatus.values:
        status = ""
    # NUL is refused by PostgreSQL in text comparisons; nobody types it in a name or phone.
    search = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    daily_stats = selectors.daily_stats(campaigns=campaign, period=period)
    metrics = comparison.campaign_metrics(campaign=campaign, period=period, now=now)
    variants = experiments.variant_report(
        selectors.variant_totals(campaign=campaign, period=period)
    )
    funnel = selectors.campaign_funnel(
        campaign=campaign, period=period, valid_leads=metrics["valid_leads"]
    )
    hours = selectors.best_hours(campaign=campaign, period=period)
    context = {
        "campaign": campaign,
        "now": now,
        "today": today,
        "period": period,
        "period_label": describe_period(period, now=now)["label"],
        "metrics_query": live_metrics_query(period, today),
        "range_error": range_error,
        "presets": range_presets(period, today),
        "metrics": metrics,
        "change": metrics["change"],
        "variants": variants,
        "variants_chart": charts.variant_intervals(variants["variants"]),
        "hot_leads": selectors.hot_leads(campaign=campaign),
        "daily_stats": daily_stats,
        "trend_chart": charts.responsive(
            charts.daily_trend(daily_stats, day_url=(day_url := day_calls_url(campaign))),
            charts.daily_trend(daily_stats, day_url=day_url, width=charts.NARROW),
        ),
        "trend_has_calls": has_calls(daily_stats),
        "error_counts": (errors := page_selectors.error_counts(campaign=campaign, period=period)),
        "error_rows": [(value, name, errors[value]) for value, name in ErrorComponent.choices],
        "funnel": funnel,
        "funnel_chart": charts.funnel(funnel["steps"]),
        "hours": hours,
        "hours_chart": charts.responsive(
            charts.best_hours(
                hours["slots"], cell_url=(hour_url := hour_calls_url(campaign, period))
            ),
            charts.best_hours(hours["slots"], cell_url=hour_url, transposed=True),
        ),
        "objections": selectors.objection_breakdown(campaign=campaign, period=period),
        "latency_rows": [(key, name, metrics["latency"][key]) for key, name in LATENCY_NAMES],
        "latency_chart": charts.latency_histogram(
            page_selectors.latency_distribution(campaign=campaign, period=period)
        ),
        "active_calls": selectors.active_calls(campaigns=campaign, now=now),
        "leads_page": page_selectors.lead_activity_page(
            campaign=campaign,
            status=status,
            search=search,
            page=request.GET.get("page"),
            search_phones=can_view_full_phone(request.user),
        ),
        "lead_filters": {"status": status, "q": search},
        "lead_statuses": LeadStatus.choices,
        "page_query": page_query(request.GET, "from", "to", "status", "q"),
        **export_choices(),
    }
    audit.record(
        action=AuditAction.LEADS_LISTED,
        object_type="campaign",
        object_id=campaign.pk,
        campaign_id=campaign.pk,
        detail={"page": context["leads_page"].number, "search": bool(search)},
    )
    return render(request, "analytics/campaign.html", context, status=400 if range_error else 200)


@login_required
@analytics_reads_view
def call_detail(request, call_sid):
    conversation = selectors.conversation(
        campaigns=visible_campaigns(request.user), call_sid=call_sid
    )
    audit.record_call_view(action=AuditAction.CALL_VIEWED, conversation=conversation)
    context = {
        "call": conversation,
        "qualification_items": sorted(conversation["qualification"].items()),
        "latency_rows": [(name, conversation["latency"][key]) for key, name in LATENCY_NAMES],
        "latency_chart": charts.latency_per_turn(conversation["transcript"]),
    }
    return render(request, "analytics/call.html", context)


def calls_url(campaign_id, first, last, **extra):
    """The calls page listing a chart point's calls: a day, or a weekday × hour of a period."""
    query = {"campaign_id": campaign_id, "from": first.isoformat(), "to": last.isoformat()}
    return f"/calls/?{urlencode({**query, **extra})}"


def _small_int(value, low, high):
    return int(value) if value.isdigit() and low <= int(value) <= high else None


@login_required
@analytics_reads_view
def calls_list(request):
    """Calls of the user's campaigns in a period, newest first, with why each needs attention;
    filters: campaign, period, reason ("attention" = any reason), weekday and hour."""
    campaigns = visible_campaigns(request.user)
    today = local_today()
    period, range_error = parse_period(request.GET, today=today)
    campaign_id = _small_int(request.GET.get("campaign_id", ""), 1, 2**63 - 1)
    scope = get_campaign_for_user(request.user, campaign_id) if campaign_id else campaigns
    show = request.GET.get("show", "")
    if show not in ("attention", *attention.REASONS):
        show = ""
    weekday = _small_int(request.GET.get("weekday", ""), 1, 7)
    hour = _small_int(request.GET.get("hour", ""), 0, 23)
    rows = attention.call_rows(
        campaigns=scope,
        period=period,
        reason=show if show in attention.REASONS else None,
        attention=show == "attention",
        weekday=weekday,
        hour=hour,
    )
    page = Paginator(rows, CALLS_PER_PAGE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row["reasons"] = [attention.REASON_LABELS[name] for name in attention.REASONS if row[name]]
    context = {
        "calls_page": page,
        "campaigns": list(campaigns.order_by("name").values("pk", "name")),
        "filters": {"campaign_id": campaign_id, "show": show, "weekday": weekday, "hour": hour},
        "reason_choices": [(name, attention.REASON_LABELS[name]) for name in attention.REASONS],
        "weekday_name": selectors.WEEKDAY_NAMES[weekday - 1] if weekday else None,
        "period": period,
        "today": today,
        "range_error": range_error,
        "page_query": page_query(
            request.GET, "campaign_id", "from", "to", "show", "weekday", "hour"
        ),
        "slow_turn_ms": settings.SLOW_TURN_MS,
    }
    return render(request, "analytics/calls.html", context, status=400 if range_error else 200)


@login_required
@analytics_reads_view
def transcript_search(request):
    """What leads and the agent said, across the user's campaigns (the navigation's search box)."""
    text = request.GET.get("q", "").replace("\x00", "").strip()[: search.MAX_QUERY_LENGTH]
    page_number = _small_int(request.GET.get("page", ""), 1, 100_000) or 1
    found = None
    if search.query_words(text):
        found = search.search_transcripts(
            campaigns=visible_campaigns(request.user),
            text=text,
            page=page_number,
            page_size=SEARCH_RESULTS_PER_PAGE,
        )
        found["pages"] = max(1, -(-found["count"] // SEARCH_RESULTS_PER_PAGE))
    context = {"q": text, "found": found, "page_number": page_number}
    return render(request, "analytics/search.html", context)


@login_required
def live_calls(request):
    now = timezone.now()
    realtime = selectors.realtime(campaigns=visible_campaigns(request.user), now=now)
    return render(request, "analytics/live.html", {"realtime": realtime, "now": now})


def dashboard_html(request):
    """The spec's address of the dashboard, kept for bookmarks: it is the overview now."""
    return redirect("home", permanent=True)


def export_choices():
    return {"export_kinds": ExportKind.choices, "export_formats": ExportFormat.choices}


def export_period(post, kind):
    """(period, include, error) of an export form: the calls' `from`/`to` (or `days`) and
    `include`, read as the exports API reads them; a lead list is every lead, whatever the form
    it came from says."""
    if kind == ExportKind.LEADS:
        return None, ExportInclude.FINISHED, None
    fields = ("from", "to", "days", "include")
    data = {name: post[name] for name in fields if post.get(name, "") != ""}
    serializer = ExportPeriodSerializer(data=data)
    if serializer.is_valid():
        return serializer.validated_data["period"], serializer.validated_data["include"], None
    name, messages = next(iter(serializer.errors.items()))
    return None, None, f"The calls' {name} is not valid: {messages[0]}"


@login_required
def export_jobs(request):
    """The user's export jobs with progress and downloads. POST exports (form, no JS needed): the
    file itself when small (the browser downloads it and stays on the page), else a job shown
    here; the API's rule, `exports.services.start_export`."""
    campaigns = list(visible_campaigns(request.user).order_by("name").only("pk", "name"))
    form_values, form_error, status = {}, None, 200
    if request.method == "POST":
        form_values = {
            "campaign_id": request.POST.get("campaign_id", ""),
            "kind": request.POST.get("kind", ""),
            "format": request.POST.get("format", ""),
        }
        campaign = next((c for c in campaigns if str(c.pk) == form_values["campaign_id"]), None)
        if campaign is None:
            form_error = "Pick one of your campaigns to export."
        elif form_values["kind"] not in ExportKind.values:
            form_error = "Pick what to export: results, transcripts or leads."
        elif form_values["format"] not in ExportFormat.values:
            form_error = "Pick a format: CSV or Excel."
        else:
            period, include, form_error = export_period(request.POST, form_values["kind"])
        if form_error is None:
            result = export_services.start_export(
                user=request.user,
                campaign=campaign,
                kind=form_values["kind"],
                fmt=form_values["format"],
                period=period,
                include=include,
            )
            if isinstance(result, export_services.FileExport):
                return file_response(request, result)  # small: the browser downloads it now
            return redirect(f"{request.path}?job={result.pk}")
        status = 400
    # Their own jobs, of campaigns they may still see (as the API lists them).
    jobs = list(visible_jobs(request.user).filter(user=request.user)[:50])
    highlight = request.GET.get("job", "")
    if not form_values:
        form_values = last_export_choices(jobs, highlight)
    context = {
        "campaigns": campaigns,
        "jobs": jobs,
        "highlight_job": int(highlight) if highlight.isdigit() else None,
        "form_values": {**form_values, "campaign_id": _int_or_none(form_values.get("campaign_id"))},
        "form_error": form_error,
        "export_ttl_hours": int(settings.EXPORT_TTL.total_seconds() // 3600),
        **export_choices(),
    }
    return render(request, "analytics/exports.html", context, status=status)


def last_export_choices(jobs, highlight):
    """The form's choices after an export was started: those of the job just started (?job=),
    else of the latest one, so the next export starts from the campaign just exported."""
    chosen = next((job for job in jobs if str(job.pk) == highlight), jobs[0] if jobs else None)
    if chosen is None:
        return {}
    return {"campaign_id": chosen.campaign_id, "kind": chosen.kind, "format": chosen.format}


def _int_or_none(value):
    return int(value) if value and str(value).isdigit() else None

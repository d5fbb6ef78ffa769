"""One default period (the last 30 days) gives one figure on the overview, the campaign metrics,
the campaign page and the admin campaign list, and each of them names it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.periods import DEFAULT_PERIOD_DAYS, start_of_day
from tests.factories import make_call, make_lead
from voiceagent.models import CallOutcome, CallStatus

pytestmark = pytest.mark.django_db


def build_calls_around_the_default_period(campaign):
    """4 calls made in the last 30 days (one in its first minute), 3 just before it."""
    first_day = timezone.localdate() - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    starts = start_of_day(first_day)
    lead = make_lead(campaign)
    make_call(lead, initiated_at=starts, outcome=CallOutcome.QUALIFIED)
    make_call(lead, initiated_at=starts + timedelta(days=10), outcome=CallOutcome.NOT_INTERESTED)
    make_call(lead, status=CallStatus.NO_ANSWER, answered=False, outcome=CallOutcome.NO_ANSWER)
    make_call(lead, outcome=CallOutcome.VOICEMAIL)
    make_call(lead, status=CallStatus.CANCELED, answered=False)  # never counts
    make_call(lead, initiated_at=starts - timedelta(seconds=1), outcome=CallOutcome.QUALIFIED)
    make_call(lead, initiated_at=starts - timedelta(days=40), outcome=CallOutcome.QUALIFIED)
    make_call(lead, initiated_at=starts - timedelta(days=400), outcome=CallOutcome.NO_ANSWER)
    return first_day


def test_overview_metrics_campaign_page_and_admin_show_the_same_calls_made(
    team, get_json, client, admin_client
):
    first_day = build_calls_around_the_default_period(team.campaign)
    period = {
        "from": first_day.isoformat(),
        "to": timezone.localdate().isoformat(),
        "label": "Last 30 days",
    }

    overview = get_json("/dashboard/overview")
    (row,) = overview["recent_campaigns"]
    metrics = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?days=30")
    summary = get_json(f"/dashboard/campaigns/{team.campaign.pk}/summary")
    client.force_login(team.member)
    page = client.get(f"/campaigns/{team.campaign.pk}/").content.decode()
    overview_page = client.get("/").content.decode()
    changelist = admin_client.get(reverse("admin:voiceagent_campaign_changelist"))
    admin_row = next(r for r in changelist.context["cl"].result_list if r == team.campaign)

    assert (overview["period"], row["period"], metrics["period"], summary["period"]) == (
        period,
        period,
        period,
        period,
    )
    assert row["calls_made"] == metrics["calls_made"] == summary["metrics"]["calls_made"] == 4
    assert re.search(r'data-metric="calls_made"[^>]*>4</p>', page)
    assert admin_row._calls_made == 4
    assert re.search(
        rf'/{team.campaign.pk}/change/">Powai launch</a></th>.*?'
        r'<td class="field-calls_made">4</td>',
        changelist.content.decode(),
    )
    assert (row["calls_answered"], metrics["calls_answered"], admin_row._calls_answered) == (
        2,
        2,
        2,
    )
    assert (row["calls_qualified"], metrics["calls_qualified"], admin_row._calls_qualified) == (
        1,
        1,
        1,
    )
    for html in (page, overview_page, changelist.content.decode()):
        assert "<strong data-period-label>Last 30 days</strong>" in html or (
            "data-period-label>Last 30 days</span>" in html
        )


def test_all_time_metrics_say_so_and_count_every_call(team, get_json):
    build_calls_around_the_default_period(team.campaign)

    metrics = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")

    assert metrics["period"] == {"from": None, "to": None, "label": "All time"}
    assert metrics["calls_made"] == 7


def test_overview_headline_figures_carry_their_glossary_names(team, client):
    build_calls_around_the_default_period(team.campaign)
    client.force_login(team.member)

    html = client.get("/").content.decode()

    names = set(re.findall(r'data-metric="([a-z_]+)"', html))
    assert names == {
        "total_campaigns",
        "active_campaigns",
        "total_leads",
        "calls_today",
        "calls_in_progress",
        "calls_queued",
        "answer_rate",
        "qualification_rate",
    }

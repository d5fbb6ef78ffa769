"""Dashboard pages: who may see them, the exact numbers in their HTML, and their query counts."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.pages import overall_health
from monitoring.components import CACHE_KEY, COMPONENTS, store_status
from tests import factories
from voiceagent.models import CallOutcome, CallStatus, LeadStatus

pytestmark = pytest.mark.django_db
IST = ZoneInfo("Asia/Kolkata")


def field(html, name):
    """Text of the element carrying data-field=name (the numbers the live script refreshes)."""
    match = re.search(rf'data-field="{re.escape(name)}"[^>]*>([^<]*)<', html)
    assert match, f"no data-field {name}"
    return match.group(1)


def cell(html, campaign_id, column):
    row = re.search(rf'<tr data-campaign-id="{campaign_id}">(.*?)</tr>', html, re.S).group(1)
    return re.search(rf'data-col="{column}"[^>]*>([^<]*)<', row).group(1)


def login(client, user):
    client.force_login(user)
    return client


def earlier_today(minutes):
    """`minutes` ago, but never before today's midnight in Asia/Kolkata (still a call of today)."""
    now = timezone.localtime(timezone.now(), IST)
    return max(now - timedelta(minutes=minutes), now.replace(hour=0, minute=0, second=0))


def build_calls(campaign, count):
    """`count` answered calls, a third of them qualified, each with a turn and an objection."""
    calls = []
    for index in range(count):
        lead = factories.make_lead(campaign)
        outcome = CallOutcome.QUALIFIED if index % 3 == 0 else CallOutcome.NOT_INTERESTED
        call = factories.make_call(lead, outcome=outcome, current_stage="closing")
        factories.make_turn(call, 1, stt_ms=200, llm_ms=700, tts_ms=150)
        factories.make_objection(call)
        factories.make_scheduled_call(lead)
        calls.append(call)
    return calls


# --- overview ------------------------------------------------------------------------------------


def test_overview_shows_the_cards_of_the_members_campaigns(client, team):
    first = factories.make_lead(team.campaign, budget=8_500_000)
    second = factories.make_lead(team.campaign)
    factories.make_lead(team.other_campaign)
    factories.make_call(first, initiated_at=earlier_today(5), outcome=CallOutcome.QUALIFIED)
    factories.make_call(second, initiated_at=earlier_today(4), outcome=CallOutcome.NOT_INTERESTED)
    factories.make_call(second, status=CallStatus.NO_ANSWER, initiated_at=earlier_today(3))
    factories.make_call(first, status=CallStatus.IN_PROGRESS, answered=False)
    factories.make_call(factories.make_lead(team.other_campaign), initiated_at=earlier_today(2))

    html = login(client, team.member).get("/").content.decode()

    assert field(html, "system.total_campaigns") == "1"
    assert field(html, "system.active_campaigns") == "1"
    assert field(html, "system.total_leads") == "2"
    assert field(html, "system.calls_today") == "3"
    assert field(html, "calls_in_progress") == "1"
    assert field(html, "system.answer_rate") == "66.67%"
    assert field(html, "system.qualification_rate") == "50.00%"
    assert "Whitefield villas" not in html


NO_RATE = '<span aria-hidden="true">—</span><span class="visually-hidden">no rate yet</span>'


def element(html, attribute, name):
    """Inner HTML of the element carrying attribute=name: its text, or its inner spans."""
    inner = r"((?:<span[^>]*>[^<]*</span>)+|[^<]*)"
    match = re.search(rf'{attribute}="{re.escape(name)}"[^>]*>{inner}', html)
    assert match, f"no {attribute} {name}"
    return match.group(1)


def test_overview_cards_show_no_rate_where_nothing_was_counted(client, team):
    factories.make_lead(team.campaign)

    html = login(client, team.member).get("/").content.decode()

    assert element(html, "data-field", "system.answer_rate") == NO_RATE
    assert element(html, "data-field", "system.qualification_rate") == NO_RATE
    assert 'data-format="percent" data-unless="calls_made">' + NO_RATE in html
    assert 'data-format="percent" data-unless="calls_answered">' + NO_RATE in html


def test_overview_qualification_rate_has_no_rate_while_no_call_was_answered(client, team):
    lead = factories.make_lead(team.campaign)
    factories.make_call(lead, status=CallStatus.NO_ANSWER, outcome=CallOutcome.NO_ANSWER)

    html = login(client, team.member).get("/").content.decode()

    assert element(html, "data-field", "system.answer_rate") == "0.00%"
    assert element(html, "data-field", "system.qualification_rate") == NO_RATE


def test_overview_lists_recent_campaigns_with_their_rates_and_export_buttons(client, team):
    lead = factories.make_lead(team.campaign)
    factories.make_call(lead, outcome=CallOutcome.QUALIFIED)
    factories.make_call(lead, status=CallStatus.BUSY, outcome=CallOutcome.NO_ANSWER)

    html = login(client, team.member).get("/").content.decode()

    assert cell(html, team.campaign.pk, "calls_made") == "2"
    assert cell(html, team.campaign.pk, "calls_qualified") == "1"
    assert cell(html, team.campaign.pk, "answer_rate") == "50.00%"
    assert cell(html, team.campaign.pk, "qualification_rate") == "100.00%"
    assert 'aria-label="Export results of Powai launch as CSV"' in html


def test_overview_lists_active_calls_with_lead_campaign_and_stage(client, team):
    call = factories.make_call(
        factories.make_lead(team.campaign, "Asha Rao"),
        status=CallStatus.IN_PROGRESS,
        answered=False,
        current_stage="objection_handling",
        initiated_at=timezone.now() - timedelta(seconds=125),
    )
    factories.make_call(
        factories.make_lead(team.other_campaign, "Hidden Lead"),
        status=CallStatus.RINGING,
        answered=False,
    )

    html = login(client, team.member).get("/").content.decode()

    row = re.search(rf'<tr data-call-sid="{call.call_sid}">(.*?)</tr>', html, re.S).group(1)
    assert "Asha Rao" in row
    assert "Powai launch" in row
    assert "Objection handling" in row
    assert re.search(r'data-seconds="12[5-7]">2:0[5-7]<', row)
    assert "Hidden Lead" not in html


def test_overview_says_what_to_do_when_the_user_has_no_campaign(client, db):
    loner = factories.make_manager("loner")
    html = login(client, loner).get("/").content.decode()
    assert "You are not a member of any campaign yet" in html
    assert "No calls in progress right now" in html


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({}, ("unknown", "Status not checked yet")),
        ({"database": "unhealthy", "openai": "healthy"},
         ("unhealthy", "Service disrupted: live calls or exports may not work")),
        ({"database": "healthy", "openai": "unhealthy"},
         ("degraded", "Degraded: an external service is not answering")),
        ({"database": "healthy", "redis": "healthy", "exotel": "not_configured"},
         ("healthy", "All systems operational")),
    ],
)  # fmt: skip
def test_overall_health_sums_up_the_components(statuses, expected):
    components = dict.fromkeys(COMPONENTS, "unknown") | statuses
    health = overall_health(components)
    assert (health["status"], health["label"]) == expected
    assert [row["label"] for row in health["components"]][-2:] == ["OpenAI", "ElevenLabs"]


def test_overview_shows_the_cached_component_statuses(client, team):
    try:
        for name in COMPONENTS:
            store_status(name, "unhealthy" if name == "deepgram" else "healthy")
        html = login(client, team.member).get("/").content.decode()
    finally:
        cache.delete_many([CACHE_KEY.format(name) for name in COMPONENTS])
    assert 'class="health health-degraded"' in html
    assert (
        '<li class="component component-unhealthy" data-component="deepgram">'
        '<span class="component-name">Deepgram</span> '
        '<span class="component-status">Unhealthy</span></li>'
    ) in html


def test_overview_needs_a_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_spec_dashboard_address_leads_to_the_overview(client, db):
    response = client.get("/static/dashboard.html")
    assert response.status_code == 301
    assert response["Location"] == "/"


# --- campaign page -------------------------------------------------------------------------------


def test_campaign_page_shows_the_campaigns_metrics(client, team):
    lead = factories.make_lead(team.campaign, budget=12_500_000)
    factories.make_lead(team.campaign, is_dnc=True)
    factories.make_call(lead, outcome=CallOutcome.QUALIFIED, duration=125)
    factories.make_call(lead, status=CallStatus.NO_ANSWER, outcome=CallOutcome.NO_ANSWER)

    response = login(client, team.member).get(f"/campaigns/{team.campaign.pk}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert (
        '<span data-metric="valid_leads">1</span> valid, '
        '<span data-metric="dnc_filtered_leads">1</span> DNC filtered'
    ) in html
    assert (
        'answer rate <span data-metric="answer_rate" data-format="percent" '
        'data-unless="calls_made">50.00%</span>' in html
    )
    assert (
        'qualification rate <span data-metric="qualification_rate" data-format="percent" '
        'data-unless="calls_answered">100.00%</span>' in html
    )
    assert (
        'Conversion rate</p><p class="card-value" data-metric="conversion_rate" '
        'data-format="percent" data-unless="valid_leads">100.00%</p>' in html
    )
    assert "2 min 05 s" in html
    assert "₹1.25 Cr" in html


def test_campaign_page_rates_over_nothing_show_no_rate(client, team):
    factories.make_lead(team.campaign, is_dnc=True)  # no valid lead, no call

    html = login(client, team.member).get(f"/campaigns/{team.campaign.pk}/").content.decode()

    assert element(html, "data-metric", "answer_rate") == NO_RATE
    assert element(html, "data-metric", "qualification_rate") == NO_RATE
    assert element(html, "data-metric", "conversion_rate") == NO_RATE


def test_campaign_page_conversion_rate_of_valid_leads_not_yet_called_is_zero(client, team):
    factories.make_lead(team.campaign)

    html = login(client, team.member).get(f"/campaigns/{team.campaign.pk}/").content.decode()

    assert element(html, "data-metric", "answer_rate") == NO_RATE
    assert element(html, "data-metric", "conversion_rate") == "0.00%"


def test_campaign_page_shows_the_ai_latency_of_its_period(client, team):
    call = factories.make_call(factories.make_lead(team.campaign))  # an hour ago: this period
    factories.make_turn(call, 1, stt_ms=250, llm_ms=1200, tts_ms=None)
    factories.make_turn(call, 2, stt_ms=351, llm_ms=1700, tts_ms=None)

    html = login(client, team.member).get(f"/campaigns/{team.campaign.pk}/").content.decode()

    rows = dict(re.findall(r'<tr data-latency-step="([a-z_]+)">(.*?)</tr>', html))
    cells = {
        step: re.findall(r'data-metric="latency\.[a-z_]+\.[a-z0-9]+"[^>]*>([^<]*)<', row)
        for step, row in rows.items()
    }
    # Averages 300.5 and 1,450 ms; p95 as the API reads them from the histograms (346.12 and
    # 1,647.48 ms), in whole milliseconds with Indian grouping; nothing measured is "—".
    assert cells == {
        "stt_ms": ["301 ms", "346 ms", "2"],
        "llm_ms": ["1,450 ms", "1,647 ms", "2"],
        "tts_ms": ["—", "—", "0"],
    }
    assert '<td data-label="Step">Speech-to-text</td>' in rows["stt_ms"]
    assert "within 2% of the exact value" in html


def test_campaign_page_of_another_team_is_not_found(client, team):
    response = login(client, team.member).get(f"/campaigns/{team.other_campaign.pk}/")
    assert response.status_code == 404


def test_campaign_page_needs_a_login(client, team):
    response = client.get(f"/campaigns/{team.campaign.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/campaigns/{team.campaign.pk}"


def test_campaign_page_answers_with_and_without_trailing_slash(client, team):
    login(client, team.member)
    assert client.get(f"/campaigns/{team.campaign.pk}").status_code == 200
    assert client.get(f"/campaigns/{team.campaign.pk}/").status_code == 200


def test_campaign_page_counts_only_calls_of_the_chosen_days(client, team):
    lead = factories.make_lead(team.campaign)
    day = timezone.localdate(timezone.now(), IST) - timedelta(days=10)
    inside = datetime.combine(day, datetime.min.time(), IST) + timedelta(hours=11)
    factories.make_call(lead, initiated_at=inside, outcome=CallOutcome.QUALIFIED)
    factories.make_call(lead, initiated_at=inside - timedelta(days=3))

    html = (
        login(client, team.member)
        .get(f"/campaigns/{team.campaign.pk}/", {"from": day.isoformat(), "to": day.isoformat()})
        .content.decode()
    )

    assert "(1 day)" in html
    assert (
        'Calls made</p><p class="card-value" data-metric="calls_made" data-format="count">1</p>'
        in html
    )


def test_campaign_page_explains_a_date_range_it_cannot_use(client, team):
    response = login(client, team.member).get(
        f"/campaigns/{team.campaign.pk}/", {"from": "2025-03-10", "to": "2025-03-01"}
    )
    assert response.status_code == 400
    assert "“From” is after “to”; showing the last 30 days instead." in response.content.decode()


def test_campaign_page_filters_leads_by_status_and_search(client, team):
    factories.make_lead(team.campaign, "Asha Rao", status=LeadStatus.QUALIFIED, city="Pune")
    factories.make_lead(team.campaign, "Ravi Kumar", status=LeadStatus.QUALIFIED)
    factories.make_lead(team.campaign, "Asha Menon", status=LeadStatus.NEW)

    html = (
        login(client, team.member)
        .get(f"/campaigns/{team.campaign.pk}/", {"status": "qualified", "q": "asha"})
        .content.decode()
    )

    assert "Asha Rao" in html
    assert "Ravi Kumar" not in html
    assert "Asha Menon" not in html
    assert "1 lead</span>" in html


def test_campaign_page_survives_odd_filter_values(client, team):
    factories.make_lead(team.campaign, "Asha Rao")
    login(client, team.member)
    for params in ({"q": "As\x00ha"}, {"status": "nonsense"}, {"page": "x"}, {"page": "99"}):
        response = client.get(f"/campaigns/{team.campaign.pk}/", params)
        assert response.status_code == 200, params
        assert "Asha Rao" in response.content.decode()


def test_campaign_page_paginates_leads_25_at_a_time(client, team):
    for index in range(30):
        factories.make_lead(team.campaign, f"Lead number {index:02d}")

    html = login(client, team.member).get(f"/campaigns/{team.campaign.pk}/", {"page": 2}).content
    html = html.decode()

    assert "Page 2 of 2" in html
    assert html.count('<td data-label="Lead">') == 5
    assert "Lead number 04" in html and "Lead number 05" not in html


def test_campaign_page_links_each_lead_to_its_last_conversation(client, team):
    lead = factories.make_lead(team.campaign, "Asha Rao")
    factories.make_call(lead, initiated_at=timezone.now() - timedelta(days=2))
    last = factories.make_call(lead, initiated_at=timezone.now() - timedelta(hours=2))

    html = login(client, team.member).get(f"/campaigns/{team.campaign.pk}/").content.decode()

    assert f'href="/calls/{last.call_sid}"' in html


def test_campaign_page_draws_its_charts_with_titles(client, team):
    build_calls(team.campaign, 3)
    html = login(client, team.member).get(f"/campaigns/{team.campaign.pk}/").content.decode()
    for title in ("Calls per day", "Best hours to call", "Latency distribution"):
        assert f">{title}</title>" in html
    # The funnel is an HTML list (text at page size on a phone), saying it counts leads.
    assert '<ol class="funnel" aria-label="Funnel in leads: Valid leads 3, then ' in html
    assert "in leads, not calls" in html


# --- conversation page ---------------------------------------------------------------------------


def make_conversation(campaign):
    lead = factories.make_lead(campaign, "Asha Rao", city="Pune")
    call = factories.make_call(
        lead,
        outcome=CallOutcome.QUALIFIED,
        duration=95,
        qualification={"purpose": "buy", "budget": "80 lakh", "timeline": "3 months"},
    )
    factories.make_turn(call, 1, text="Namaste, this is Skyline Homes.", stt_ms=0, llm_ms=600,
                        tts_ms=200)  # fmt: skip
    factories.make_turn(call, 2, speaker="lead", text="Haan ji, boliye.", stage="discovery",
                        stt_ms=180)  # fmt: skip
    factories.make_turn(call, 3, text="What budget do you have in mind?", stage="qualification",
                        stt_ms=220, llm_ms=800, tts_ms=240)  # fmt: skip
    factories.make_objection(call, "price", text="Thoda costly hai")
    return call


def test_conversation_page_shows_the_transcript_as_a_chat_in_order(client, team):
    call = make_conversation(team.campaign)
    html = login(client, team.member).get(f"/calls/{call.call_sid}/").content.decode()

    texts = re.findall(r'<p class="bubble-text">([^<]*)</p>', html)
    assert texts == [
        "Namaste, this is Skyline Homes.",
        "Haan ji, boliye.",
        "What budget do you have in mind?",
    ]
    assert html.count('class="bubble bubble-lead"') == 1


def test_conversation_page_shows_stages_objections_and_qualification(client, team):
    call = make_conversation(team.campaign)
    html = login(client, team.member).get(f"/calls/{call.call_sid}/").content.decode()

    stages = re.search(r'<ol class="stages">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r"<li>([^<]*)</li>", stages) == ["Greeting", "Discovery", "Qualification"]
    assert "Thoda costly hai" in html
    assert "<dt>Budget</dt><dd>80 lakh</dd>" in html
    assert "<dt>Purpose</dt><dd>buy</dd>" in html
    assert "1 min 35 s" in html


def test_conversation_page_shows_latency_per_step(client, team):
    call = make_conversation(team.campaign)
    html = login(client, team.member).get(f"/calls/{call.call_sid}/").content.decode()

    llm_row = re.search(r'<tr><td data-label="Step">LLM</td>(.*?)</tr>', html).group(1)
    assert re.findall(r'class="num" data-label="[^"]+">([^<]*)<', llm_row) == [
        "700 ms",
        "790 ms",
        "2",
    ]
    assert ">Latency per turn</title>" in html


def test_conversation_of_another_team_is_not_found(client, team):
    call = make_conversation(team.campaign)
    response = login(client, team.outsider).get(f"/calls/{call.call_sid}/")
    assert response.status_code == 404


def test_conversation_with_a_nul_in_its_sid_is_not_found(client, team):
    response = login(client, team.member).get("/calls/CA%00x/")
    assert response.status_code == 404


def test_staff_see_any_conversation(client, team):
    call = make_conversation(team.campaign)
    assert login(client, team.staff).get(f"/calls/{call.call_sid}").status_code == 200


def test_conversation_page_needs_a_login(client, team):
    call = make_conversation(team.campaign)
    response = client.get(f"/calls/{call.call_sid}/")
    assert response.status_code == 302


# --- live page -----------------------------------------------------------------------------------


def test_live_page_lists_every_visible_call_in_progress(client, team):
    ringing = factories.make_call(
        factories.make_lead(team.campaign, "Asha Rao"), status=CallStatus.RINGING, answered=False
    )
    talking = factories.make_call(
        factories.make_lead(team.campaign, "Ravi Kumar"),
        status=CallStatus.IN_PROGRESS,
        answered=False,
        current_stage="discovery",
    )
    finished = factories.make_call(factories.make_lead(team.campaign, "Done Lead"))
    factories.make_call(
        factories.make_lead(team.other_campaign, "Hidden Lead"),
        status=CallStatus.IN_PROGRESS,
        answered=False,
    )

    html = login(client, team.member).get("/live/").content.decode()

    rows = re.findall(r'<tr data-call-sid="([^"]+)">', html)
    assert sorted(rows) == sorted([ringing.call_sid, talking.call_sid])
    assert finished.call_sid not in html
    assert "Hidden Lead" not in html
    assert field(html, "calls_in_progress") == "2"


def test_live_page_needs_a_login(client, db):
    assert client.get("/live").status_code == 302


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 12])
def test_overview_queries_do_not_grow_with_data(client, team, size, django_assert_max_num_queries):
    build_calls(team.campaign, size)
    login(client, team.member)
    with django_assert_max_num_queries(13):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_campaign_page_queries_do_not_grow_with_data(
    client, team, size, django_assert_max_num_queries
):
    build_calls(team.campaign, size)
    login(client, team.member)
    # +2: the manager's permissions (user's and groups'), read once to mask phones; +2: cost
    # and AI errors of the period; +7: the previous period's metrics (cards' change), the
    # script variants and the hot leads; +2: the latency histograms of both periods.
    with django_assert_max_num_queries(27):
        assert client.get(f"/campaigns/{team.campaign.pk}/").status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_conversation_page_queries_do_not_grow_with_turns(
    client, team, size, django_assert_max_num_queries
):
    call = factories.make_call(factories.make_lead(team.campaign))
    for sequence in range(1, size + 1):
        factories.make_turn(call, sequence, stt_ms=100, llm_ms=500, tts_ms=100)
        factories.make_objection(call)
    login(client, team.member)
    # +2: the manager's permissions (user's and groups'), read once to mask phones.
    with django_assert_max_num_queries(8):
        assert client.get(f"/calls/{call.call_sid}/").status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_live_page_queries_do_not_grow_with_calls(
    client, team, size, django_assert_max_num_queries
):
    for _ in range(size):
        factories.make_call(
            factories.make_lead(team.campaign), status=CallStatus.IN_PROGRESS, answered=False
        )
    login(client, team.member)
    with django_assert_max_num_queries(5):
        assert client.get("/live/").status_code == 200


def test_an_empty_campaign_tells_each_user_the_way_they_can_add_leads(client, team):
    login(client, team.member)
    page = client.get(f"/campaigns/{team.campaign.pk}/").content.decode()
    assert "Ask a staff member to import the lead list" in page
    assert "/admin/" not in page.split("This campaign has no leads yet.")[1].split("</p>")[0]
    client.force_login(team.staff)
    page = client.get(f"/campaigns/{team.campaign.pk}/").content.decode()
    assert f'href="/admin/voiceagent/campaign/{team.campaign.pk}/import-leads/"' in page


def test_campaign_page_fetches_its_live_figures_for_the_period_it_names(client, team):
    client.force_login(team.member)
    default = client.get(f"/campaigns/{team.campaign.pk}/").content.decode()
    past = client.get(
        f"/campaigns/{team.campaign.pk}/?from=2025-03-01&to=2025-03-10"
    ).content.decode()

    # A period ending today rolls with the days, so the page is still right after midnight.
    assert f'data-metrics-url="/analytics/campaigns/{team.campaign.pk}/metrics?days=30"' in default
    assert (
        f'data-metrics-url="/analytics/campaigns/{team.campaign.pk}/metrics?'
        'from=2025-03-01&amp;to=2025-03-10"'
    ) in past

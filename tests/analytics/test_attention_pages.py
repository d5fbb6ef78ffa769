"""The pages of calls needing attention, transcript search, errors and cost: exact content,
links from the campaign charts, visibility and query counts."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.periods import local_today
from tests import factories
from tests.analytics.conftest import ist
from voiceagent.models import CallError, CallOutcome, CallStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(team, client):
    client.force_login(team.member)
    return client


def sids(html):
    return re.findall(r'<tr data-call-sid="([^"]+)">', html)


@pytest.fixture
def days(team):
    """Two calls on 3 March (a Monday) at 10h and 18h, one on 4 March, and another team's."""
    make = factories.make_call
    monday_10 = make(factories.make_lead(team.campaign, "Asha"), initiated_at=ist(2025, 3, 3, 10))
    monday_18 = make(
        factories.make_lead(team.campaign, "Ravi"),
        status=CallStatus.FAILED,
        initiated_at=ist(2025, 3, 3, 18),
        outcome=CallOutcome.FAILED,
    )
    tuesday = make(factories.make_lead(team.campaign, "Meera"), initiated_at=ist(2025, 3, 4, 10))
    make(factories.make_lead(team.other_campaign, "Other"), initiated_at=ist(2025, 3, 3, 11))
    return monday_10, monday_18, tuesday


def test_calls_page_lists_the_calls_of_one_day(days, team, member):
    monday_10, monday_18, _ = days
    html = member.get(f"/calls/?campaign_id={team.campaign.pk}&from=2025-03-03&to=2025-03-03")
    assert html.status_code == 200
    assert sids(html.content.decode()) == [monday_18.call_sid, monday_10.call_sid]


def test_calls_page_lists_the_calls_of_a_weekday_and_hour(days, team, member):
    monday_10, _, _ = days
    url = f"/calls/?campaign_id={team.campaign.pk}&from=2025-03-01&to=2025-03-09&weekday=1&hour=10"
    html = member.get(url).content.decode()
    assert sids(html) == [monday_10.call_sid]
    assert "Mondays 10:00–11:00" in html


def test_calls_page_can_show_only_calls_needing_attention(days, member):
    _, monday_18, _ = days
    html = member.get("/calls/?from=2025-03-01&to=2025-03-09&show=attention").content.decode()
    assert sids(html) == [monday_18.call_sid]
    assert "Call failed" in html


def test_calls_page_of_another_teams_campaign_is_a_404(days, team, member):
    assert member.get(f"/calls/?campaign_id={team.other_campaign.pk}").status_code == 404


def test_campaign_daily_chart_links_each_day_with_calls_to_its_calls(team, member):
    today = local_today()
    factories.make_call(factories.make_lead(team.campaign), initiated_at=timezone.now())
    html = member.get(f"/campaigns/{team.campaign.pk}/").content.decode()
    day = today.isoformat()
    link = f"/calls/?campaign_id={team.campaign.pk}&amp;from={day}&amp;to={day}"
    # Once in each drawing of the chart: the wide one and the phone-sized one.
    assert html.count(f'<a href="{link}"') == 2
    assert f'<g data-day="{day}">' in html


def test_campaign_page_shows_cost_cards_and_error_counts(team, member, settings):
    settings.PRICE_TELEPHONY_PER_MINUTE = Decimal("1")
    settings.PRICE_STT_PER_MINUTE = Decimal("0")
    call = factories.make_call(
        factories.make_lead(team.campaign),
        initiated_at=timezone.now() - timedelta(minutes=5),
        duration=61,
        outcome=CallOutcome.NOT_INTERESTED,
    )
    for component in ("llm", "llm", "tts"):
        CallError.objects.create(
            call=call, component=component, message="x", occurred_at=call.initiated_at
        )
    html = member.get(f"/campaigns/{team.campaign.pk}/").content.decode()
    assert 'data-metric="cost_inr">₹2.00<' in html
    assert 'data-metric="cost_per_answered_call_inr">₹2.00<' in html
    assert 'data-metric="cost_per_qualified_lead_inr">—<' in html
    assert "data-errors-total>3<" in html
    assert 'data-errors="llm">2<' in html and 'data-errors="stt">0<' in html


def test_call_page_lists_errors_and_cost(team, member, settings):
    settings.PRICE_TELEPHONY_PER_MINUTE = Decimal("1")
    settings.PRICE_STT_PER_MINUTE = Decimal("0")
    call = factories.make_call(factories.make_lead(team.campaign), duration=61)
    CallError.objects.create(
        call=call, component="stt", message="<b>stream</b> closed", code="1011",
        occurred_at=call.answered_at,
    )  # fmt: skip
    html = member.get(f"/calls/{call.call_sid}/").content.decode()
    assert "data-cost>₹2.00<" in html
    assert "&lt;b&gt;stream&lt;/b&gt; closed" in html and "code 1011" in html


def test_overview_counts_calls_needing_attention_and_lists_five(team, member):
    now = timezone.now()
    for minutes in range(7):
        factories.make_call(
            factories.make_lead(team.campaign, f"Lead {minutes}"),
            status=CallStatus.FAILED,
            initiated_at=now - timedelta(minutes=minutes + 1),
        )
    html = member.get("/").content.decode()
    assert "data-attention-count>7<" in html
    listed = re.search(r'<ul class="attention-list">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r">(Lead \d)</a>", listed) == [f"Lead {n}" for n in range(5)]


def test_search_page_marks_matches_escapes_the_rest_and_hides_other_teams(team, member):
    mine = factories.make_call(factories.make_lead(team.campaign, "Asha"))
    factories.make_turn(mine, 1, speaker="lead", text="<script>x</script> बजट 80 लाख")
    theirs = factories.make_call(factories.make_lead(team.other_campaign, "Other"))
    factories.make_turn(theirs, 1, speaker="lead", text="बजट is fine")
    html = member.get("/search/?q=बजट").content.decode()
    assert "data-search-count>1<" in html
    assert "&lt;script&gt;x&lt;/script&gt; <mark>बजट</mark> 80 लाख" in html
    assert "<script>x" not in html
    assert f'href="/calls/{mine.call_sid}#turn-1"' in html
    assert "Other" not in re.search(r"<ol .*?</ol>", html, re.S).group(0)


def test_every_page_has_the_search_box(member):
    html = member.get("/").content.decode()
    assert '<form class="nav-search" method="get" action="/search/" role="search"' in html
    assert '<label for="nav-search-q" class="visually-hidden">Search transcripts</label>' in html


def test_the_search_page_says_when_older_turns_match_too(team, member, monkeypatch):
    monkeypatch.setattr("analytics.search.MAX_RANKED_MATCHES", 1)
    factories.make_turn(
        factories.make_call(factories.make_lead(team.campaign, "Asha")),
        1,
        speaker="lead",
        text="Baner",
    )
    factories.make_turn(
        factories.make_call(factories.make_lead(team.campaign, "Ravi")),
        1,
        speaker="lead",
        text="Baner",
    )
    page = member.get("/search/?q=Baner").content.decode()
    assert "More than <strong data-search-count>1</strong> turns of your calls say" in page
    assert ">Ravi</a>" in page and ">Asha</a>" not in page


@pytest.mark.parametrize("url", ["/calls/", "/search/?q=baner", "/"])
def test_pages_need_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("url", "pinned"), [("/calls/?show=attention", 8), ("/search/?q=x", 6)])
def test_page_query_counts_are_fixed(days, member, url, pinned, django_assert_max_num_queries):
    with django_assert_max_num_queries(pinned):
        assert member.get(url).status_code == 200

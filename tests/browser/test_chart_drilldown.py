"""From a chart point to the calls behind it: clicking a day of the campaign page's daily chart
opens the calls page listing exactly that day's calls; and the navigation's transcript search."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.periods import local_today, start_of_day
from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_dashboard import member_campaign  # noqa: F401
from voiceagent.models import CallOutcome, CallStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def calls_on_two_days(member_campaign):  # noqa: F811
    member, campaign = member_campaign
    yesterday = local_today() - timedelta(days=1)
    noon = start_of_day(yesterday) + timedelta(hours=12)
    made = []
    for index, name in enumerate(["Sneha Kulkarni", "Arjun Mehta"]):
        lead = factories.make_lead(campaign, name)
        made.append(factories.make_call(lead, initiated_at=noon + timedelta(hours=index)))
    other_day = factories.make_lead(campaign, "Kavya Iyer")
    factories.make_call(
        other_day,
        status=CallStatus.FAILED,
        outcome=CallOutcome.FAILED,
        initiated_at=timezone.now() - timedelta(days=3),
    )
    return member, campaign, yesterday, made


def test_clicking_a_day_on_the_daily_chart_lists_that_days_calls(
    page_for, live_server_url, calls_on_two_days, console_errors
):
    member, campaign, yesterday, made = calls_on_two_days
    page = page_for(member)
    page.goto(f"/campaigns/{campaign.pk}/")

    page.locator(f'g[data-day="{yesterday.isoformat()}"] rect').first.click()

    expect(page).to_have_url(
        f"{live_server_url}/calls/?campaign_id={campaign.pk}"
        f"&from={yesterday.isoformat()}&to={yesterday.isoformat()}"
    )
    expect(page.locator("h1")).to_have_text("Calls")
    expect(page.locator("[data-calls-count]")).to_have_text("2")
    rows = page.locator("[data-calls] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-call-sid", made[1].call_sid)
    expect(rows.nth(1)).to_have_attribute("data-call-sid", made[0].call_sid)
    expect(page.locator("[data-calls]")).not_to_contain_text("Kavya Iyer")
    screenshot(page, "calls-of-a-day")
    assert console_errors == []


def test_the_navigation_search_box_finds_what_a_lead_said(
    page_for, calls_on_two_days, console_errors
):
    member, _, _, made = calls_on_two_days
    factories.make_turn(made[0], 1, speaker="lead", text="मेरा बजट 80 लाख है, Baner में")
    page = page_for(member)
    page.goto("/")

    page.get_by_role("searchbox", name="Search transcripts").fill("बजट")
    page.get_by_role("searchbox", name="Search transcripts").press("Enter")

    expect(page.locator("[data-search-count]")).to_have_text("1")
    expect(page.locator("[data-search-results] mark")).to_have_text("बजट")
    page.get_by_role("link", name="Sneha Kulkarni").click()
    expect(page.locator("#turn-1")).to_contain_text("मेरा बजट 80 लाख है")
    assert console_errors == []

"""The campaign page follows new calls: its figures ([data-metric]) change in place, within two
seconds of a call ending, for the page's own period only."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from analytics.periods import local_today, start_of_day
from tests import factories
from tests.browser.test_dashboard import member_campaign, post_events, wait_until_live  # noqa: F401
from voiceagent.models import CallOutcome, CallStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def call_events(call_sid, campaign, lead, *, outcome, latency=None):
    """A whole call; with `latency` ({stt_ms, llm_ms, tts_ms}) one agent turn that took it."""
    now = timezone.now().isoformat()
    event = {"call_sid": call_sid, "campaign_id": campaign.pk, "lead_id": lead.pk, "data": {}}
    turn = {"sequence": 1, "speaker": "agent", "text": "Namaste", **(latency or {})}
    return [
        {**event, "event_id": f"{call_sid}-1", "type": "call.initiated", "occurred_at": now},
        {**event, "event_id": f"{call_sid}-2", "type": "call.answered", "occurred_at": now},
        *([{**event, "event_id": f"{call_sid}-t", "type": "call.turn", "occurred_at": now,
            "data": turn}] if latency else []),
        {**event, "event_id": f"{call_sid}-3", "type": "call.completed", "occurred_at": now,
         "data": {"outcome": outcome, "duration_seconds": 90}},
    ]  # fmt: skip


def metric(page, name):
    return page.locator(f'[data-metric="{name}"]')


@pytest.fixture
def two_calls_today(member_campaign):  # noqa: F811
    member, campaign = member_campaign
    lead = factories.make_lead(campaign, "Sneha Kulkarni", phone="+919812300001")
    factories.make_call(lead, outcome=CallOutcome.QUALIFIED, duration=60)
    factories.make_call(lead, status=CallStatus.NO_ANSWER, answered=False, outcome="no_answer")
    return member, campaign, lead


def test_calls_made_goes_up_by_one_within_2_seconds_of_a_call_completing(
    page_for, live_server_url, two_calls_today, console_errors
):
    member, campaign, lead = two_calls_today
    token = Token.objects.create(user=factories.make_ingest_user("agent"))
    page = page_for(member)
    page.goto(f"/campaigns/{campaign.pk}/")
    wait_until_live(page)
    expect(metric(page, "calls_made")).to_have_text("2")
    expect(metric(page, "calls_answered")).to_have_text("1")
    expect(metric(page, "answer_rate")).to_have_text("50.00%")
    expect(metric(page, "latency.stt_ms.avg")).to_have_text("—")
    expect(metric(page, "latency.stt_ms.samples")).to_have_text("0")
    page.evaluate("window.notReloaded = true")

    started = time.monotonic()
    latency = {"stt_ms": 240, "llm_ms": 1610, "tts_ms": 180}
    post_events(
        live_server_url,
        token,
        call_events("CA-NEW-1", campaign, lead, outcome="qualified", latency=latency),
    )
    expect(metric(page, "calls_made")).to_have_text("3", timeout=2000)
    assert time.monotonic() - started < 2
    expect(metric(page, "calls_answered")).to_have_text("2")
    expect(metric(page, "calls_qualified")).to_have_text("2")
    expect(metric(page, "answer_rate")).to_have_text("66.67%")
    expect(metric(page, "qualification_rate")).to_have_text("100.00%")
    # Refreshed costs keep the server's rupee format (not a bare number).
    expect(metric(page, "cost_inr")).to_have_text(re.compile(r"^₹\d[\d,]*\.\d\d$"))
    # The AI latency table follows too, in the server's format (p95: the turn's histogram bin).
    expect(metric(page, "latency.stt_ms.avg")).to_have_text("240 ms")
    expect(metric(page, "latency.stt_ms.p95")).to_have_text("235 ms")
    expect(metric(page, "latency.llm_ms.avg")).to_have_text("1,610 ms")
    expect(metric(page, "latency.llm_ms.samples")).to_have_text("1")

    post_events(
        live_server_url, token, call_events("CA-NEW-2", campaign, lead, outcome="not_interested")
    )
    expect(metric(page, "calls_made")).to_have_text("4", timeout=2000)
    expect(metric(page, "calls_not_interested")).to_have_text("1")
    expect(metric(page, "qualification_rate")).to_have_text("66.67%")
    assert page.evaluate("window.notReloaded") is True
    assert console_errors == []


def test_a_period_without_today_keeps_its_figures_when_a_call_completes(
    page_for, live_server_url, two_calls_today, console_errors
):
    member, campaign, lead = two_calls_today
    last_week = local_today() - timedelta(days=7)
    factories.make_call(lead, initiated_at=start_of_day(last_week) + timedelta(hours=12))
    token = Token.objects.create(user=factories.make_ingest_user("agent"))
    page = page_for(member)
    page.goto(f"/campaigns/{campaign.pk}/?from={last_week}&to={last_week}")
    wait_until_live(page)
    expect(metric(page, "calls_made")).to_have_text("1")
    page.wait_for_timeout(1500)  # the fetch on connecting is done, and its gap is over

    with page.expect_response(lambda response: "/metrics?" in response.url) as fetched:
        post_events(
            live_server_url, token, call_events("CA-NEW-3", campaign, lead, outcome="qualified")
        )
    assert f"from={last_week}&to={last_week}" in fetched.value.url
    expect(metric(page, "calls_made")).to_have_text("1")
    assert console_errors == []

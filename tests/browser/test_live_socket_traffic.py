"""A live page with its socket up follows calls from the pushed messages alone: it reads
/dashboard/realtime when the socket connects, not after every message."""

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from analytics.live import stamp
from tests import factories
from tests.browser.test_dashboard import post_events, wait_until_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALLS = 10


def call_events(lead, call_sid, *kinds, data=None):
    at = timezone.now().isoformat()
    return [
        {"event_id": f"{call_sid}-{kind}", "type": kind, "occurred_at": at, "call_sid": call_sid,
         "campaign_id": lead.campaign_id, "lead_id": lead.pk, "data": data or {}}
        for kind in kinds
    ]  # fmt: skip


def test_the_overview_fetches_realtime_at_most_twice_while_ten_calls_start_and_end(
    page_for, live_server_url, console_errors
):
    member = factories.make_manager("asha")
    campaign = factories.make_campaign("Powai launch", members=[member])
    other = factories.make_campaign("Thane towers", members=[member])
    leads = [factories.make_lead(campaign if i % 2 else other, f"Lead {i}") for i in range(CALLS)]
    agent = Token.objects.create(user=factories.make_ingest_user("agent"))
    reader = Token.objects.create(user=member)

    page = page_for(member)
    realtime_reads = []
    page.on(
        "request",
        lambda request: (
            realtime_reads.append(request.url) if "/dashboard/realtime" in request.url else None
        ),
    )
    page.goto("/")
    wait_until_live(page)
    # The page's own reads as it goes live (when its socket says hello): done before any call.
    page.wait_for_load_state("networkidle")
    reads_going_live = len(realtime_reads)
    in_progress = page.locator('[data-field="calls_in_progress"]')
    rows = page.locator("[data-active-calls] tr[data-call-sid]")

    # One call at a time, each seen on the page (its counters message arrived) before the next.
    for number, lead in enumerate(leads, start=1):
        post_events(live_server_url, agent,
                    call_events(lead, f"CA-TRAFFIC-{number}", "call.initiated", "call.answered"))  # fmt: skip
        expect(in_progress).to_have_text(str(number), timeout=3000)
    expect(rows).to_have_count(CALLS)
    for number, lead in enumerate(leads, start=1):
        post_events(live_server_url, agent, call_events(
            lead, f"CA-TRAFFIC-{number}", "call.completed",
            data={"outcome": "qualified", "duration_seconds": 30 + number},
        ))  # fmt: skip
        expect(in_progress).to_have_text(str(CALLS - number), timeout=3000)
    expect(rows).to_have_count(0)

    # The page's figures are the API's.
    api = httpx.get(
        f"{live_server_url}/dashboard/realtime",
        headers={"Authorization": f"Token {reader.key}"},
        timeout=5,
    ).json()
    assert (api["calls_in_progress"], api["calls_queued"], api["active_calls"]) == (0, 0, [])
    expect(in_progress).to_have_text("0")
    expect(page.locator('[data-field="calls_queued"]')).to_have_text("0")
    # Read as the page went live (twice in the runs measured) and not once since: nothing per
    # message, where re-reading after each one made it twenty-odd reads.
    assert realtime_reads[reads_going_live:] == []
    assert realtime_reads == [f"{live_server_url}/dashboard/realtime"] * reads_going_live
    assert reads_going_live > 0
    assert console_errors == []


def test_counts_pushed_for_a_campaign_add_up_with_the_others_on_the_live_page(
    page_for, live_server_url, console_errors
):
    member = factories.make_manager("ravi")
    campaign = factories.make_campaign("Powai launch", members=[member])
    other = factories.make_campaign("Thane towers", members=[member])
    factories.make_call(factories.make_lead(other, "Already talking"), status="in_progress",
                        answered=False)  # fmt: skip
    factories.make_call(factories.make_lead(other), status="queued", answered=False)
    lead = factories.make_lead(campaign, "Kavya Reddy")
    agent = Token.objects.create(user=factories.make_ingest_user("agent"))

    page = page_for(member)
    page.goto("/live/")
    wait_until_live(page)
    expect(page.locator('[data-field="calls_in_progress"]')).to_have_text("1")
    expect(page.locator('[data-field="calls_queued"]')).to_have_text("1")

    post_events(live_server_url, agent, call_events(lead, "CA-SUM-1", "call.initiated"))

    # The pushed counts are Powai's alone (1 in progress); Thane's stay as realtime read them.
    expect(page.locator('[data-field="calls_in_progress"]')).to_have_text("2", timeout=3000)
    expect(page.locator('[data-field="calls_queued"]')).to_have_text("1")
    expect(page.locator('tr[data-call-sid="CA-SUM-1"]')).to_contain_text("Kavya Reddy")
    assert console_errors == []


def dispatch(page, *messages):
    """Hand messages to the page's socket listener, as if the server had sent them."""
    page.evaluate(
        """messages => messages.forEach(message => window.voiceagentLive.socket.dispatchEvent(
            new MessageEvent("message", {data: JSON.stringify(message)})))""",
        list(messages),
    )


def test_an_older_queued_message_arriving_after_a_newer_initiated_one_leaves_the_row(
    page_for, console_errors
):
    member = factories.make_manager("meera")
    campaign = factories.make_campaign("Powai launch", members=[member])
    lead = factories.make_lead(campaign, "Rohan Mehta")
    page = page_for(member)
    page.goto("/live/")
    wait_until_live(page)
    now = timezone.now()
    call = {"call_sid": "CA-ORDER-1", "campaign_id": campaign.pk, "campaign_name": campaign.name,
            "lead_id": lead.pk, "lead_name": "Rohan Mehta", "stage": None, "outcome": None,
            "duration_seconds": 0, "started_at": now.isoformat()}  # fmt: skip

    def update(status, seconds_later):
        # No sequence number: a gap would resync the page from realtime and hide the order.
        return {"type": "call.updated", "call": {**call, "status": status},
                "as_of": stamp(now + timedelta(seconds=seconds_later))}  # fmt: skip

    # Two web processes: the "initiated" read at +2 s arrives before the "queued" read at +1 s.
    dispatch(page, update("initiated", 2), update("queued", 1))

    row = page.locator('tr[data-call-sid="CA-ORDER-1"]')
    expect(row).to_have_count(1, timeout=2000)
    expect(row).to_contain_text("Rohan Mehta")
    # A reading newer than the row's that the call is no longer in progress does take it away.
    dispatch(page, update("queued", 3))
    expect(row).to_have_count(0, timeout=2000)
    assert console_errors == []

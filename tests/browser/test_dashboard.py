"""The dashboard in headless Chromium against a real ASGI server: numbers, live calls over the
WebSocket, the polling fallback, keyboard use, console errors, and screenshots of every page."""

import re
import time
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from exports.models import ExportJob
from monitoring.components import CACHE_KEY, COMPONENTS, store_status
from scripts.harness import free_port, stop_process_groups
from tests import factories
from tests.browser import scenery
from tests.browser.conftest import celery_worker, screenshot, start_asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def member_campaign(db):
    member = factories.make_manager("asha")
    member.first_name, member.last_name = "Asha", "Rao"
    member.save()
    campaign = factories.make_campaign("Powai launch", members=[member])
    return member, campaign


def wait_until_live(page):
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")


def test_overview_shows_the_numbers_of_the_data_built(page_for, member_campaign, console_errors):
    member, campaign = member_campaign
    people, calls = scenery.build_campaign(campaign, leads=12, days=14, in_progress=0)
    scenery.start_call(people[0])
    factories.make_campaign("Another team's campaign")  # not visible to the member

    page = page_for(member)

    expect(page.locator('[data-field="system.total_campaigns"]')).to_have_text("1")
    expect(page.locator('[data-field="system.total_leads"]')).to_have_text("12")
    expect(page.locator('[data-field="calls_in_progress"]')).to_have_text("1")
    row = page.locator(f'[data-recent-campaigns] tr[data-campaign-id="{campaign.pk}"]')
    expect(row.locator('[data-col="calls_made"]')).to_have_text("42")
    expect(row.locator('[data-col="calls_qualified"]')).to_have_text("14")
    expect(page.locator(".user-name")).to_have_text("Asha Rao")
    expect(page.get_by_text("Times in Asia/Kolkata")).to_be_visible()
    wait_until_live(page)
    assert console_errors == []


@pytest.fixture
def component_statuses():
    """Sets every component's cached status (other tests may have left some) and clears them."""

    def set_all(**statuses):
        for name in COMPONENTS:
            store_status(name, statuses.get(name, "healthy"))

    yield set_all
    cache.delete_many([CACHE_KEY.format(name) for name in COMPONENTS])


def test_overview_refresh_updates_cards_and_health_in_place(
    page_for, member_campaign, component_statuses, console_errors
):
    member, campaign = member_campaign
    component_statuses()
    page = page_for(member)
    expect(page.locator("[data-health-label]")).to_have_text("All systems operational")
    expect(page.locator('[data-field="system.total_leads"]')).to_have_text("0")

    for _ in range(3):
        factories.make_lead(campaign)
    component_statuses(openai="unhealthy")
    # What the 30-second timer runs; called now rather than waited for.
    page.evaluate("window.voiceagentLive.refreshOverview()")
    expect(page.locator('[data-field="system.total_leads"]')).to_have_text("3")
    expect(page.locator("[data-health-label]")).to_have_text(
        "Degraded: an external service is not answering"
    )
    expect(page.locator('[data-component="openai"] .component-status')).to_have_text("Unhealthy")
    assert console_errors == []


def test_overview_refresh_keeps_no_rate_where_nothing_was_counted(
    page_for, member_campaign, console_errors
):
    member, campaign = member_campaign
    lead = factories.make_lead(campaign)
    answer_rate = '[data-field="system.answer_rate"]'
    qualification_rate = '[data-field="system.qualification_rate"]'
    page = page_for(member)
    # "—" for the eye, words for screen readers; the API says 0.0 for both rates.
    expect(page.locator(answer_rate)).to_have_text("—no rate yet")
    expect(page.locator(f"{answer_rate} .visually-hidden")).to_have_text("no rate yet")

    page.evaluate("window.voiceagentLive.refreshOverview()")
    expect(page.locator(answer_rate)).to_have_text("—no rate yet")
    expect(page.locator(qualification_rate)).to_have_text("—no rate yet")

    factories.make_call(lead, status="no_answer", outcome="no_answer")
    page.evaluate("window.voiceagentLive.refreshOverview()")
    expect(page.locator(answer_rate)).to_have_text("0.00%")
    expect(page.locator(qualification_rate)).to_have_text("—no rate yet")
    assert console_errors == []


def post_events(live_server_url, token, events):
    response = httpx.post(
        f"{live_server_url}/api/call-events",
        json=events,
        headers={"Authorization": f"Token {token.key}"},
        timeout=5,
    )
    assert response.status_code == 202, response.text
    return response.json()


def test_event_posted_to_ingestion_appears_on_live_page_within_2_seconds(
    page_for, live_server_url, member_campaign, console_errors
):
    member, campaign = member_campaign
    lead = factories.make_lead(campaign, "Sneha Kulkarni")
    token = Token.objects.create(user=factories.make_ingest_user("agent"))
    page = page_for(member)
    page.goto("/live/")
    wait_until_live(page)

    now = timezone.now()
    event = {"call_sid": "CA-LIVE-1", "campaign_id": campaign.pk, "lead_id": lead.pk, "data": {}}
    started = time.monotonic()
    accepted = post_events(live_server_url, token, [
        {**event, "event_id": "e1", "type": "call.initiated", "occurred_at": now.isoformat()},
        {**event, "event_id": "e2", "type": "call.answered", "occurred_at": now.isoformat()},
        {**event, "event_id": "e3", "type": "call.stage_changed", "occurred_at": now.isoformat(),
         "data": {"stage": "discovery"}},
    ])  # fmt: skip
    assert accepted == {"accepted": 3, "duplicates": 0}
    row = page.locator('tr[data-call-sid="CA-LIVE-1"]')
    expect(row).to_contain_text("Sneha Kulkarni", timeout=2000)
    expect(row.locator('[data-col="stage"]')).to_have_text("Discovery", timeout=2000)
    assert time.monotonic() - started < 2

    post_events(live_server_url, token, [
        {**event, "event_id": "e4", "type": "call.completed", "occurred_at": now.isoformat(),
         "data": {"outcome": "qualified", "duration_seconds": 42}},
    ])  # fmt: skip
    expect(row).to_have_count(0, timeout=2000)
    assert console_errors == []


def test_durations_of_calls_in_progress_tick(page_for, member_campaign, console_errors):
    member, campaign = member_campaign
    call = scenery.start_call(factories.make_lead(campaign, "Ravi Kumar"), seconds_ago=125)
    page = page_for(member)
    page.goto("/live/")
    duration = page.locator(f'tr[data-call-sid="{call.call_sid}"] [data-col="duration"]')
    first = duration.inner_text()
    assert re.fullmatch(r"2:0\d", first)  # counted from when the call started or was answered
    expect(duration).not_to_have_text(first, timeout=2500)
    assert console_errors == []


def test_page_keeps_updating_by_polling_after_the_socket_is_cut(
    page_for, member_campaign, console_errors
):
    member, campaign = member_campaign
    page = page_for(member)
    page.goto("/live/")
    wait_until_live(page)

    # Every new socket is closed at once (as by a proxy that drops them), then the live one goes.
    page.route_web_socket(re.compile(r".*/ws/.*"), lambda socket: socket.close())
    page.evaluate("window.voiceagentLive.socket.close()")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "polling")
    expect(page.locator("#live-state")).to_have_text("Offline: refreshing every 5 s")

    # A call that nobody pushes: only polling /dashboard/realtime can bring it to the page.
    call = scenery.start_call(factories.make_lead(campaign, "Meera Joshi"))
    expect(page.locator(f'tr[data-call-sid="{call.call_sid}"]')).to_contain_text(
        "Meera Joshi", timeout=7000
    )
    # The count and the rows are two queries: a poll between them may lag one round behind.
    expect(page.locator('[data-field="calls_in_progress"]')).to_have_text("1", timeout=7000)
    assert page.evaluate("window.voiceagentLive.polling") is True
    assert console_errors == []


def test_live_page_reconnects_by_itself_after_the_web_process_restarts(
    page_for, member_campaign, console_errors
):
    """The server goes away under an open /live/ page and comes back on the same address: the
    page falls back to polling, reconnects its socket on its own, and pushes arrive again."""
    member, campaign = member_campaign
    lead = factories.make_lead(campaign, "Farhan Sheikh")
    token = Token.objects.create(user=factories.make_ingest_user("agent"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_asgi_server(port)
    try:
        page = page_for(member, base_url=url)
        page.goto("/live/")
        wait_until_live(page)

        stop_process_groups(server)
        expect(page.locator("#live-state")).to_have_attribute("data-state", "polling")
        server = start_asgi_server(port)
        # Backoff after a couple of failed attempts: well under 10 s on the way back.
        expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=10_000)
        now = timezone.now().isoformat()
        event = {"call_sid": "CA-BACK-1", "campaign_id": campaign.pk, "lead_id": lead.pk,
                 "occurred_at": now, "data": {}}  # fmt: skip
        post_events(url, token, [
            {**event, "event_id": "b1", "type": "call.initiated"},
            {**event, "event_id": "b2", "type": "call.answered"},
        ])  # fmt: skip
        # Pushed over the new socket: polling (every 5 s) is off again once the socket is live.
        assert page.evaluate("window.voiceagentLive.polling") is False
        expect(page.locator('tr[data-call-sid="CA-BACK-1"]')).to_contain_text(
            "Farhan Sheikh", timeout=2000
        )
    finally:
        stop_process_groups(server)
    # The refused connections while the server was away are the browser's own console lines.
    assert [e for e in console_errors if "ERR_CONNECTION_REFUSED" not in e
            and "WebSocket connection" not in e] == []  # fmt: skip


def test_a_gap_in_sequence_numbers_resyncs_the_page(page_for, member_campaign, console_errors):
    member, campaign = member_campaign
    page = page_for(member)
    page.goto("/live/")
    wait_until_live(page)
    # Calls the page never heard of: a dropped message is simulated by skipping a number.
    call = scenery.start_call(factories.make_lead(campaign, "Ishaan Gupta"))
    page.evaluate(
        """group => {
            const socket = window.voiceagentLive.socket;
            const message = seq => new MessageEvent("message", {data: JSON.stringify(
                {type: "pong", seq: seq, group: group})});
            socket.dispatchEvent(message(100));
            socket.dispatchEvent(message(102));
        }""",
        f"campaign.{campaign.pk}",
    )
    expect(page.locator(f'tr[data-call-sid="{call.call_sid}"]')).to_contain_text(
        "Ishaan Gupta", timeout=2000
    )
    assert console_errors == []


def test_keyboard_users_can_skip_to_the_content_and_reach_the_links(
    page_for, member_campaign, console_errors
):
    member, campaign = member_campaign
    page = page_for(member)
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "All live calls"
    assert console_errors == []


@pytest.mark.parametrize("width", [1280, 375])
def test_every_page_renders_without_console_errors(
    page_for, member_campaign, console_errors, width
):
    member, campaign = member_campaign
    people, calls = scenery.build_campaign(campaign)
    scenery.add_conversation(calls[0])
    scenery.start_call(people[1])
    scenery.start_call(people[2], seconds_ago=300, stage="qualification")
    pages = {
        "overview": "/",
        "campaign": f"/campaigns/{campaign.pk}/",
        "call": f"/calls/{calls[0].call_sid}/",
        "live": "/live/",
        "exports": "/exports/",
    }
    page = page_for(member, width=width)
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        # Nothing wider than the screen but the charts' and tables' own scroll areas.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than the screen"
        screenshot(page, name)
    assert console_errors == []


def test_a_small_export_from_the_campaign_page_downloads_at_once(
    page_for, member_campaign, console_errors
):
    member, campaign = member_campaign
    scenery.build_campaign(campaign, leads=6, days=3)
    page = page_for(member)
    page.goto(f"/campaigns/{campaign.pk}/")
    page.select_option("#export-kind", "results")
    page.select_option("#export-format", "csv")
    with page.expect_download() as download:
        page.click("[data-start-export]")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename.endswith(".csv")
    assert len(content.splitlines()) == 1 + 9  # the header and the 9 finished calls
    assert "Aarav Shah" in content
    assert page.url.endswith(f"/campaigns/{campaign.pk}/")  # the page stays
    assert ExportJob.objects.count() == 0
    assert console_errors == []


def test_a_large_export_from_the_campaign_page_shows_progress_and_downloads(
    page_for, member_campaign, console_errors
):
    member, campaign = member_campaign
    scenery.build_campaign(campaign, leads=6, days=3)
    port = free_port()
    # 9 rows are "large" for this server: the export becomes a job.
    server = start_asgi_server(port, EXPORT_SYNC_MAX_ROWS=5)
    try:
        page = page_for(member, base_url=f"http://127.0.0.1:{port}")
        large_export_shows_progress_and_downloads(page, campaign, console_errors)
    finally:
        stop_process_groups(server)


def large_export_shows_progress_and_downloads(page, campaign, console_errors):
    page.goto(f"/campaigns/{campaign.pk}/")
    page.select_option("#export-kind", "results")
    page.select_option("#export-format", "csv")
    page.click("[data-start-export]")
    page.wait_for_url(re.compile(r"/exports/?\?job=\d+$"))

    # No worker yet: the job waits, and the page says so with a progress bar.
    row = page.locator("tr[data-export-job]").first
    expect(row).to_have_attribute("data-status", "pending")
    expect(row.locator("progress")).to_be_visible()
    with celery_worker():
        # The worker picks the job up; the page follows it without a reload.
        expect(row).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(row.locator('[data-col="status-label"]')).to_have_text("Succeeded")
    expect(row.locator('[data-col="rows_written"]')).to_have_text("9")
    expect(row.locator('[data-col="file_size"]')).to_have_text(
        re.compile(r"^\d+(\.\d)?\s(bytes|KB)$")
    )
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    screenshot(page, "exports-with-job")
    assert download.value.suggested_filename.endswith(".csv")
    assert "Aarav Shah" in content
    assert console_errors == []

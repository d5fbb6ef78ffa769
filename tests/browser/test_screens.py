"""Phones (375 px) and desktops (1280 px) in headless Chromium: the overview, campaign, call and
live pages and the API docs fit the screen (anything wider scrolls inside its own box, which
says so), log no console error and ask no other host for anything; the charts, the funnel and
the active calls read on a phone; the admin's changelists fit 1280 px."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser import scenery
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every element whose box passes the right edge of the screen must sit inside a box that scrolls
# sideways, and that box must be followed by a visible `.scroll-hint` saying so.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\\s+/g, ".") : "");
  const problems = new Set();
  if (document.documentElement.scrollWidth > width) problems.add("page scrolls sideways");
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= width + 0.5) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    let scroller = el.parentElement, clipped = false;
    while (scroller && scroller !== document.body) {
      const overflow = getComputedStyle(scroller).overflowX;
      const inside = scroller.getBoundingClientRect().right <= width + 0.5;
      // Inside a box that clips (a visually hidden table head): nothing shows past the edge.
      if ((overflow === "hidden" || overflow === "clip") && inside) { clipped = true; break; }
      if ((overflow === "auto" || overflow === "scroll") && inside) break;
      scroller = scroller.parentElement;
    }
    if (clipped) continue;
    if (!scroller || scroller === document.body) { problems.add("cut: " + name(el)); continue; }
    const hint = scroller.nextElementSibling;
    if (!hint || !hint.classList.contains("scroll-hint") || !hint.checkVisibility()) {
      problems.add("scrolls without a hint: " + name(scroller) + " (" + (scroller.getAttribute("aria-label") || "") + ": " + name(el) + ")");
    }
  }
  return [...problems];
}"""


@pytest.fixture
def busy_campaign(db):
    member = factories.make_manager("asha")
    campaign = factories.make_campaign("Powai launch", members=[member])
    people, calls = scenery.build_campaign(campaign, leads=12, days=30, in_progress=0)
    scenery.add_conversation(calls[0])
    for index, lead in enumerate(people[:8]):
        scenery.start_call(lead, seconds_ago=60 + 30 * index)
    return member, campaign, calls


def other_hosts(requests, base_url):
    ours = urlsplit(base_url).netloc
    return sorted({url for url in requests if urlsplit(url).netloc not in (ours, "")})


@pytest.mark.parametrize("width", [375, 1280])
def test_pages_fit_the_screen_log_no_error_and_stay_on_our_host(
    page_for, busy_campaign, console_errors, live_server_url, width
):
    member, campaign, calls = busy_campaign
    page = page_for(member, width=width)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    pages = {
        "overview": "/",
        "campaign": f"/campaigns/{campaign.pk}/",
        "call": f"/calls/{calls[0].call_sid}/",
        "live": "/live/",
        "docs": "/docs",
        "redoc": "/redoc",
    }
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if name == "redoc":
            expect(page.locator(".api-info h1")).to_contain_text("voiceagent API")
        elif name == "docs":
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("voiceagent API")
        else:
            expect(page.locator("h1")).to_be_visible()
        # The API readers are third-party layouts: only our pages are held to the hint rule.
        if name not in ("docs", "redoc"):
            problems = page.evaluate(OVERFLOWING)
            assert problems == [], f"{name}: " + "; ".join(problems)
        screenshot(page, f"screens-{name}")

    assert other_hosts(requests, live_server_url) == []
    assert console_errors == []


def test_phone_shows_the_whole_daily_chart_the_transposed_heatmap_and_the_funnel(
    page_for, busy_campaign, console_errors
):
    member, campaign, _ = busy_campaign
    page = page_for(member, width=375)
    page.goto(f"/campaigns/{campaign.pk}/")

    trend = page.locator("section[aria-labelledby=trend-title] .chart-narrow svg")
    expect(trend).to_be_visible()
    expect(page.locator("section[aria-labelledby=trend-title] .chart-wide")).to_be_hidden()
    # The legend and the y-axis are on screen from the start: nothing to scroll.
    box = trend.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    legend = trend.locator("text", has_text="Calls made")
    assert legend.bounding_box()["x"] >= 0

    heatmap = page.locator("section[aria-labelledby=hours-title] .chart-narrow svg")
    expect(heatmap).to_be_visible()
    heat_box = heatmap.bounding_box()
    assert heat_box["x"] >= 0 and heat_box["x"] + heat_box["width"] <= 375
    # Hours as rows: every hour, 19:00 included, is on screen (the wide one was cut at 13:00).
    for hour in ("00:00", "13:00", "19:00", "23:00"):
        label = heatmap.locator("text", has_text=hour).bounding_box()
        assert label["x"] >= 0 and label["x"] + label["width"] <= 375

    counts = page.locator(".funnel .funnel-count")
    expect(counts.first).to_be_visible()
    for index in range(counts.count()):
        count_box = counts.nth(index).bounding_box()
        assert count_box["x"] + count_box["width"] <= 375
    sizes = page.eval_on_selector_all(
        ".funnel-label", "labels => labels.map(l => parseFloat(getComputedStyle(l).fontSize))"
    )
    assert sizes and min(sizes) >= 12
    assert console_errors == []


def test_overview_lists_the_five_longest_running_calls_and_links_to_all(
    page_for, busy_campaign, console_errors
):
    member, _, _ = busy_campaign
    page = page_for(member, width=375)
    rows = page.locator("[data-active-calls] tr[data-call-sid]")
    expect(rows).to_have_count(8)
    assert [rows.nth(i).is_visible() for i in range(8)] == [True] * 5 + [False] * 3
    more = page.locator("[data-more-calls]")
    expect(more).to_contain_text("The 5 longest-running calls; all live calls (8 in progress).")
    more.get_by_role("link", name="all live calls").click()
    page.wait_for_url(re.compile(r"/live/?$"))
    expect(page.locator("[data-active-calls] tr[data-call-sid]:visible")).to_have_count(8)
    assert console_errors == []


ADMIN_LISTS = ["lead", "callsession", "campaign", "scheduledcall", "donotcall", "callevent"]


def test_admin_changelists_fit_1280_px(page_for, busy_campaign, console_errors, live_server_url):
    staff = factories.make_user("ops", staff=True, is_superuser=True)
    page = page_for(staff, width=1280)
    for model in ADMIN_LISTS:
        page.goto(f"/admin/voiceagent/{model}/")
        expect(page.locator("#changelist")).to_be_visible()
        cut = page.evaluate(
            """() => [...document.querySelectorAll('#changelist .results')]
                 .map(box => box.scrollWidth - box.clientWidth)"""
        )
        assert cut in ([], [0]), f"{model}: the right-hand columns are cut by {cut} px"
        problems = page.evaluate(OVERFLOWING)
        assert problems == [], f"{model}: " + "; ".join(problems)
        screenshot(page, f"admin-{model}")
    # Indian dates and the one phone format in the lead list.
    page.goto("/admin/voiceagent/lead/")
    phone = page.locator("td.field-phone_display").first.inner_text()
    assert phone.startswith("+91 ") and len(phone) == len("+91 98123 45678")
    assert console_errors == []


def test_favicon_and_the_schema_open_in_a_browser(page_for, busy_campaign, console_errors):
    member, _, _ = busy_campaign
    page = page_for(member)
    favicon = page.request.get("/favicon.ico")
    assert favicon.status == 200
    assert favicon.headers["content-type"].startswith("image/svg+xml")
    page.goto("/docs")
    page.get_by_role("link", name="OpenAPI schema (JSON)").click()
    page.wait_for_load_state()
    assert page.url.endswith("/api/schema?format=json")
    expect(page.locator("body")).to_contain_text('"openapi": "3.')
    page.goto("/redoc")
    page.get_by_role("link", name="← Back to voiceagent").click()
    page.wait_for_url("**/")
    expect(page.locator("h1")).to_have_text("Overview")
    assert console_errors == []

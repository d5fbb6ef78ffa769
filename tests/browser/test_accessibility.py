"""axe-core (axe-playwright-python) with the WCAG 2.0/2.1 A and AA rules on every page a person
sees, at 1280 px and 375 px: the login form, the overview, a campaign, a call with its transcript,
live calls, calls needing attention, transcript search with results, exports with jobs in each
state, and the admin's index, changelists, a change form and our own admin pages. Each must have no violation at all.

Out of scope: third-party pages we only serve, not write — Swagger UI (/docs), ReDoc (/redoc)
and DRF's browsable API — whose markup comes from their own bundles."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from exports.models import ExportStatus
from tests import factories
from tests.browser import scenery
from tests.browser.conftest import PASSWORD, screenshot
from voiceagent.models import CallStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()
WIDTHS = [1280, 375]
ADMIN_LISTS = [
    "voiceagent/lead",
    "voiceagent/callsession",
    "voiceagent/campaign",
    "exports/exportjob",
]


def violations(page):
    """axe's WCAG 2 A/AA violations on the page as shown now, one line per rule broken:
    `rule (impact): selector, selector…`."""
    results = AXE.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    return [
        f"{rule['id']} ({rule['impact']}): "
        + ", ".join(" ".join(map(str, node["target"])) for node in rule["nodes"])
        for rule in results.response["violations"]
    ]


def check_pages(page, pages, *, ready="h1"):
    """Opens each page, waits for it to settle, and returns every violation found, by page."""
    found = []
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, f"{name}: {url} answered {response.status}"
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        found += [f"{name} {url}: {line}" for line in violations(page)]
        screenshot(page, f"a11y-{name}")
    return found


def report(found):
    return "WCAG 2 A/AA violations:\n" + "\n".join(found)


@pytest.fixture
def busy_campaign(db):
    """A campaign with finished and live calls, a transcript, calls needing attention for each
    kind of badge, and the member's export jobs in every state."""
    member = factories.make_manager("asha", first_name="Asha", last_name="Rao")
    campaign = factories.make_campaign("Powai launch", members=[member])
    people, calls = scenery.build_campaign(campaign, leads=12, days=14, in_progress=0)
    scenery.add_conversation(calls[0])
    factories.make_turn(calls[1], 1, text="Slow answer", llm_ms=9_000)
    factories.make_call(people[3], status=CallStatus.FAILED)
    for index, lead in enumerate(people[:3]):
        scenery.start_call(lead, seconds_ago=60 + 30 * index)
    now, today = timezone.now(), timezone.localdate()
    finished = {"started_at": now, "finished_at": now, "expires_at": now + timedelta(hours=24)}
    for status, extra in [
        (ExportStatus.PENDING, {}),
        (ExportStatus.RUNNING, {"progress": 40, "started_at": now}),
        (ExportStatus.SUCCEEDED, {**finished, "progress": 100, "rows_written": 42,
                                  "file": "exports/a11y/powai.csv", "file_size": 2048}),
        (ExportStatus.FAILED, {**finished, "error": "The database went away."}),
        (ExportStatus.EXPIRED, {**finished, "progress": 100, "rows_written": 42}),
    ]:  # fmt: skip
        factories.make_export_job(
            campaign, member, status=status, period_from=today - timedelta(days=6),
            period_to=today, **extra,
        )  # fmt: skip
    return member, campaign, calls


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_of_a_manager_has_no_wcag_violation(page_for, busy_campaign, width):
    member, campaign, calls = busy_campaign
    page = page_for(member, width=width)
    found = check_pages(
        page,
        {
            "overview": "/",
            "campaign": f"/campaigns/{campaign.pk}/",
            "call": f"/calls/{calls[0].call_sid}/",
            "live": "/live/",
            "attention": "/calls/?show=attention",
            "search": "/search/?q=Powai",
            "exports": "/exports/",
        },
    )
    assert found == [], report(found)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_login_page_and_its_error_have_no_wcag_violation(
    browser, live_server_url, busy_campaign, width
):
    context = browser.new_context(
        base_url=live_server_url, viewport={"width": width, "height": 900}
    )
    try:
        page = context.new_page()
        found = check_pages(page, {"login": "/accounts/login/"})
        page.fill("#id_username", "asha")
        page.fill("#id_password", "not-" + PASSWORD)
        page.click("button[type=submit]")
        expect(page.get_by_role("alert")).to_be_visible()
        found += [f"login with an error: {line}" for line in violations(page)]
    finally:
        context.close()
    assert found == [], report(found)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_index_changelists_and_a_change_form_have_no_wcag_violation(
    page_for, busy_campaign, width
):
    _, campaign, _ = busy_campaign
    staff = factories.make_user("ops", staff=True, is_superuser=True)
    page = page_for(staff, width=width)
    pages = {"admin-index": "/admin/"}
    pages |= {f"admin-{model.split('/')[1]}": f"/admin/{model}/" for model in ADMIN_LISTS}
    pages["admin-import-leads"] = f"/admin/voiceagent/campaign/{campaign.pk}/import-leads/"
    found = check_pages(page, pages, ready="#content")
    # Our own confirmation page of the "erase personal data" action.
    page.goto("/admin/voiceagent/lead/")
    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "erase_leads")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_label("Reason:")).to_be_visible()
    found += [f"admin-erase-confirmation: {line}" for line in violations(page)]

    # The blank current stage of unanswered calls is a filter choice with a name.
    page.goto("/admin/voiceagent/callsession/")
    expect(page.locator("#changelist-filter").get_by_role("link", name="(blank)")).to_have_count(1)

    # A change form with Django's autocomplete and filter_horizontal widgets, once admin.js
    # has named them.
    page.goto(f"/admin/voiceagent/campaign/{campaign.pk}/change/")
    expect(page.get_by_role("combobox", name="Created by")).to_have_count(1)
    expect(page.locator(".search-label-icon[role=img]")).to_have_count(2)
    found += [f"admin-campaign-change: {line}" for line in violations(page)]
    screenshot(page, "a11y-admin-campaign-change")
    assert found == [], report(found)


def test_the_checker_reports_an_unlabelled_field_and_an_image_without_text(page_for, busy_campaign):
    member, _, _ = busy_campaign
    page = page_for(member)
    expect(page.locator("h1")).to_have_text("Overview")
    assert violations(page) == []
    page.evaluate(
        """() => {
          const main = document.querySelector("main");
          const field = document.createElement("input");
          field.id = "unlabelled-probe";
          const image = document.createElement("img");
          image.id = "image-probe";
          image.src = "/static/voiceagent/favicon.svg";
          main.append(field, image);
        }"""
    )
    assert violations(page) == [
        "image-alt (critical): #image-probe",
        "label (critical): #unlabelled-probe",
    ]

"""The campaign page shows the same script-variant figures, lead scores and period changes as
the API and the exports (a real server, Chromium)."""

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.periods import default_period
from analytics.templatetags.dashboard import percent
from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_dashboard import member_campaign  # noqa: F401
from voiceagent.campaigns.scoring import recompute_lead_scores
from voiceagent.models import CallOutcome, CallStatus, Lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def experiment(member_campaign):  # noqa: F811
    """Yesterday: "default" 6 calls, 4 answered, 1 qualified; "warm-open" 5 calls, 4 answered,
    3 qualified. Forty days ago (the previous 30 days): 2 calls, 1 answered."""
    member, campaign = member_campaign
    yesterday = timezone.now() - timedelta(days=1)
    plan = {"default": (6, 4, 1), "warm-open": (5, 4, 3)}
    for variant, (made, answered, qualified) in plan.items():
        for number in range(made):
            lead = factories.make_lead(campaign, f"{variant} lead {number}")
            if number < answered:
                outcome = (
                    CallOutcome.QUALIFIED if number < qualified else CallOutcome.NOT_INTERESTED
                )
                factories.make_call(
                    lead,
                    initiated_at=yesterday,
                    outcome=outcome,
                    script_variant=variant,
                    duration=200,
                    qualification={"interest_level": "high" if number < qualified else "low"},
                )
            else:
                factories.make_call(
                    lead,
                    status=CallStatus.NO_ANSWER,
                    answered=False,
                    initiated_at=yesterday,
                    outcome=CallOutcome.NO_ANSWER,
                    script_variant=variant,
                )
    for number in range(2):
        lead = factories.make_lead(campaign, f"earlier lead {number}")
        factories.make_call(
            lead,
            status=CallStatus.COMPLETED if number == 0 else CallStatus.NO_ANSWER,
            answered=number == 0,
            initiated_at=timezone.now() - timedelta(days=40),
            outcome=CallOutcome.NOT_INTERESTED if number == 0 else CallOutcome.NO_ANSWER,
        )
    recompute_lead_scores(lead_ids=Lead.objects.filter(campaign=campaign).values("pk"))
    return member, campaign


def test_variants_scores_and_changes_match_across_api_page_and_export(
    page_for, experiment, console_errors
):
    member, campaign = experiment
    period = default_period()
    dates = f"from={period.first.isoformat()}&to={period.last.isoformat()}"
    page = page_for(member)

    api = page.request.get(f"/analytics/campaigns/{campaign.pk}/variants?{dates}").json()
    metrics = page.request.get(
        f"/analytics/campaigns/{campaign.pk}/metrics?{dates}&compare=previous"
    ).json()
    export = page.request.get(f"/exports/campaigns/{campaign.pk}/results?format=csv&{dates}")
    page.goto(f"/campaigns/{campaign.pk}/")

    assert api["baseline"] == "default"  # 4 answered each: the name first breaks the tie
    for variant in api["variants"]:
        row = page.locator(f'[data-variants] tr[data-variant="{variant["variant"]}"]')
        expect(row.locator('[data-field="qualification_rate"]')).to_have_text(
            percent(variant["qualification_rate"])
        )
        expect(row.locator('[data-field="interval"]')).to_have_text(
            f"{percent(variant['ci_low'])}–{percent(variant['ci_high'])}"
        )
        cells = row.locator("td")
        assert cells.nth(0).inner_text() == str(variant["calls_made"])
        assert cells.nth(1).inner_text() == str(variant["calls_answered"])
        assert cells.nth(2).inner_text() == str(variant["calls_qualified"])
    warm = next(v for v in api["variants"] if v["variant"] == "warm-open")
    assert (warm["calls_answered"], warm["qualification_rate"]) == (4, 75.0)
    # 3 of 4 against 1 of 4: pooled 1/2, z = 0.5 / sqrt(1/8) = √2, p = erfc(1) = 0.1573.
    assert (warm["p_value"], warm["significant"], api["winner"]) == (0.1573, False, None)
    warm_row = page.locator('[data-variants] tr[data-variant="warm-open"]')
    expect(warm_row.locator('[data-field="qualification_rate"]')).to_have_text(percent(75.0))
    expect(warm_row.locator('[data-field="p_value"]')).to_have_text("0.1573")
    expect(page.locator("svg[aria-labelledby] title", has_text="Script variants")).to_have_count(1)

    rows = list(csv.DictReader(io.StringIO(export.text().lstrip("\ufeff"))))
    assert Counter(row["Script variant"] for row in rows) == Counter(
        {v["variant"]: v["calls_made"] for v in api["variants"]}
    )

    # Change beside the cards: 11 calls against 2, answer rate 72.73% against 50%.
    assert (metrics["change"]["calls_made"], metrics["change"]["answer_rate"]) == (9, 22.73)
    expect(page.locator('[data-change="calls_made"]')).to_contain_text("▲")
    expect(page.locator('[data-change="calls_made"]')).to_contain_text("9 vs previous 30 days")
    expect(page.locator('[data-change="answer_rate"]')).to_contain_text("22.73 pts")
    expect(page.locator('[data-change="answer_rate"]')).to_have_class("change change-good")

    leads = page.request.get(f"/api/leads/?campaign={campaign.pk}&ordering=-score").json()
    best = leads["results"][0]
    # high interest 30 + answered 5 + over 3 minutes 10: the four leads that qualified
    top = {row["id"] for row in leads["results"] if row["score"] == best["score"]}
    assert (best["score"], len(top)) == (45, 4)
    hot = page.locator("[data-hot-leads] tbody tr")
    expect(hot).to_have_count(9)  # every answered lead; the unanswered score 0
    assert {int(hot.nth(i).get_attribute("data-lead-id")) for i in range(4)} == top
    expect(hot.first.locator('[data-field="score"]')).to_have_text("45")
    screenshot(page, "campaign-variants")
    assert console_errors == []

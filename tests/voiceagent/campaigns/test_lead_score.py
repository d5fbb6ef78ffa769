"""Lead scores (voiceagent.campaigns.scoring): signals, weights, bounds, reasons, one statement."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_call, make_campaign, make_lead, make_objection
from voiceagent.campaigns.scoring import recompute_lead_scores
from voiceagent.models import CallOutcome, CallStatus, Lead


def _scored(*leads):
    recompute_lead_scores(lead_ids=[lead.pk for lead in leads])
    return [Lead.objects.get(pk=lead.pk) for lead in leads]


def test_a_keen_lead_in_budget_outscores_a_lukewarm_unsure_one(db):
    campaign = make_campaign(price_band_min=6_000_000, price_band_max=9_000_000)
    keen = make_lead(campaign, budget=8_000_000)
    unsure = make_lead(campaign, budget=8_000_000)
    make_call(
        keen,
        duration=200,
        outcome=CallOutcome.QUALIFIED,
        qualification={"interest_level": "high", "timeline": "1 month", "purpose": "buy"},
    )
    make_call(
        unsure,
        duration=30,
        outcome=CallOutcome.NOT_INTERESTED,
        qualification={"interest_level": "low", "timeline": "not sure"},
    )
    keen, unsure = _scored(keen, unsure)
    # high 30 + within a month 20 + in band 15 + buy 10 + answered 5 + over 3 minutes 10
    assert keen.score == 90
    assert keen.score_reasons == (
        "high interest (+30); buying within a month (+20); budget in the price band (+15)"
    )
    # low interest -10 + in band 15 + answered 5 (30 s talk counts nothing)
    assert unsure.score == 10
    assert unsure.score_reasons == (
        "budget in the price band (+15); low interest (-10); answered a call (+5)"
    )
    assert keen.score > unsure.score


def test_scores_stay_between_0_and_100_whatever_the_weights(db):
    generous = make_campaign(score_weights={"interest_high": 100, "answered": 100})
    harsh = make_campaign(score_weights={"objection": -100, "interest_low": -100})
    top = make_lead(generous)
    bottom = make_lead(harsh)
    make_call(top, qualification={"interest_level": "high"})
    call = make_call(bottom, qualification={"interest_level": "low"})
    make_objection(call)
    make_objection(call, "timing")
    top, bottom = _scored(top, bottom)
    assert (top.score, bottom.score) == (100, 0)
    assert top.score_reasons == (
        "high interest (+100); answered a call (+100); talked over a minute (+5)"
    )
    assert bottom.score_reasons == (
        "raised 2 objections (-200); low interest (-100); answered a call (+5)"
    )


def test_engagement_counts_callbacks_objections_and_talk_time(db):
    campaign = make_campaign()
    lead = make_lead(campaign)
    make_call(lead, duration=70, outcome=CallOutcome.CALLBACK_REQUESTED)
    other = make_call(lead, duration=0, status=CallStatus.NO_ANSWER, answered=False)
    make_objection(other)
    canceled = make_call(lead, status=CallStatus.CANCELED, answered=False)
    make_objection(canceled, "trust")  # a canceled call never counts
    (lead,) = _scored(lead)
    # callback 8 + answered 5 + over a minute 5 - one objection 4
    assert lead.score == 14
    assert lead.score_reasons == (
        "asked for a callback (+8); answered a call (+5); talked over a minute (+5)"
    )


def test_a_lead_without_calls_scores_its_budget_alone_and_others_are_untouched(db):
    campaign = make_campaign(price_band_min=5_000_000, price_band_max=None)
    near = make_lead(campaign, budget=4_500_000)
    untouched = make_lead(campaign, budget=9_000_000)
    (near,) = _scored(near)
    assert (near.score, near.score_reasons) == (5, "budget near the price band (+5)")
    assert Lead.objects.get(pk=untouched.pk).score == 0


def test_leads_are_scored_in_one_statement_whatever_their_number(db):
    campaign = make_campaign()
    leads = [make_lead(campaign) for _ in range(30)]
    for lead in leads:
        make_call(lead, duration=30, qualification={"interest_level": "medium"})
    with CaptureQueriesContext(connection) as queries:
        written = recompute_lead_scores(lead_ids=[lead.pk for lead in leads])
    assert (written, len(queries)) == (30, 1)
    # medium interest 15 + answered 5
    assert set(Lead.objects.values_list("score", flat=True)) == {20}


def test_a_queryset_of_ids_scores_a_whole_campaign(db):
    campaign = make_campaign()
    lead = make_lead(campaign)
    make_call(lead, qualification={"purpose": "Invest", "timeline": "within 3 months"})
    recompute_lead_scores(lead_ids=Lead.objects.filter(campaign=campaign).values("pk"))
    lead.refresh_from_db()
    # 3 months 12 + invest 8 + answered 5 + over a minute 5
    assert (lead.score, lead.score_reasons) == (
        30,
        "buying within 3 months (+12); wants to invest (+8); answered a call (+5)",
    )


def test_timelines_match_whole_numbers_not_digits_inside_them(db):
    campaign = make_campaign()
    leads = {timeline: make_lead(campaign) for timeline in ("12 months", "11 months", "1 month")}
    for timeline, lead in leads.items():
        make_call(lead, duration=30, qualification={"timeline": timeline})
    twelve, eleven, one = _scored(*leads.values())
    # answered 5 only: neither "12 months" nor "11 months" is a month or a quarter away
    assert (twelve.score, twelve.score_reasons) == (5, "answered a call (+5)")
    assert (eleven.score, eleven.score_reasons) == (5, "answered a call (+5)")
    assert (one.score, one.score_reasons) == (
        25,
        "buying within a month (+20); answered a call (+5)",
    )


def test_an_erased_lead_keeps_its_score_but_loses_the_words_and_is_not_rescored(db):
    from voiceagent.personal_data.erasure import erase_lead

    campaign = make_campaign()
    lead = make_lead(campaign)
    make_call(lead, duration=30, qualification={"interest_level": "high", "timeline": "1 month"})
    (lead,) = _scored(lead)
    assert (lead.score, lead.score_reasons) == (
        55,
        "high interest (+30); buying within a month (+20); answered a call (+5)",
    )
    erase_lead(lead=lead, reason="asked to be forgotten", erased_by=None)
    campaign.score_weights = {"answered": 6}
    campaign.save()
    recompute_lead_scores()
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (55, "")


def test_rescore_leads_scores_leads_whose_calls_came_before_scores(db):
    import io

    import pytest
    from django.core.management import CommandError, call_command

    campaign, other = make_campaign(), make_campaign()
    lead, elsewhere = make_lead(campaign), make_lead(other)
    for each in (lead, elsewhere):
        make_call(each, duration=30, qualification={"interest_level": "high"})
    # Stored before scores existed (an upgrade): score 0 until rescored.
    Lead.objects.update(score=0, score_reasons="")
    out = io.StringIO()
    call_command("rescore_leads", campaign=campaign.pk, stdout=out)
    assert out.getvalue() == "Scored 1 leads.\n"
    scores = dict(Lead.objects.values_list("pk", "score"))
    assert (scores[lead.pk], scores[elsewhere.pk]) == (35, 0)
    call_command("rescore_leads", stdout=io.StringIO())
    assert Lead.objects.get(pk=elsewhere.pk).score == 35
    with pytest.raises(CommandError, match="No campaign 999999."):
        call_command("rescore_leads", campaign=999999)


def test_a_price_band_set_in_the_admin_rescores_the_campaigns_leads(db, client):
    from tests.factories import make_user

    campaign = make_campaign("Baner towers")
    lead = make_lead(campaign, budget=8_000_000)
    recompute_lead_scores(lead_ids=[lead.pk])
    assert Lead.objects.get(pk=lead.pk).score == 0
    client.force_login(make_user("boss", staff=True, is_superuser=True))
    response = client.post(
        f"/admin/voiceagent/campaign/{campaign.pk}/change/",
        {
            "name": "Baner towers", "description": "", "status": "running", "max_attempts": 3,
            "retry_delay_minutes": 120, "callback_delay_minutes": 1440,
            "calling_hours_start": "09:00", "calling_hours_end": "21:00",
            "price_band_min": 6_000_000, "price_band_max": 9_000_000, "score_weights": "{}",
            "created_at_0": "2026-01-01", "created_at_1": "10:00:00",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.score, lead.score_reasons) == (15, "budget in the price band (+15)")


def test_changed_only_writes_and_counts_just_the_leads_whose_score_moved(db):
    campaign = make_campaign()
    keen, quiet = make_lead(campaign), make_lead(campaign)
    make_call(keen, duration=30, qualification={"interest_level": "high"})
    make_call(quiet, duration=30, qualification={"interest_level": "low"})
    recompute_lead_scores(lead_ids=[keen.pk, quiet.pk])
    make_call(keen, duration=30, qualification={"timeline": "1 month"})

    written = recompute_lead_scores(lead_ids=[keen.pk, quiet.pk], changed_only=True)

    assert written == 1
    # high interest 30 + a month 20 + answered 5 + a minute talked 5; low -10 + answered 5, clamped at 0
    assert dict(Lead.objects.values_list("pk", "score")) == {keen.pk: 60, quiet.pk: 0}
    assert recompute_lead_scores(lead_ids=[keen.pk, quiet.pk], changed_only=True) == 0

"""Crafted export data: Devanagari names, formula payloads, a call that crosses midnight in IST."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_call, make_lead, make_objection, make_turn
from voiceagent.campaigns.scoring import recompute_lead_scores
from voiceagent.models import CallOutcome, CallStatus, Lead


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _export_media(settings, tmp_path):
    # Every test stores its export files in a folder of its own.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def crafted(team):
    """Two leads with calls, one without, in team.campaign; one lead of the other campaign."""
    campaign = team.campaign
    anita = make_lead(
        campaign,
        "अनिता शर्मा",
        phone="+919812345678",
        email="anita@example.com",
        city="Mumbai",
        property_type="apartment",
        budget=8_500_000,
        preferred_locations="Powai, Andheri",
        status="qualified",
        call_attempts=1,
        last_outcome="qualified",
        last_call_at=utc(2025, 1, 15, 4, 2, 10),
        created_at=utc(2025, 1, 10, 6, 0),
    )
    payload = make_lead(
        campaign,
        '=HYPERLINK("http://evil.example","x")',
        phone="+919800000002",
        city="-Pune",
        is_dnc=True,
        dnc_reason="@asked not to call",
        call_attempts=2,
        last_outcome="no_answer",
        last_call_at=utc(2025, 1, 15, 20, 0),
        created_at=utc(2025, 1, 10, 6, 5),
    )
    silent = make_lead(
        campaign, "सुनील पाटील", phone="", city="पुणे", created_at=utc(2025, 1, 11, 18, 40, 7)
    )
    start = utc(2025, 1, 15, 4, 0)
    answered = make_call(
        anita,
        call_sid="CA-ANITA-1",
        initiated_at=start,
        duration=125,
        outcome=CallOutcome.QUALIFIED,
        ended_by="lead",
        qualification={
            "purpose": "buy",
            "timeline": "3 months",
            "interest_level": "high",
            "budget": "80 lakh",
        },
        stage_first_reached={
            "qualification": "2025-01-15T04:01:00+00:00",
            "greeting": "2025-01-15T04:00:05+00:00",
            "discovery": "2025-01-15T04:00:30+00:00",
        },
        recording_url="https://recordings.example/CA-ANITA-1.mp3",
    )
    make_turn(answered, 1, speaker="agent", text="नमस्ते, calling about Powai flats.")
    make_turn(answered, 2, speaker="lead", text="+1 for the 2BHK", stage="discovery")
    make_turn(answered, 3, speaker="agent", text="=SUM(A1:A3)", stage="qualification")
    make_objection(answered, "price", text="Too costly", occurred_at=start + timedelta(seconds=70))
    make_objection(answered, "timing", text="", occurred_at=start + timedelta(seconds=80))
    # 20:00 UTC is 01:30 the next day in Asia/Kolkata.
    unanswered = make_call(
        payload,
        call_sid="CA-PAYLOAD-1",
        status=CallStatus.NO_ANSWER,
        answered=False,
        initiated_at=utc(2025, 1, 15, 20, 0),
        outcome=CallOutcome.NO_ANSWER,
        attempt_number=2,
        script_variant="warm-open",
    )
    recompute_lead_scores(lead_ids=Lead.objects.filter(campaign=campaign).values("pk"))
    other = make_lead(team.other_campaign, "Not visible", phone="+919811111111")
    make_call(other, call_sid="CA-OTHER-1", initiated_at=start)

    class Crafted:
        pass

    Crafted.campaign, Crafted.anita, Crafted.payload, Crafted.silent = (
        campaign,
        anita,
        payload,
        silent,
    )
    Crafted.answered, Crafted.unanswered = answered, unanswered
    Crafted.leads = Lead.objects.filter(campaign=campaign)
    return Crafted

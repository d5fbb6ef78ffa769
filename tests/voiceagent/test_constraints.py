"""The database itself rejects rows that break the call domain's rules."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import make_call, make_campaign, make_lead
from voiceagent.models import Campaign, ConversationTurn, DoNotCall, Lead

pytestmark = pytest.mark.django_db


def rejected(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_call_sid_is_unique():
    lead = make_lead(make_campaign())
    make_call(lead, call_sid="CA1")
    rejected(lambda: make_call(lead, call_sid="CA1"))


def test_campaign_status_outside_choices_is_rejected():
    rejected(lambda: Campaign.objects.create(name="x", status="archived"))


def test_call_status_and_outcome_outside_choices_are_rejected():
    lead = make_lead(make_campaign())
    rejected(lambda: make_call(lead, status="exploded"))
    rejected(lambda: make_call(lead, outcome="maybe"))


def test_lead_phone_must_be_e164():
    campaign = make_campaign()
    rejected(lambda: Lead.objects.create(campaign=campaign, name="A", phone="09812345678"))
    rejected(lambda: Lead.objects.create(campaign=campaign, name="A", phone="+91 98123 45678"))
    assert (
        Lead.objects.create(campaign=campaign, name="A", phone="+919812345678").phone
        == "+919812345678"
    )


def test_dnc_phone_must_be_e164():
    rejected(lambda: DoNotCall.objects.create(phone="12345"))


def test_lead_phone_is_unique_within_a_campaign_only():
    first, second = make_campaign(), make_campaign()
    make_lead(first, phone="+919800000001")
    rejected(lambda: make_lead(first, phone="+919800000001"))
    assert make_lead(second, phone="+919800000001").campaign == second


def test_negative_duration_is_rejected():
    lead = make_lead(make_campaign())
    rejected(lambda: make_call(lead, duration_seconds=-1))


def test_ended_before_initiated_is_rejected():
    lead = make_lead(make_campaign())
    now = timezone.now()
    rejected(lambda: make_call(lead, initiated_at=now, ended_at=now - timedelta(seconds=1)))


def test_turn_sequence_is_unique_within_a_call():
    call = make_call(make_lead(make_campaign()))
    ConversationTurn.objects.create(
        call=call, sequence=1, speaker="agent", text="Hi", started_at=timezone.now()
    )
    rejected(
        lambda: ConversationTurn.objects.create(
            call=call, sequence=1, speaker="lead", text="Hi", started_at=timezone.now()
        )
    )


def test_turn_speaker_outside_choices_is_rejected():
    call = make_call(make_lead(make_campaign()))
    rejected(
        lambda: ConversationTurn.objects.create(
            call=call, sequence=1, speaker="bot", text="x", started_at=timezone.now()
        )
    )


def test_campaign_with_calls_cannot_be_deleted_with_a_cascade():
    lead = make_lead(make_campaign())
    make_call(lead)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        lead.campaign.delete()


def test_valid_leads_exclude_dnc_and_missing_phones():
    campaign = make_campaign()
    good = make_lead(campaign)
    make_lead(campaign, is_dnc=True)
    make_lead(campaign, phone="")
    assert list(Lead.objects.valid()) == [good]
    assert Lead.objects.dnc_filtered().count() == 1


def test_calling_hours_must_start_before_they_end():
    from datetime import time

    rejected(
        lambda: Campaign.objects.create(
            name="x", calling_hours_start=time(21, 0), calling_hours_end=time(9, 0)
        )
    )
    campaign = Campaign.objects.create(name="y")
    assert (campaign.calling_hours_start, campaign.calling_hours_end) == (time(9, 0), time(21, 0))


@pytest.mark.parametrize("name", ["calling_hours_start", "calling_hours_end"])
def test_the_calling_hours_defaults_pass_the_system_check_at_their_own_time_of_day(
    name, monkeypatch
):
    """Django's check warns (fields.W161) about a fixed time default when it runs within ten
    seconds of that time of day, read as UTC: `make run` at 21:00 UTC printed a warning."""
    from datetime import UTC
    from datetime import datetime as moment

    from django.db.models import fields

    field = Campaign._meta.get_field(name)
    at_default = moment.combine(moment.now(UTC).date(), field.get_default(), tzinfo=UTC)
    monkeypatch.setattr(fields.timezone, "now", lambda: at_default)

    assert [message.id for message in field.check()] == []

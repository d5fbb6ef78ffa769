"""A fresh `seed_demo` database obeys the lead lifecycle: its history is a dialer's, ingested."""

import pytest
from django.core.management import call_command
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from voiceagent.models import CallSession, Campaign, CampaignStatus, Lead
from voiceagent.simulation.demo_data import stopped_at

UNANSWERED = Q(calls__status__in=["no_answer", "busy"]) | Q(
    calls__status="completed", calls__outcome="voicemail"
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", "--leads", "400", "--calls", "600")
        yield
        from voiceagent.simulation.demo_data import remove_demo

        remove_demo()


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def test_demo_has_calls_on_the_campaigns_it_ran():
    assert CallSession.objects.count() > 300
    assert set(Campaign.objects.values_list("status", flat=True)) == {
        "running", "paused", "completed", "draft",
    }  # fmt: skip


def test_every_lead_has_as_many_attempts_as_calls():
    leads = Lead.objects.annotate(calls_made=Count("calls")).exclude(call_attempts=F("calls_made"))
    assert list(leads.values_list("pk", "call_attempts", "calls_made")) == []


def test_nobody_is_called_after_their_first_qualified_call_ended():
    earlier_qualified = CallSession.objects.filter(
        lead=OuterRef("lead"), outcome="qualified", ended_at__lte=OuterRef("initiated_at")
    )
    later = CallSession.objects.filter(Exists(earlier_qualified))
    assert list(later.values_list("call_sid", flat=True)) == []


def test_nobody_is_called_after_saying_not_interested():
    earlier = CallSession.objects.filter(
        lead=OuterRef("lead"), outcome="not_interested", ended_at__lte=OuterRef("initiated_at")
    )
    assert list(CallSession.objects.filter(Exists(earlier)).values_list("call_sid")) == []


def test_every_lead_with_a_qualified_call_is_qualified():
    leads = Lead.objects.filter(calls__outcome="qualified").exclude(status="qualified").distinct()
    assert list(leads.values_list("pk", "status")) == []


def test_no_lead_has_more_unanswered_calls_than_max_attempts():
    leads = Lead.objects.annotate(unanswered=Count("calls", filter=UNANSWERED)).filter(
        unanswered__gt=F("campaign__max_attempts")
    )
    assert list(leads.values_list("pk", "unanswered")) == []


def test_no_lead_has_more_calls_than_max_attempts():
    assert not Lead.objects.filter(call_attempts__gt=F("campaign__max_attempts")).exists()


def test_every_call_starts_within_its_campaigns_calling_hours():
    outside = [
        (call.call_sid, timezone.localtime(call.initiated_at).time())
        for call in CallSession.objects.select_related("campaign")
        if not (
            call.campaign.calling_hours_start
            <= timezone.localtime(call.initiated_at).time()
            < call.campaign.calling_hours_end
        )
    ]
    assert outside == []


def test_no_call_on_a_campaign_before_it_started_or_after_it_stopped():
    today = timezone.localdate()
    assert not CallSession.objects.filter(campaign__status=CampaignStatus.DRAFT).exists()
    assert not CallSession.objects.filter(initiated_at__lt=F("campaign__started_at")).exists()
    for status in (CampaignStatus.PAUSED, CampaignStatus.COMPLETED):
        stop = stopped_at(status, today)
        assert CallSession.objects.filter(campaign__status=status).exists()
        assert not CallSession.objects.filter(
            campaign__status=status, initiated_at__gte=stop
        ).exists()
    completed = Campaign.objects.get(status=CampaignStatus.COMPLETED)
    assert completed.completed_at == stopped_at(CampaignStatus.COMPLETED, today)

"""The lead admin's follow-up inline (what deleting leads pushes: test_live_counts_pushed)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_campaign, make_lead, make_user
from voiceagent.models import ScheduledCall, ScheduledCallReason, ScheduledCallStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(make_user("boss", staff=True, is_superuser=True))
    return client


def lead_form(lead, *, follow_ups=(), initial=0, **changes):
    """The lead change form as the admin posts it, with `follow_ups` as inline rows."""
    data = {
        "campaign": lead.campaign_id, "name": lead.name, "phone": lead.phone, "email": "",
        "city": "", "property_type": "", "budget": "", "preferred_locations": "",
        "status": "new", "dnc_reason": "",
        "scheduled_calls-TOTAL_FORMS": len(follow_ups), "scheduled_calls-INITIAL_FORMS": initial,
        "scheduled_calls-MIN_NUM_FORMS": 0, "scheduled_calls-MAX_NUM_FORMS": 1000,
        **changes,
    }  # fmt: skip
    for index, row in enumerate(follow_ups):
        data.update({f"scheduled_calls-{index}-{name}": value for name, value in row.items()})
    return data


def follow_up_row(lead, when, *, reason="callback", status="pending"):
    local = timezone.localtime(when)
    return {
        "lead": lead.pk, "reason": reason, "status": status,
        "scheduled_for_0": local.strftime("%Y-%m-%d"), "scheduled_for_1": local.strftime("%H:%M:%S"),
    }  # fmt: skip


def test_a_follow_up_added_inline_belongs_to_the_leads_campaign(staff_client):
    campaign = make_campaign("Powai launch")
    lead = make_lead(campaign, "Asha Rao", phone="+919812345670")
    when = (timezone.now() + timedelta(days=1)).replace(microsecond=0)

    response = staff_client.post(
        f"/admin/voiceagent/lead/{lead.pk}/change/",
        lead_form(lead, follow_ups=[follow_up_row(lead, when)]),
    )

    assert response.status_code == 302
    assert list(
        ScheduledCall.objects.values_list("lead", "campaign", "scheduled_for", "reason", "status")
    ) == [(lead.pk, campaign.pk, when, ScheduledCallReason.CALLBACK, ScheduledCallStatus.PENDING)]


def test_a_follow_up_added_inline_follows_the_campaign_the_lead_moves_to(staff_client):
    first, second = make_campaign("Powai launch"), make_campaign("Thane towers")
    lead = make_lead(first, "Asha Rao", phone="+919812345670")
    when = (timezone.now() + timedelta(days=1)).replace(microsecond=0)

    staff_client.post(
        f"/admin/voiceagent/lead/{lead.pk}/change/",
        lead_form(lead, follow_ups=[follow_up_row(lead, when)], campaign=second.pk),
    )

    assert list(ScheduledCall.objects.values_list("campaign", flat=True)) == [second.pk]


def test_a_lead_moved_to_another_campaign_takes_its_pending_follow_ups_along(staff_client):
    from tests.factories import make_scheduled_call

    first, second = make_campaign("Powai launch"), make_campaign("Thane towers")
    lead = make_lead(first, "Asha Rao", phone="+919812345670")
    pending = make_scheduled_call(lead)
    done = make_scheduled_call(lead, status=ScheduledCallStatus.DONE)

    response = staff_client.post(
        f"/admin/voiceagent/lead/{lead.pk}/change/", lead_form(lead, campaign=second.pk)
    )

    assert response.status_code == 302
    # The one done stays with the campaign it was called for; the pending one is called for
    # the campaign the lead is in now.
    assert dict(ScheduledCall.objects.values_list("pk", "campaign")) == {
        pending.pk: second.pk,
        done.pk: first.pk,
    }

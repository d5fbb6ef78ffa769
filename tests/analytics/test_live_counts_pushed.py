"""Live counts that change with no call event: a campaign paused or resumed (API, admin), a lead
closed, deleted or put on the do-not-call list, a number taken off it, a follow-up falling due. Each
pushes `counters` over the real Redis channel layer, so an open page never shows stale counts."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import transaction
from django.test import Client
from django.utils import timezone

from analytics import live
from tests.analytics.test_live_messages import counters_of
from tests.analytics.test_live_updates import connect, pushed_after, session_headers
from tests.conftest import api_client_for
from tests.factories import make_call, make_campaign, make_lead, make_scheduled_call, make_user
from voiceagent.ingestion.services import reproject_leads
from voiceagent.models import CallStatus, ScheduledCall, ScheduledCallStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_live_state")]


def received(*expected):
    return lambda messages: counters_of(messages) == list(expected)


def admin_post(user, url, data):
    def action():
        client = Client()
        client.force_login(user)
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]

    return action


def build_queue(campaign):
    """A call in progress, a queued call and two follow-ups due: 1 in progress, 3 queued."""
    lead = make_lead(campaign)
    make_call(make_lead(campaign), status=CallStatus.IN_PROGRESS, answered=False)
    make_call(make_lead(campaign), status=CallStatus.QUEUED, answered=False)
    make_scheduled_call(lead, scheduled_for=timezone.now() - timedelta(minutes=10))
    make_scheduled_call(lead, scheduled_for=timezone.now() - timedelta(days=1))
    return lead


def patch(user, url, body):
    def action():
        response = api_client_for(user).patch(url, body, format="json")
        assert response.status_code == 200, response.content

    return action


def test_pausing_and_resuming_a_campaign_through_the_api_pushes_its_counts(team):
    build_queue(team.campaign)
    url = f"/api/campaigns/{team.campaign.pk}"
    campaign = team.campaign.pk

    messages = pushed_after(
        f"/ws/campaigns/{campaign}/",
        session_headers(team.member),
        (patch(team.staff, url, {"status": "paused"}), received((campaign, 1, 0))),
        (
            patch(team.staff, url, {"status": "running"}),
            received((campaign, 1, 0), (campaign, 1, 3)),
        ),
    )

    # Paused: its queued call and due follow-ups wait for nobody; resumed: they are back.
    assert counters_of(messages) == [(campaign, 1, 0), (campaign, 1, 3)]
    assert {m["group"] for m in messages} == {f"campaign.{campaign}"}
    sequence = [m["seq"] for m in messages]
    assert sequence == [sequence[0], sequence[0] + 1]


def test_pausing_a_campaign_in_the_admin_pushes_its_counts(team):
    build_queue(team.campaign)
    boss = make_user("boss", staff=True, is_superuser=True)

    pause_in_admin = admin_post(boss, f"/admin/voiceagent/campaign/{team.campaign.pk}/change/", {
        "name": "Powai launch", "description": "", "status": "paused", "max_attempts": 3,
        "retry_delay_minutes": 120, "callback_delay_minutes": 1440,
        "calling_hours_start": "09:00", "calling_hours_end": "21:00",
        "score_weights": "{}", "members": [team.member.pk],
        "created_at_0": "2026-01-01", "created_at_1": "10:00:00",
    })  # fmt: skip

    messages = pushed_after(
        "/ws/dashboard/",
        session_headers(team.staff),
        (pause_in_admin, received((team.campaign.pk, 1, 0))),
    )

    assert counters_of(messages) == [(team.campaign.pk, 1, 0)]
    assert [m["group"] for m in messages] == ["staff"]


def test_a_lead_closed_through_the_api_takes_its_follow_ups_out_of_the_pushed_counts(team):
    lead = build_queue(team.campaign)

    messages = pushed_after(
        "/ws/dashboard/",
        session_headers(team.member),
        (
            patch(team.staff, f"/api/leads/{lead.pk}", {"status": "not_interested"}),
            received((team.campaign.pk, 1, 1)),
        ),
    )

    assert counters_of(messages) == [(team.campaign.pk, 1, 1)]
    assert ScheduledCall.objects.filter(lead=lead, status=ScheduledCallStatus.CANCELED).count() == 2


def test_a_number_put_on_the_dnc_list_pushes_the_counts_of_each_campaign_calling_it(team):
    phone = "+919812345678"
    mine = make_lead(team.campaign, phone=phone)
    theirs = make_lead(team.other_campaign, phone=phone)
    make_scheduled_call(mine)
    make_scheduled_call(theirs)
    make_scheduled_call(make_lead(team.other_campaign))

    def put_on_dnc():
        response = api_client_for(team.staff).post(
            "/api/dnc", {"phone": phone, "reason": "asked"}, format="json"
        )
        assert response.status_code == 201, response.content

    messages = pushed_after(
        "/ws/dashboard/",
        session_headers(team.staff),
        (put_on_dnc, lambda messages: len(counters_of(messages)) == 2),
    )

    assert sorted(counters_of(messages)) == [
        (team.campaign.pk, 0, 0),
        (team.other_campaign.pk, 0, 1),
    ]


def test_a_number_taken_off_the_dnc_list_pushes_its_follow_up_back(team):
    # Unanswered 3 h ago: the campaign's retry (after 120 min) is due since an hour.
    lead = make_lead(team.campaign, phone="+919812345679")
    make_call(lead, status=CallStatus.NO_ANSWER, initiated_at=timezone.now() - timedelta(hours=3))
    with transaction.atomic():
        reproject_leads(lead_ids=[lead.pk])
    staff = api_client_for(team.staff)

    def put_on_dnc():
        response = staff.post("/api/dnc", {"phone": lead.phone}, format="json")
        assert response.status_code == 201, response.content

    def take_off_dnc():
        response = staff.delete(f"/api/dnc/{lead.phone}")
        assert response.status_code == 204, response.content

    messages = pushed_after(
        f"/ws/campaigns/{team.campaign.pk}/",
        session_headers(team.member),
        (put_on_dnc, received((team.campaign.pk, 0, 0))),
        (take_off_dnc, received((team.campaign.pk, 0, 0), (team.campaign.pk, 0, 1))),
    )

    assert counters_of(messages) == [(team.campaign.pk, 0, 0), (team.campaign.pk, 0, 1)]
    assert ScheduledCall.objects.get(lead=lead).status == ScheduledCallStatus.PENDING


def test_a_follow_up_falling_due_pushes_its_campaigns_counts(team, settings):
    settings.LIVE_DUE_CHECK_SECONDS = 1
    lead = make_lead(team.campaign)
    make_scheduled_call(lead, scheduled_for=timezone.now() + timedelta(seconds=1.5))
    make_scheduled_call(lead, scheduled_for=timezone.now() + timedelta(hours=1))
    # Another campaign's follow-up falls due too; the member's socket hears nothing of it.
    make_scheduled_call(
        make_lead(team.other_campaign), scheduled_for=timezone.now() + timedelta(seconds=1.5)
    )
    # A paused campaign's follow-up falling due changes no count: nothing is pushed for it.
    paused = make_campaign("Paused one", status="paused", members=[team.member])
    make_scheduled_call(make_lead(paused), scheduled_for=timezone.now() + timedelta(seconds=1.5))

    messages = pushed_after(
        "/ws/dashboard/",
        session_headers(team.member),
        (None, received((team.campaign.pk, 0, 1))),
    )

    assert counters_of(messages) == [(team.campaign.pk, 0, 1)]
    assert [m["group"] for m in messages] == [f"campaign.{team.campaign.pk}"]


def test_the_look_for_follow_ups_falling_due_stops_with_the_last_socket(team):
    headers = session_headers(team.member)

    async def scenario():
        loop = asyncio.get_running_loop()
        first, connected, _ = await connect("/ws/dashboard/", headers)
        second, _, _ = await connect("/ws/dashboard/", headers)
        assert connected
        task = live.due_follow_up_watch.loops[loop][1]
        opened = live.due_follow_up_watch.loops[loop][0]
        await first.disconnect()
        still = (live.due_follow_up_watch.loops[loop][0], task.cancelled())
        await second.disconnect()
        await asyncio.sleep(0)
        return opened, still, loop in live.due_follow_up_watch.loops, task.cancelled()

    assert async_to_sync(scenario)() == (2, (1, False), False, True)


def test_in_embedded_mode_a_paused_campaigns_counts_are_pushed_at_once(team, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    build_queue(team.campaign)

    messages = pushed_after(
        "/ws/dashboard/",
        session_headers(team.member),
        (
            patch(team.staff, f"/api/campaigns/{team.campaign.pk}", {"status": "paused"}),
            received((team.campaign.pk, 1, 0)),
        ),
    )

    assert counters_of(messages) == [(team.campaign.pk, 1, 0)]


def test_a_follow_up_added_in_the_admin_pushes_its_campaigns_counts(team):
    lead = make_lead(team.campaign)
    boss = make_user("boss", staff=True, is_superuser=True)
    due = timezone.localtime(timezone.now() - timedelta(hours=1))
    add = admin_post(boss, "/admin/voiceagent/scheduledcall/add/", {
        "lead": lead.pk, "campaign": team.campaign.pk, "reason": "callback", "status": "pending",
        "scheduled_for_0": due.strftime("%Y-%m-%d"), "scheduled_for_1": due.strftime("%H:%M:%S"),
    })  # fmt: skip

    messages = pushed_after(
        f"/ws/campaigns/{team.campaign.pk}/",
        session_headers(team.member),
        (add, received((team.campaign.pk, 0, 1))),
    )

    assert counters_of(messages) == [(team.campaign.pk, 0, 1)]


def test_a_follow_up_canceled_in_the_lead_admin_pushes_its_campaigns_counts(team):
    lead = make_lead(team.campaign, "Asha Rao", phone="+919812345670")
    follow_up = make_scheduled_call(lead)
    boss = make_user("boss", staff=True, is_superuser=True)
    due = timezone.localtime(follow_up.scheduled_for)
    cancel = admin_post(boss, f"/admin/voiceagent/lead/{lead.pk}/change/", {
        "campaign": team.campaign.pk, "name": "Asha Rao", "phone": "+919812345670", "email": "",
        "city": "", "property_type": "", "budget": "", "preferred_locations": "",
        "status": "new", "dnc_reason": "",
        "scheduled_calls-TOTAL_FORMS": 1, "scheduled_calls-INITIAL_FORMS": 1,
        "scheduled_calls-MIN_NUM_FORMS": 0, "scheduled_calls-MAX_NUM_FORMS": 1000,
        "scheduled_calls-0-id": follow_up.pk, "scheduled_calls-0-lead": lead.pk,
        "scheduled_calls-0-scheduled_for_0": due.strftime("%Y-%m-%d"),
        "scheduled_calls-0-scheduled_for_1": due.strftime("%H:%M:%S"),
        "scheduled_calls-0-reason": "retry", "scheduled_calls-0-status": "canceled",
    })  # fmt: skip

    messages = pushed_after(
        "/ws/dashboard/",
        session_headers(team.member),
        (cancel, received((team.campaign.pk, 0, 0))),
    )

    assert counters_of(messages) == [(team.campaign.pk, 0, 0)]
    assert ScheduledCall.objects.get(pk=follow_up.pk).status == ScheduledCallStatus.CANCELED


def test_a_lead_deleted_in_the_admin_takes_its_follow_ups_out_of_the_pushed_counts(team):
    lead = build_queue(team.campaign)
    boss = make_user("boss", staff=True, is_superuser=True)
    delete = admin_post(boss, f"/admin/voiceagent/lead/{lead.pk}/delete/", {"post": "yes"})

    messages = pushed_after(
        "/ws/dashboard/",
        session_headers(team.staff),
        (delete, received((team.campaign.pk, 1, 1))),
    )

    # Its two follow-ups due went with it; the queued call of another lead stays.
    assert counters_of(messages) == [(team.campaign.pk, 1, 1)]
    assert ScheduledCall.objects.filter(lead_id=lead.pk).count() == 0


def test_leads_deleted_by_the_admins_bulk_action_push_each_campaigns_counts(team):
    mine, theirs = make_lead(team.campaign), make_lead(team.other_campaign)
    due = timezone.now() - timedelta(minutes=10)
    make_scheduled_call(mine, scheduled_for=due)
    make_scheduled_call(theirs, scheduled_for=due)
    make_scheduled_call(make_lead(team.other_campaign), scheduled_for=due)
    boss = make_user("boss", staff=True, is_superuser=True)
    delete = admin_post(boss, "/admin/voiceagent/lead/", {
        "action": "delete_selected", "_selected_action": [mine.pk, theirs.pk], "post": "yes",
    })  # fmt: skip

    messages = pushed_after(
        "/ws/dashboard/",
        session_headers(team.staff),
        (delete, received((team.campaign.pk, 0, 0), (team.other_campaign.pk, 0, 1))),
    )

    assert sorted(counters_of(messages)) == [
        (team.campaign.pk, 0, 0),
        (team.other_campaign.pk, 0, 1),
    ]

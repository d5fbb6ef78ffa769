"""GET /analytics/leads/activity: leads most recently called first, with their next action."""

from datetime import timedelta

import pytest

from tests.analytics.conftest import ist
from tests.factories import make_campaign, make_lead, make_scheduled_call
from voiceagent.models import ScheduledCallStatus

pytestmark = pytest.mark.django_db


def test_every_field_most_recent_first_never_called_last(team, get_json):
    called_early = make_lead(
        team.campaign,
        "Early",
        phone="+919800000101",
        city="Thane",
        status="contacted",
        call_attempts=1,
        last_call_at=ist(2025, 3, 9, 10, 0),
        last_outcome="no_answer",
    )
    called_late = make_lead(team.campaign, "Late", phone="+919800000102", status="callback",
                            call_attempts=2, last_call_at=ist(2025, 3, 10, 18, 30),
                            last_outcome="callback_requested")  # fmt: skip
    never = make_lead(team.campaign, "Never", phone="+919800000103")
    make_lead(team.other_campaign, "Not yours", last_call_at=ist(2025, 3, 11))
    # The earliest *pending* scheduled call is the next action; done or canceled ones are not.
    make_scheduled_call(
        called_early,
        reason="retry",
        scheduled_for=ist(2025, 3, 9, 12, 0),
        status=ScheduledCallStatus.DONE,
    )
    make_scheduled_call(called_early, reason="retry", scheduled_for=ist(2025, 3, 12, 10, 0))
    make_scheduled_call(called_late, reason="callback", scheduled_for=ist(2025, 3, 11, 18, 30))
    make_scheduled_call(called_late, reason="retry", scheduled_for=ist(2025, 3, 13, 9, 0))
    make_scheduled_call(never, reason="retry", scheduled_for=ist(2025, 3, 8, 9, 0),
                        status=ScheduledCallStatus.CANCELED)  # fmt: skip

    body = get_json("/analytics/leads/activity")

    common = {"campaign_id": team.campaign.pk, "campaign_name": "Powai launch", "is_dnc": False}
    assert body == [
        {"lead_id": called_late.pk, "name": "Late", "phone": "+91 98XXX XX102", "phone_display": "+91 98XXX XX102", "city": "",
         **common, "status": "callback", "call_attempts": 2,
         "last_call_at": "2025-03-10T18:30:00+05:30", "last_outcome": "callback_requested",
         "call_in_progress": None, "score": 0, "score_reasons": "",
         "next_action": {"reason": "callback", "scheduled_for": "2025-03-11T18:30:00+05:30"}},
        {"lead_id": called_early.pk, "name": "Early", "phone": "+91 98XXX XX101", "phone_display": "+91 98XXX XX101", "city": "Thane",
         **common, "status": "contacted", "call_attempts": 1,
         "last_call_at": "2025-03-09T10:00:00+05:30", "last_outcome": "no_answer",
         "call_in_progress": None, "score": 0, "score_reasons": "",
         "next_action": {"reason": "retry", "scheduled_for": "2025-03-12T10:00:00+05:30"}},
        {"lead_id": never.pk, "name": "Never", "phone": "+91 98XXX XX103", "phone_display": "+91 98XXX XX103", "city": "", **common,
         "status": "new", "call_attempts": 0, "last_call_at": None, "last_outcome": "",
         "call_in_progress": None, "next_action": None, "score": 0, "score_reasons": ""},
    ]  # fmt: skip


def test_status_campaign_and_limit_narrow_the_list(team, get_json):
    second = make_campaign("Thane towers", members=[team.member])
    base = ist(2025, 3, 10)
    for hours in range(3):
        make_lead(team.campaign, f"Q{hours}", status="qualified",
                  last_call_at=base + timedelta(hours=hours))  # fmt: skip
    make_lead(team.campaign, "Contacted", status="contacted", last_call_at=base)
    make_lead(second, "Elsewhere", status="qualified", last_call_at=base + timedelta(hours=9))

    body = get_json(
        f"/analytics/leads/activity?campaign_id={team.campaign.pk}&status=qualified&limit=2"
    )

    assert [lead["name"] for lead in body] == ["Q2", "Q1"]


def test_another_teams_campaign_is_404(team, get_json):
    assert get_json(
        f"/analytics/leads/activity?campaign_id={team.other_campaign.pk}", status=404
    ) == {"detail": "No campaign with that id."}


def test_one_statement_reads_a_campaigns_leads_and_checks_it_is_visible(
    team, member_client, django_assert_num_queries
):
    """The member's session, their permissions (phones are masked for them) and the leads, an
    empty page included; another team's campaign answers 404 after the session and the one
    statement."""
    make_lead(team.campaign, "Asha", status="contacted")
    url = f"/analytics/leads/activity?campaign_id={team.campaign.pk}"
    with django_assert_num_queries(4):
        assert [lead["name"] for lead in member_client.get(url).json()] == ["Asha"]
    with django_assert_num_queries(4):
        assert member_client.get(f"{url}&status=qualified").json() == []
    with django_assert_num_queries(2):
        assert member_client.get(
            f"/analytics/leads/activity?campaign_id={team.other_campaign.pk}"
        ).json() == {"detail": "No campaign with that id."}


def test_last_call_is_the_last_finished_one_and_a_live_call_shows_beside_it(team, get_json, client):
    from tests.voiceagent.ingestion.call_scripts import CallScript, at, unanswered_call
    from voiceagent.ingestion.services import ingest_events

    lead = make_lead(team.campaign, "Rohan Iyer")
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    live = CallScript(lead, "CA2", start=3600).dialled().add("call.answered", 10)
    ingest_events(events=live.events, source="api")

    [row] = get_json(f"/analytics/leads/activity?campaign_id={team.campaign.pk}")

    assert (row["call_attempts"], row["last_call_at"], row["last_outcome"]) == (
        2, at(2).isoformat(), "no_answer",
    )  # fmt: skip
    assert row["call_in_progress"] == {
        "call_sid": "CA2", "started_at": at(3602).isoformat(),
    }  # fmt: skip
    client.force_login(team.member)
    page = client.get(f"/campaigns/{team.campaign.pk}/").content.decode()
    table = page[page.index('aria-label="Lead activity"') :]
    cell = table[table.index('data-label="Last call"') :][:400]
    assert '<a href="/calls/CA1">15 Jan, 11:00</a> · No answer' in cell, cell
    assert '<a href="/calls/CA2">In progress now</a>' in page

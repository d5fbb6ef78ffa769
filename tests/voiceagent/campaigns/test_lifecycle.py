"""The lead lifecycle, as every writer applies it: ingestion, the DNC list, the API, the admin."""

import itertools
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from tests.conftest import api_client_for
from tests.factories import make_campaign, make_lead
from tests.voiceagent.ingestion.call_scripts import (
    CallScript,
    answered_call,
    at,
    call_state,
    lead_state,
    unanswered_call,
    voicemail_call,
)
from voiceagent.campaigns import dnc
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import ScheduledCall

pytestmark = pytest.mark.django_db

HOUR = 3600


def follow_ups(lead):
    return sorted(
        ScheduledCall.objects.filter(lead=lead).values_list(
            "source_call__call_sid", "reason", "status"
        )
    )


def test_a_qualified_lead_stays_qualified_after_a_later_call(team):
    lead = make_lead(team.campaign)
    ingest_events(events=answered_call(lead, "CA1"), source="api")
    ingest_events(
        events=answered_call(lead, "CA2", outcome="not_interested", start=HOUR), source="api"
    )

    assert call_state("CA2")["outcome"] == "not_interested"
    # "Last call" is the later call, with its own outcome; the lead stays qualified.
    assert lead_state(lead) == (2, at(HOUR + 2), "not_interested", "qualified")


def test_a_qualified_call_arriving_late_still_makes_the_lead_qualified(team):
    lead = make_lead(team.campaign)
    ingest_events(
        events=answered_call(lead, "CA2", outcome="not_interested", start=HOUR), source="api"
    )
    ingest_events(events=answered_call(lead, "CA1"), source="api")

    assert lead_state(lead) == (2, at(HOUR + 2), "not_interested", "qualified")


def test_a_qualified_lead_asking_for_a_callback_later_gets_no_follow_up(team):
    lead = make_lead(team.campaign)
    ingest_events(events=answered_call(lead, "CA1"), source="api")
    ingest_events(
        events=answered_call(lead, "CA2", outcome="callback_requested", start=HOUR),
        source="api",
    )

    assert follow_ups(lead) == [("CA2", "callback", "canceled")]
    assert lead_state(lead)[3] == "qualified"


def test_a_late_qualified_call_cancels_the_pending_callback(team):
    lead = make_lead(team.campaign)
    ingest_events(
        events=answered_call(lead, "CA2", outcome="callback_requested", start=HOUR),
        source="api",
    )
    assert follow_ups(lead) == [("CA2", "callback", "pending")]

    ingest_events(events=answered_call(lead, "CA1"), source="api")

    assert follow_ups(lead) == [("CA2", "callback", "canceled")]
    assert lead_state(lead)[3] == "qualified"


def test_voicemail_is_no_answer_retried_and_counts_towards_unreachable():
    campaign = make_campaign(max_attempts=2, retry_delay_minutes=60)
    lead = make_lead(campaign)

    ingest_events(events=voicemail_call(lead, "CA1"), source="api")
    assert call_state("CA1")["follow_up"] == [("retry", at(30) + timedelta(minutes=60), "pending")]

    ingest_events(events=unanswered_call(lead, "CA2", start=2 * HOUR), source="api")
    assert call_state("CA1")["follow_up"] == [("retry", at(30) + timedelta(minutes=60), "done")]
    assert call_state("CA2")["follow_up"] == []
    assert lead_state(lead) == (2, at(2 * HOUR + 2), "no_answer", "unreachable")


def test_no_follow_up_of_any_kind_past_max_attempts():
    campaign = make_campaign(max_attempts=2)
    lead = make_lead(campaign)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    ingest_events(
        events=answered_call(lead, "CA2", outcome="callback_requested", start=3 * HOUR),
        source="api",
    )

    assert follow_ups(lead) == [("CA1", "retry", "done")]
    assert lead_state(lead) == (2, at(3 * HOUR + 2), "callback_requested", "callback")


def test_last_call_is_the_last_finished_call_while_another_is_in_progress(team):
    lead = make_lead(team.campaign)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    in_progress = CallScript(lead, "CA2", start=3 * HOUR).dialled().add("call.answered", 10)
    ingest_events(events=in_progress.events, source="api")

    assert lead_state(lead) == (2, at(2), "no_answer", "contacted")


def test_a_lead_put_on_the_dnc_list_loses_its_pending_follow_ups(team):
    lead = make_lead(team.campaign)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    assert follow_ups(lead) == [("CA1", "retry", "pending")]

    dnc.add_to_dnc(phones=[lead.phone], reason="Asked not to be called")

    assert follow_ups(lead) == [("CA1", "retry", "canceled")]


def test_a_canceled_follow_up_stays_canceled_when_the_lead_is_projected_again(team):
    lead = make_lead(team.campaign)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    dnc.add_to_dnc(phones=[lead.phone])
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")  # a replay
    # A call from before CA1, reported late: the lead is projected again; CA1 is still its last.
    ingest_events(events=unanswered_call(lead, "CA0", start=-HOUR), source="api")

    assert follow_ups(lead) == [("CA0", "retry", "done"), ("CA1", "retry", "canceled")]


def test_a_closed_lead_gets_the_same_follow_ups_whatever_order_its_calls_arrive_in(team):
    first, second = make_lead(team.campaign), make_lead(team.campaign)
    qualified, unanswered = answered_call(first, "CA1"), unanswered_call(first, "CA2", start=HOUR)
    ingest_events(events=qualified, source="api")
    ingest_events(events=unanswered, source="api")
    qualified, unanswered = answered_call(second, "CB1"), unanswered_call(second, "CB2", start=HOUR)
    ingest_events(events=unanswered, source="api")
    ingest_events(events=qualified, source="api")

    assert follow_ups(first) == [("CA2", "retry", "canceled")]
    assert follow_ups(second) == [("CB2", "retry", "canceled")]
    assert lead_state(first)[3] == lead_state(second)[3] == "qualified"


def test_staff_closing_a_lead_through_the_api_cancels_its_follow_ups(team):
    lead = make_lead(team.campaign)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")

    response = api_client_for(team.staff).patch(
        f"/api/leads/{lead.pk}/", {"status": "not_interested"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert follow_ups(lead) == [("CA1", "retry", "canceled")]


def test_staff_reopening_a_lead_through_the_api_keeps_its_follow_ups(team):
    lead = make_lead(team.campaign)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")

    response = api_client_for(team.staff).patch(
        f"/api/leads/{lead.pk}/", {"status": "callback"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert follow_ups(lead) == [("CA1", "retry", "pending")]


class FormValues(HTMLParser):
    """The values a browser would submit for the forms of a page (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox", "file"):
            self.values[name] = attrs.get("value") or ""
        elif tag == "input" and name and attrs.get("type") == "checkbox" and "checked" in attrs:
            self.values[name] = attrs.get("value") or "on"
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def test_staff_closing_a_lead_in_the_admin_cancels_its_follow_ups(team, admin_client):
    lead = make_lead(team.campaign, "Rohan Iyer")
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    url = f"/admin/voiceagent/lead/{lead.pk}/change/"
    page = FormValues()
    page.feed(admin_client.get(url).content.decode())

    response = admin_client.post(url, {**page.values, "status": "qualified"})

    assert response.status_code == 302, response.content.decode()[-3000:]
    assert follow_ups(lead) == [("CA1", "retry", "canceled")]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_three_calls_leave_the_same_rows_in_every_arrival_order(order):
    from tests.voiceagent.ingestion.call_scripts import database_rows

    campaign = make_campaign(max_attempts=3)
    lead = make_lead(campaign)
    calls = [
        unanswered_call(lead, "CR", start=0),
        answered_call(lead, "CQ", start=HOUR),
        unanswered_call(lead, "CA", start=2 * HOUR),
    ]
    for index in order:
        ingest_events(events=calls[index], source="api")

    rows = database_rows()
    assert rows["follow_ups"] == [(lead.pk, "CR", "retry", at(34) + timedelta(minutes=120), "done")]
    assert rows["leads"] == [(lead.pk, 3, at(2 * HOUR + 2), "no_answer", "qualified")]


def test_a_canceled_call_uses_up_no_attempt():
    campaign = make_campaign(max_attempts=3)
    lead = make_lead(campaign)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    canceled = CallScript(lead, "CA2", start=HOUR).add("call.queued", 0)
    canceled.add("exotel.status", 5, {"status": "canceled"}, event_id="exotel:CA2:canceled")
    ingest_events(events=canceled.events[:1], source="api")
    ingest_events(events=canceled.events[1:], source="exotel")
    ingest_events(events=unanswered_call(lead, "CA3", start=2 * HOUR), source="api")

    assert call_state("CA2")["status"] == "canceled"
    assert follow_ups(lead) == [("CA1", "retry", "done"), ("CA3", "retry", "pending")]
    assert lead_state(lead)[3] == "contacted"


def test_failed_calls_count_as_unanswered_until_the_lead_is_unreachable():
    campaign = make_campaign(max_attempts=2)
    lead = make_lead(campaign)
    ingest_events(events=unanswered_call(lead, "CA1", outcome="failed"), source="api")
    ingest_events(events=unanswered_call(lead, "CA2", outcome="failed", start=HOUR), source="api")

    assert follow_ups(lead) == [("CA1", "retry", "done")]
    assert lead_state(lead) == (2, at(HOUR + 2), "failed", "unreachable")


def test_a_number_taken_off_the_dnc_list_makes_its_lead_callable_again(team):
    lead = make_lead(team.campaign)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    dnc.add_to_dnc(phones=[lead.phone], reason="Asked not to be called")
    assert follow_ups(lead) == [("CA1", "retry", "canceled")]

    assert dnc.remove_from_dnc(phone=lead.phone) is True

    assert follow_ups(lead) == [("CA1", "retry", "pending")]
    assert lead_state(lead) == (1, at(2), "no_answer", "contacted")


def test_an_uncalled_lead_marked_dnc_is_new_again_off_the_list(team):
    lead = make_lead(team.campaign, is_dnc=True, status="dnc")
    dnc.add_to_dnc(phones=[lead.phone])

    dnc.remove_from_dnc(phone=lead.phone)

    lead.refresh_from_db()
    assert (lead.is_dnc, lead.status) == (False, "new")


def test_a_lead_the_import_flags_dnc_loses_its_pending_follow_ups(team):
    import io

    from tests.voiceagent.lead_import.files import csv_bytes
    from voiceagent.lead_import.services import import_leads
    from voiceagent.models import DoNotCall

    lead = make_lead(team.campaign, "Dee", phone="+919812345680")
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    DoNotCall.objects.create(phone="+919812345680", reason="Complained")

    file = io.BytesIO(csv_bytes([["Name", "Phone"], ["Dee", "9812345680"]]))
    import_leads(campaign=team.campaign, file=file, filename="leads.csv")

    assert follow_ups(lead) == [("CA1", "retry", "canceled")]


def test_a_follow_up_added_by_hand_for_a_closed_lead_is_not_queued(team):
    from tests.factories import make_scheduled_call
    from voiceagent.models import ScheduledCall as Scheduled

    closed = make_lead(team.campaign, status="qualified")
    open_ = make_lead(team.campaign, status="contacted")
    make_scheduled_call(closed)
    make_scheduled_call(open_)

    assert list(Scheduled.objects.queued().values_list("lead_id", flat=True)) == [open_.pk]

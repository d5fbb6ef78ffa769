"""Editing a lead writes what the edit changed, on the lead as it is now: a call that ended
meanwhile keeps what ingestion wrote to the lead."""

import pytest

from tests.factories import make_campaign, make_lead
from tests.voiceagent.ingestion.call_scripts import answered_call
from voiceagent.campaigns.services import update_lead
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import Lead

pytestmark = pytest.mark.django_db


def test_editing_a_leads_city_keeps_what_a_batch_wrote_to_it_meanwhile():
    lead = make_lead(make_campaign("Powai"), city="Pune")
    loaded_by_the_request = Lead.objects.get(pk=lead.pk)  # the API's get_object()
    ingest_events(events=answered_call(lead, "CA-meanwhile"), source="api")
    written = Lead.objects.values_list("status", "call_attempts", "last_outcome").get(pk=lead.pk)
    assert written == ("qualified", 1, "qualified")

    update_lead(lead=loaded_by_the_request, city="Thane")

    assert Lead.objects.values_list("status", "call_attempts", "last_outcome", "city").get(
        pk=lead.pk
    ) == (*written, "Thane")

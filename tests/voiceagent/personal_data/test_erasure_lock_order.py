"""An erasure locks its lead and the leads sharing its number in one id-ordered statement, as
a batch takes leads: locked one by one, the erased lead first, a batch holding a lower lead
while waiting for the erased one deadlocked with it (PostgreSQL aborted one of them)."""

import pytest

from tests.factories import make_campaign, make_lead, make_scheduled_call, make_user
from tests.voiceagent.campaigns.test_lock_order import _queued, _race
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import ScheduledCall
from voiceagent.personal_data.erasure import erase_lead

pytestmark = pytest.mark.django_db(transaction=True)


def test_erasing_a_lead_sharing_its_number_with_a_lower_lead_never_deadlocks_with_a_batch(caplog):
    phone = "+919812345670"
    lower = make_lead(make_campaign("Andheri"), phone=phone)
    higher = make_lead(make_campaign("Powai"), phone=phone)
    assert lower.pk < higher.pk
    make_scheduled_call(higher)
    staff = make_user("dpo", staff=True)
    caplog.set_level("INFO", logger="voiceagent.ingestion.services")
    batch = _queued((lower, "CA-lower"), (higher, "CA-higher"))

    failures = _race(
        # The erasure, holding the higher lead FOR UPDATE, waits to cancel its follow-up ...
        held=ScheduledCall.objects.filter(lead=higher),
        first=lambda: erase_lead(lead=higher, reason="asked", erased_by=staff),
        # ... while the batch locks the lower lead and waits for the higher one.
        second=lambda: ingest_events(events=batch, source="api"),
    )

    assert failures == []
    assert "retrying" not in caplog.text  # neither was chosen as a deadlock's victim

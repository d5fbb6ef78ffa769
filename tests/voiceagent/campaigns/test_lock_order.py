"""Campaign edits, rescoring, lead imports and DNC changes never deadlock with ingestion
(voiceagent/campaigns/locks.py): real PostgreSQL, each writer a thread on its own connection.

Each test stops one writer at a chosen lock with a row held by a third connection
(tests.db_locks.rows_held), lets the other writer run into it, then lets both go: the order in
which they took their locks decides whether both commit or PostgreSQL breaks a deadlock by
aborting one (ingestion then logs a retry; any other writer fails).
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.db_locks import WAIT, in_thread, rows_held, wait_for_a_lock_wait
from tests.factories import make_campaign, make_lead, make_phone, make_user
from tests.voiceagent.ingestion.call_scripts import CallScript
from tests.voiceagent.lead_import.files import csv_bytes
from tests.voiceagent.test_campaign_admin import change_url, form_data
from voiceagent.campaigns.dnc import add_to_dnc
from voiceagent.campaigns.services import update_campaign
from voiceagent.ingestion.services import ingest_events
from voiceagent.lead_import.services import import_leads
from voiceagent.models import CallSession, Lead

pytestmark = pytest.mark.django_db(transaction=True)

IN_BAND = {"price_band_min": 6_000_000, "price_band_max": 9_000_000}


def _queued(*calls):
    """A batch queueing one call per (lead, call_sid)."""
    return [
        event for lead, sid in calls for event in CallScript(lead, sid).add("call.queued", 0).events
    ]


def _race(*, held, first, second):
    """Run `first` until it waits for the `held` rows, then `second` until it waits too, then
    release the rows; returns the writers' exceptions once both ended."""
    failures = []
    with rows_held(held):
        writers = [in_thread(first, failures)]
        assert wait_for_a_lock_wait(1, waiters=writers), failures
        writers.append(in_thread(second, failures))
        assert wait_for_a_lock_wait(2, waiters=writers), failures
    for writer in writers:
        writer.join(WAIT)
    assert not any(writer.is_alive() for writer in writers)
    return failures


def _batch_holding_its_lead_and_waiting(lead):
    """(rows to hold, batch): a batch on a stored call of `lead` and a new one locks the lead,
    then waits for the held stored call, before it inserts the new call (whose foreign-key
    check takes FOR KEY SHARE on the campaign)."""
    ingest_events(events=_queued((lead, "CA-stored")), source="api")
    stored = CallScript(lead, "CA-stored").add("call.initiated", 2, event_id="CA-stored-initiated")
    return CallSession.objects.filter(call_sid="CA-stored"), stored.events + _queued(
        (lead, "CA-new")
    )


def test_a_price_band_edit_waits_for_a_batch_holding_one_of_its_leads_and_both_commit(caplog):
    lead = make_lead(make_campaign("Edited"), budget=8_000_000)
    held, batch = _batch_holding_its_lead_and_waiting(lead)
    caplog.set_level("INFO", logger="voiceagent.ingestion.services")

    failures = _race(
        held=held,
        first=lambda: ingest_events(events=batch, source="api"),
        second=lambda: update_campaign(campaign=lead.campaign, **IN_BAND),
    )

    assert failures == []
    assert "retrying" not in caplog.text  # the batch was never chosen as a deadlock's victim
    assert Lead.objects.values_list("score", "score_reasons").get(pk=lead.pk) == (
        15,
        "budget in the price band (+15)",
    )
    assert sorted(CallSession.objects.values_list("call_sid", "status")) == [
        ("CA-new", "queued"),
        ("CA-stored", "initiated"),
    ]


def test_a_price_band_edit_saved_in_the_admin_waits_for_a_batch_and_both_commit(client, caplog):
    lead = make_lead(make_campaign("Powai launch"), budget=8_000_000)
    held, batch = _batch_holding_its_lead_and_waiting(lead)
    client.force_login(make_user("boss", staff=True, is_superuser=True))
    caplog.set_level("INFO", logger="voiceagent.ingestion.services")
    answers = []

    failures = _race(
        held=held,
        first=lambda: ingest_events(events=batch, source="api"),
        second=lambda: answers.append(
            client.post(change_url(lead.campaign), form_data(**IN_BAND)).status_code
        ),
    )

    assert (failures, answers) == ([], [302])
    assert "retrying" not in caplog.text
    assert Lead.objects.values_list("score", flat=True).get(pk=lead.pk) == 15
    assert CallSession.objects.count() == 2


def _two_leads_stored_out_of_id_order(campaign, **fields):
    """(lower, higher) leads of the campaign, the higher id stored first: a statement scanning
    the table meets it first, a lock taken in id order the other one."""
    higher = make_lead(campaign, id=10**12, **fields)
    lower = make_lead(campaign, **fields)
    assert lower.pk < higher.pk
    return lower, higher


def _write_while_a_batch_locks_both(write, lower, higher, caplog):
    """`write` runs until it waits for the held higher lead; a batch of both leads then waits
    too; returns the exceptions once the lead is released and both ended."""
    caplog.set_level("INFO", logger="voiceagent.ingestion.services")
    batch = _queued((lower, "CA-lower"), (higher, "CA-higher"))
    failures = _race(
        held=Lead.objects.filter(pk=higher.pk),
        first=write,
        second=lambda: ingest_events(events=batch, source="api"),
    )
    assert CallSession.objects.count() == 2
    return failures


def test_rescoring_an_edited_campaign_takes_its_leads_in_id_order_as_ingestion_does(caplog):
    lower, higher = _two_leads_stored_out_of_id_order(make_campaign("Rescored"), budget=8_000_000)

    failures = _write_while_a_batch_locks_both(
        lambda: update_campaign(campaign=lower.campaign, **IN_BAND), lower, higher, caplog
    )

    assert failures == []
    assert "retrying" not in caplog.text
    assert list(Lead.objects.order_by("pk").values_list("score", flat=True)) == [15, 15]


def test_the_rescore_leads_command_takes_leads_in_id_order_as_ingestion_does(caplog):
    lower, higher = _two_leads_stored_out_of_id_order(
        make_campaign("Rescored", **IN_BAND), budget=8_000_000
    )
    out = io.StringIO()

    failures = _write_while_a_batch_locks_both(
        lambda: call_command("rescore_leads", stdout=out), lower, higher, caplog
    )

    assert failures == []
    assert "retrying" not in caplog.text
    assert out.getvalue() == "Scored 2 leads.\n"
    assert list(Lead.objects.order_by("pk").values_list("score", flat=True)) == [15, 15]


def test_a_lead_import_updating_stored_leads_takes_them_in_id_order_as_ingestion_does(caplog):
    lower, higher = _two_leads_stored_out_of_id_order(make_campaign("Imported"), city="Pune")
    # The file names the higher lead first: merged in file order, it is updated first.
    rows = (
        [["Name", "Phone", "City"]]
        + [[lead.name, lead.phone, "Mumbai"] for lead in (higher, lower)]
        + [["New", make_phone(), "Thane"]]
    )
    upload = SimpleUploadedFile("leads.csv", csv_bytes(rows), content_type="text/csv")
    results = []

    failures = _write_while_a_batch_locks_both(
        lambda: results.append(
            import_leads(campaign=lower.campaign, file=upload, filename="leads.csv")
        ),
        lower,
        higher,
        caplog,
    )

    assert failures == []
    assert "retrying" not in caplog.text
    assert [(result.updated, result.created) for result in results] == [(2, 1)]
    assert sorted(Lead.objects.values_list("city", flat=True)) == ["Mumbai", "Mumbai", "Thane"]


def test_numbers_added_to_the_dnc_list_flag_their_leads_in_id_order_as_ingestion_does(caplog):
    lower, higher = _two_leads_stored_out_of_id_order(make_campaign("Listed"))

    failures = _write_while_a_batch_locks_both(
        lambda: add_to_dnc(phones=[higher.phone, lower.phone], reason="asked"),
        lower,
        higher,
        caplog,
    )

    assert failures == []
    assert "retrying" not in caplog.text
    assert list(Lead.objects.order_by("pk").values_list("is_dnc", flat=True)) == [True, True]

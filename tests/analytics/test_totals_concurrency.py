"""Writers of leads in several campaigns at once keep LeadTotals exact and never deadlock on
them (real PostgreSQL, committed transactions)."""

import threading

import pytest
from django.db import connection, transaction

from analytics.models import LeadTotals
from analytics.rollups.totals import counted_leads
from tests.db_locks import wait_for_a_lock_wait
from tests.factories import make_campaign, make_lead
from voiceagent.campaigns.dnc import add_to_dnc
from voiceagent.models import Lead

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 8


def _together(jobs):
    """Run each job in its own thread and connection, released at once; returns the errors."""
    barrier, errors = threading.Barrier(len(jobs)), []

    def work(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_dnc_lists_flagging_leads_of_the_same_campaigns_at_once_never_deadlock():
    campaigns = [make_campaign() for _ in range(4)]
    # Each worker's numbers have a lead in every campaign, in an order of its own.
    phones = [[f"+9197{worker:02d}{c:06d}" for c in range(4)] for worker in range(WORKERS)]
    for worker in range(WORKERS):
        order = campaigns if worker % 2 else campaigns[::-1]
        for campaign, phone in zip(order, phones[worker], strict=True):
            make_lead(campaign, phone=phone)
            make_lead(campaign)  # another, never flagged

    errors = _together(
        [lambda mine=mine: add_to_dnc(phones=mine, reason="asked") for mine in phones]
    )

    assert errors == []
    for campaign in campaigns:
        stored = LeadTotals.objects.filter(campaign=campaign).values(
            "total_leads", "valid_leads", "dnc_filtered_leads"
        )
        assert (
            stored.get()
            == counted_leads(campaign.pk)
            == {
                "total_leads": 2 * WORKERS,
                "valid_leads": WORKERS,
                "dnc_filtered_leads": WORKERS,
            }
        )
    assert Lead.objects.filter(is_dnc=True).count() == 4 * WORKERS


def test_a_dnc_flag_waiting_for_a_lead_row_never_deadlocks_with_that_leads_writer():
    """A writer holds a lead's row (an import updating it) and then adds a lead to the same
    campaign while the number goes on the DNC list: the DNC change waits for the lead's row
    before it touches the campaign's totals row, so both commit (locking the totals row first
    made the two wait on each other)."""
    campaign = make_campaign()
    lead = make_lead(campaign, phone="+919700000001")
    locked, release, errors = threading.Event(), threading.Event(), []

    def writer():
        try:
            with transaction.atomic():
                Lead.objects.select_for_update().get(pk=lead.pk)
                locked.set()
                release.wait(60)
                make_lead(campaign)  # its trigger moves the campaign's totals row
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    def flag():
        try:
            locked.wait(60)
            add_to_dnc(phones=[lead.phone], reason="asked")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer), threading.Thread(target=flag)]
    for thread in threads:
        thread.start()
    waited = wait_for_a_lock_wait()
    release.set()
    for thread in threads:
        thread.join()

    assert waited
    assert errors == []
    expected = {"total_leads": 2, "valid_leads": 1, "dnc_filtered_leads": 1}
    assert counted_leads(campaign.pk) == expected
    assert LeadTotals.objects.filter(campaign=campaign).values(*expected).get() == expected

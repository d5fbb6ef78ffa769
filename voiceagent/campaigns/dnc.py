"""Writes of the call domain that are not ingestion: the do-not-call list."""

from django.db import transaction

from analytics.rollups.totals import update_leads_by_campaign
from voiceagent import events
from voiceagent.campaigns import lifecycle
from voiceagent.ingestion.services import reproject_leads
from voiceagent.models import DoNotCall, Lead, LeadStatus, ScheduledCall, ScheduledCallStatus
from voiceagent.personal_data.phones import phone_hash


@transaction.atomic
def add_to_dnc(*, phones, reason="", added_by=None):
    """Put numbers on the DNC list and flag every lead with them; returns how many were new."""
    phones = sorted({phone for phone in phones if phone})
    hashes = {phone: phone_hash(phone) for phone in phones}
    # By hash: an erased number (kept by its hash alone) is on the list already.
    existing = set(
        DoNotCall.objects.filter(phone_hash__in=hashes.values()).values_list(
            "phone_hash", flat=True
        )
    )
    new = [
        DoNotCall(phone=phone, phone_hash=hashes[phone], reason=reason, added_by=added_by)
        for phone in phones
        if hashes[phone] not in existing
    ]
    DoNotCall.objects.bulk_create(new, ignore_conflicts=True)
    flag_dnc_leads(phones=phones, reason=reason)
    return len(new)


def flag_dnc_leads(*, phones, reason=""):
    """Flag the leads with these phones; their pending follow-ups are canceled. Returns how many."""
    leads = Lead.objects.filter(phone__in=phones, is_dnc=False)
    flagged = update_leads_by_campaign(leads, is_dnc=True, dnc_reason=reason[:200])
    lifecycle.cancel_follow_ups(leads=Lead.objects.filter(phone__in=phones))
    return flagged


@transaction.atomic
def remove_from_dnc(*, phone):
    """Take a number off the DNC list; its leads become callable again. Returns whether it was listed."""
    deleted, _ = DoNotCall.objects.filter(phone=phone).delete()
    if deleted:
        leads = Lead.objects.filter(phone=phone, is_dnc=True)
        lead_ids, campaign_ids = [], set()
        for lead_id, campaign_id in leads.values_list("pk", "campaign_id"):
            lead_ids.append(lead_id)
            campaign_ids.add(campaign_id)
        update_leads_by_campaign(leads, is_dnc=False, dnc_reason="")
        # "Do not call" was the list's word: the lead's calls decide its status again, and the
        # follow-ups the flag canceled are planned afresh.
        Lead.objects.filter(pk__in=lead_ids, status=LeadStatus.DNC).update(status=LeadStatus.NEW)
        ScheduledCall.objects.filter(
            lead__in=lead_ids, status=ScheduledCallStatus.CANCELED, source_call__isnull=False
        ).delete()
        reproject_leads(lead_ids=lead_ids)
        events.publish_live_counts_change(campaign_ids=campaign_ids)
    return bool(deleted)

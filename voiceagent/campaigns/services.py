"""Writes of campaigns and single leads: status transitions, membership, deletion rules.

Status transitions: draft → running ⇄ paused → completed, and running → completed (a campaign
whose leads are exhausted ends without a pause). completed is final. A new campaign is a
transition from draft, so it may start as draft or running. Only drafts without calls can be
deleted (their leads and scheduled calls go with them).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from voiceagent import events
from voiceagent.campaigns import lifecycle, scoring
from voiceagent.models import (
    Campaign,
    CampaignStatus,
    DoNotCall,
    Lead,
    ScheduledCall,
)
from voiceagent.personal_data.phones import phone_hash

TRANSITIONS = {
    CampaignStatus.DRAFT: (CampaignStatus.RUNNING,),
    CampaignStatus.RUNNING: (CampaignStatus.PAUSED, CampaignStatus.COMPLETED),
    CampaignStatus.PAUSED: (CampaignStatus.RUNNING, CampaignStatus.COMPLETED),
    CampaignStatus.COMPLETED: (),
}


class RuleViolation(Exception):
    """A write the domain forbids (illegal transition, deleting a live campaign...): a 400."""

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


# Campaign fields a lead's score depends on: changing one scores the campaign's leads again.


def check_transition(*, current, new):
    if new == current:
        return
    allowed = TRANSITIONS[current]
    if new not in allowed:
        targets = ", ".join(allowed) if allowed else "nothing (it is final)"
        raise RuleViolation(
            f"Illegal status transition {current} → {new}: a {current} campaign can move to "
            f"{targets}."
        )


def stamp_status(campaign, *, status, now):
    """Set the campaign's started_at (first run) or completed_at for a move to `status`."""
    if status == CampaignStatus.RUNNING and campaign.started_at is None:
        campaign.started_at = now
    if status == CampaignStatus.COMPLETED:
        campaign.completed_at = now


@transaction.atomic
def create_campaign(*, created_by, members=(), status=CampaignStatus.DRAFT, **fields):
    """A new campaign; a non-staff creator always becomes one of its members."""
    check_transition(current=CampaignStatus.DRAFT, new=status)
    campaign = Campaign(created_by=created_by, status=status, **fields)
    stamp_status(campaign, status=status, now=timezone.now())
    campaign.save()
    members = set(members)
    if not created_by.is_staff:
        members.add(created_by)
    campaign.members.set(members)
    return campaign


@transaction.atomic
def update_campaign(*, campaign, members=None, **changes):
    """Apply changes; a status change must be a legal transition from the stored status."""
    # Locked, so two concurrent transitions cannot both pass the check against the old status;
    # FOR NO KEY UPDATE, so ingestion inserting calls of the campaign meanwhile (their foreign
    # key takes FOR KEY SHARE on it) goes on, and the rescoring below, waiting for a batch's
    # leads, never waits for a batch that waits for the campaign (voiceagent/campaigns/locks.py).
    campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    status_changed = "status" in changes and changes["status"] != campaign.status
    if status_changed:
        check_transition(current=campaign.status, new=changes["status"])
        stamp_status(campaign, status=changes["status"], now=timezone.now())
        # Only a running campaign's calls and follow-ups are queued (glossary).
        events.publish_live_counts_change(campaign_ids=[campaign.pk])
    rescore = any(
        name in changes and changes[name] != getattr(campaign, name)
        for name in scoring.SCORE_INPUTS
    )
    for name, value in changes.items():
        setattr(campaign, name, value)
    campaign.save()
    if members is not None:
        campaign.members.set(members)
    if rescore:
        scoring.rescore_campaigns(campaign_ids=[campaign.pk])
    return campaign


@transaction.atomic
def delete_campaign(*, campaign):
    """Delete a draft campaign without calls, with its leads and their scheduled calls."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise RuleViolation(
            f"Only draft campaigns can be deleted; this one is {campaign.status}. "
            "Complete it instead."
        )
    calls = campaign.calls.count()
    if calls:
        raise RuleViolation(
            f"This draft campaign has {calls} call(s); a campaign with calls cannot be deleted."
        )
    ScheduledCall.objects.filter(campaign=campaign).delete()
    Lead.objects.filter(campaign=campaign).delete()
    campaign.delete()


def check_accepts_leads(campaign):
    if campaign.status == CampaignStatus.COMPLETED:
        raise RuleViolation(f"Campaign {campaign.pk} is completed; it accepts no new leads.")


def _flag_if_dnc(lead):
    # By hash: an erased number is on the list by its hash alone.
    entry = (
        DoNotCall.objects.filter(phone_hash=phone_hash(lead.phone)).only("reason").first()
        if lead.phone
        else None
    )
    if entry is not None and not lead.is_dnc:
        lead.is_dnc = True
        lead.dnc_reason = entry.reason


def _save_lead(lead, update_fields=None):
    try:
        with transaction.atomic():
            lead.save(update_fields=update_fields)
    except IntegrityError:
        # Only reachable in a race with another writer; validation checks it first.
        raise RuleViolation(
            f"A lead with phone {lead.phone} already exists in campaign {lead.campaign_id}."
        ) from None
    return lead


def create_lead(*, campaign, **fields):
    """A new lead of the campaign, flagged DNC when its phone is on the do-not-call list."""
    check_accepts_leads(campaign)
    lead = Lead(campaign=campaign, **fields)
    _flag_if_dnc(lead)
    with transaction.atomic():
        lead = _save_lead(lead)
        _rescore(lead)
    return lead


def _rescore(lead):
    """The lead's score from its budget and calls (one statement), read back onto `lead`."""
    scoring.recompute_lead_scores(lead_ids=[lead.pk])
    lead.score, lead.score_reasons = (
        Lead.objects.filter(pk=lead.pk).values_list("score", "score_reasons").get()
    )


def update_lead(*, lead, **changes):
    """Apply changes; a new phone on the DNC list flags the lead (an import never unflags).

    A lead closed by the change (a status set by hand, a DNC phone) loses its pending follow-ups.
    """
    with transaction.atomic():
        # Read again under its lock, and only the changed fields written: the caller's copy may
        # predate what ingestion wrote since (a call ended: status, attempts, last outcome),
        # which saving every field of it would undo.
        lead = Lead.objects.select_for_update(no_key=True).get(pk=lead.pk)
        phone_changed = "phone" in changes and changes["phone"] != lead.phone
        for name, value in changes.items():
            setattr(lead, name, value)
        written = {*changes, "updated_at"}
        if phone_changed:
            _flag_if_dnc(lead)
            written |= {"is_dnc", "dnc_reason"}
        lead = _save_lead(lead, update_fields=sorted(written))
        cancel_follow_ups_if_closed(lead)
        if "budget" in changes:
            _rescore(lead)
    return lead


def cancel_follow_ups_if_closed(lead):
    """Cancel a closed lead's pending follow-ups (the lifecycle rule); the admin calls it too."""
    if lifecycle.is_closed(status=lead.status, is_dnc=lead.is_dnc):
        lifecycle.cancel_follow_ups(leads=[lead])

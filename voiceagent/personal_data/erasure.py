"""Erasure of a lead at the person's request (DPDP Act): their data goes, every figure stays.

What goes: name, phone, email and preferred locations (a tombstone "Erased lead #123" is left),
the text of the transcript turns and objections of their calls, the qualification values
collected, recording URLs (on the calls, in the calls' ingestion state and in the logged call
events), the names shown in the admin's history, and every export file of the campaign (its
jobs expire). What stays: the rows themselves with every number the figures count (statuses,
outcomes, durations, timestamps, latencies, attempts), so that no figure moves. The number stays
on the do-not-call list by its hash only (personal_data.phones.phone_hash): a re-import of the
same number is flagged DNC and never called. The erasure is audited (who, when, reason, lead).
"""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from exports.services import withdraw_campaign_files
from voiceagent.campaigns import dnc, lifecycle
from voiceagent.campaigns.locks import lock_leads
from voiceagent.campaigns.services import RuleViolation
from voiceagent.models import (
    AuditAction,
    CallEvent,
    CallSession,
    ConversationTurn,
    DoNotCall,
    Lead,
    Objection,
)
from voiceagent.personal_data import audit
from voiceagent.personal_data.phones import phone_hash

ERASED_DNC_REASON = "Erased at the person's request"
EXPORTS_WITHDRAWN = "A lead of this campaign was erased while the export ran; please export again."


def tombstone(lead_id):
    return f"Erased lead #{lead_id}"


@transaction.atomic
def erase_lead(*, lead, reason, erased_by):
    """Erase one lead's personal data (see the module docstring); returns the erased lead.

    RuleViolation when the reason is empty or the lead was erased already."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("Say why the lead is erased: `reason` is required.")
    # The lead and every lead sharing its number (the DNC flags below update those) are locked
    # first, in id order, as ingestion takes leads (voiceagent/campaigns/locks.py): locked one
    # by one, the erased lead first, a batch holding a lower one while waiting for it deadlocked.
    phone = Lead.objects.filter(pk=lead.pk).values_list("phone", flat=True).first()
    sharing = (Q(pk=lead.pk) | Q(phone=phone)) if phone else Q(pk=lead.pk)
    lock_leads(Lead.objects.filter(sharing))
    lead = Lead.objects.select_for_update(no_key=True).get(pk=lead.pk)
    if lead.erased_at is not None:
        raise RuleViolation(f"Lead {lead.pk} was already erased on {lead.erased_at:%Y-%m-%d}.")
    phone = lead.phone
    lead.name = tombstone(lead.pk)
    # The score's words describe the person; its number stays (a figure), and scoring skips
    # erased leads from now on, so calibration does not move.
    lead.phone = lead.email = lead.preferred_locations = lead.score_reasons = ""
    lead.erased_at = timezone.now()
    lead.phone_erased = bool(phone)
    lead.save(
        update_fields=[
            "name", "phone", "email", "preferred_locations", "score_reasons", "erased_at",
            "phone_erased", "updated_at",
        ]
    )  # fmt: skip
    lifecycle.cancel_follow_ups(leads=[lead])
    if phone:
        _keep_on_dnc_by_hash(phone=phone, erased_by=erased_by)
    _erase_conversations(lead=lead)
    _erase_admin_history(lead=lead, phone=phone)
    withdrawn = withdraw_campaign_files(campaign_id=lead.campaign_id, reason=EXPORTS_WITHDRAWN)
    audit.record(
        action=AuditAction.LEAD_ERASED,
        actor=erased_by,
        object_type="lead",
        object_id=lead.pk,
        campaign_id=lead.campaign_id,
        detail={"reason": reason[:500], "exports_withdrawn": withdrawn},
    )
    return lead


def _keep_on_dnc_by_hash(*, phone, erased_by):
    """The number stays on the DNC list by its hash alone; other leads with it are flagged."""
    digest = phone_hash(phone)
    entry = DoNotCall.objects.filter(phone_hash=digest).first()
    if entry is None:
        DoNotCall.objects.create(
            phone="", phone_hash=digest, reason=ERASED_DNC_REASON, added_by=erased_by
        )
    else:
        DoNotCall.objects.filter(pk=entry.pk).update(phone="")
    # The same person in other campaigns is never called again either.
    dnc.flag_dnc_leads(phones=[phone], reason=ERASED_DNC_REASON)


def _erase_conversations(*, lead):
    calls = CallSession.objects.filter(lead=lead)
    ConversationTurn.objects.filter(call__in=calls).update(text="")
    Objection.objects.filter(call__in=calls).update(text="")
    sids = []
    for call in calls.only("pk", "call_sid", "ingest_state"):
        sids.append(call.call_sid)
        state = call.ingest_state or {}
        for report in state.get("ends", []):
            report["recording_url"] = ""
        CallSession.objects.filter(pk=call.pk).update(
            qualification={}, recording_url="", ingest_state=state
        )
    scrub_logged_events(CallEvent.objects.filter(call_sid__in=sids))


def scrub_logged_events(events, *, qualification=True):
    """Take the words and recording URLs out of logged call events (their replay then gives
    the scrubbed call). Returns how many were changed."""
    changed = []
    for event in events.only("pk", "payload").iterator(chunk_size=500):
        data = (event.payload or {}).get("data")
        if not isinstance(data, dict):
            continue
        before = dict(data)
        if "text" in data:
            data["text"] = ""
        if "recording_url" in data:
            data["recording_url"] = ""
        if qualification and event.payload.get("type") == "call.qualification":
            event.payload["data"] = data = {}
        if data != before:
            changed.append(event)
    CallEvent.objects.bulk_update(changed, ["payload"], batch_size=500)
    return len(changed)


def _erase_admin_history(*, lead, phone):
    """The admin's history names objects by their str(): the lead's and its number's go."""
    lead_type = ContentType.objects.get_for_model(Lead)
    LogEntry.objects.filter(content_type=lead_type, object_id=str(lead.pk)).update(
        object_repr=tombstone(lead.pk), change_message=""
    )
    if phone:
        dnc_type = ContentType.objects.get_for_model(DoNotCall)
        LogEntry.objects.filter(content_type=dnc_type, object_repr=phone).update(
            object_repr="erased number"
        )

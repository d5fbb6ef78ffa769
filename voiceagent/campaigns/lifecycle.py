"""The lead lifecycle: what a lead's calls make of it, and which follow-up each call asks for.

One set of rules for every writer: ingestion re-projects a lead from all of its calls with
these functions; the DNC list, the API, the admin and the lead import cancel follow-ups through
them; the demo data and the simulator go through ingestion. docs/metrics.md tells users the same:

- an attempt is a finished call (completed, no answer, busy, failed); a canceled call is none;
- a qualified lead stays qualified: a later call's outcome stays on that call (staff may still
  change the lead by hand);
- a call nobody answered (no answer, busy, voicemail, or failed on the line) is retried after the
  campaign's retry delay, a callback asked for is called back after its callback delay, both
  only while the lead has attempts left (`max_attempts`);
- when the last allowed attempt went unanswered the lead is unreachable;
- a closed lead (qualified, not interested, unreachable, do-not-call) has no pending follow-up:
  they are canceled, never deleted, so the queue's history stays readable.
"""

from datetime import timedelta

from voiceagent import events
from voiceagent.models import (
    CLOSED_LEAD_STATUSES,
    FINISHED_STATUSES,
    CallOutcome,
    CallStatus,
    LeadStatus,
    ScheduledCall,
    ScheduledCallReason,
    ScheduledCallStatus,
)

CLOSED_STATUSES = CLOSED_LEAD_STATUSES
STATUS_FOR_OUTCOME = {
    CallOutcome.QUALIFIED: LeadStatus.QUALIFIED,
    CallOutcome.NOT_INTERESTED: LeadStatus.NOT_INTERESTED,
    CallOutcome.CALLBACK_REQUESTED: LeadStatus.CALLBACK,
}


def is_unanswered(*, status, outcome):
    """A finished call nobody answered: no answer, busy, failed on the line, or a machine
    (voicemail)."""
    return status in (CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED) or (
        status == CallStatus.COMPLETED and outcome == CallOutcome.VOICEMAIL
    )


def is_closed(*, status, is_dnc):
    """A closed lead is never called again and has no pending follow-up."""
    return is_dnc or status in CLOSED_STATUSES


def status_from_calls(*, current, is_dnc, finished_calls, max_attempts):
    """The lead status its finished calls (oldest first: status, outcome) give.

    A do-not-call lead keeps its status whatever its calls did; one qualified call makes the
    lead qualified for good; otherwise the latest finished call decides.
    """
    if is_dnc:
        return current
    if any(call["outcome"] == CallOutcome.QUALIFIED for call in finished_calls):
        return LeadStatus.QUALIFIED
    if not finished_calls:
        return LeadStatus.CONTACTED
    latest = finished_calls[-1]
    if latest["outcome"] in STATUS_FOR_OUTCOME:
        return STATUS_FOR_OUTCOME[latest["outcome"]]
    if (
        is_unanswered(status=latest["status"], outcome=latest["outcome"])
        and len(finished_calls) >= max_attempts
    ):
        return LeadStatus.UNREACHABLE
    return LeadStatus.CONTACTED


def number_attempts(calls):
    """Set `attempt` on each of `calls` (oldest first): how many finished calls up to and
    including it (None for a call not finished: canceled, queued or under way)."""
    attempts = 0
    for call in calls:
        if call["status"] in FINISHED_STATUSES:
            attempts += 1
            call["attempt"] = attempts
        else:
            call["attempt"] = None


def last_finished_call(calls):
    """The latest finished call of `calls` (oldest first), or None: what "Last call" shows."""
    finished = [call for call in calls if call["status"] in FINISHED_STATUSES]
    return finished[-1] if finished else None


def follow_up_for(*, lead, call):
    """(reason, scheduled_for) the campaign's policy asks for after this call, else None.

    It does not look at whether the lead is closed: a closed lead's follow-up exists, canceled
    (`follow_up_status`), so that the rows are the same whatever order the calls' events came in.
    """
    campaign = lead.campaign
    if (
        not lead.phone
        or call["ended_at"] is None
        or call["status"] not in FINISHED_STATUSES
        or call["attempt"] >= campaign.max_attempts
    ):
        return None
    if is_unanswered(status=call["status"], outcome=call["outcome"]):
        delay = timedelta(minutes=campaign.retry_delay_minutes)
        return ScheduledCallReason.RETRY, call["ended_at"] + delay
    if call["outcome"] == CallOutcome.CALLBACK_REQUESTED:
        delay = timedelta(minutes=campaign.callback_delay_minutes)
        return ScheduledCallReason.CALLBACK, call["ended_at"] + delay
    return None


def follow_up_status(*, lead, called_again):
    """Done once the lead was called again; else canceled for a closed lead, pending otherwise."""
    if called_again:
        return ScheduledCallStatus.DONE
    if is_closed(status=lead.status, is_dnc=lead.is_dnc):
        return ScheduledCallStatus.CANCELED
    return ScheduledCallStatus.PENDING


def cancel_follow_ups(*, leads):
    """Cancel the pending follow-ups of these leads (a queryset or list); returns how many.

    Their campaigns' calls_queued may drop: live pages are told after commit."""
    pending = ScheduledCall.objects.filter(lead__in=leads, status=ScheduledCallStatus.PENDING)
    campaign_ids = set(pending.order_by().values_list("campaign_id", flat=True).distinct())
    if not campaign_ids:
        return 0
    canceled = pending.update(status=ScheduledCallStatus.CANCELED)
    events.publish_live_counts_change(campaign_ids=campaign_ids)
    return canceled

"""Metrics fed by domain events: what one accepted, non-duplicate ingestion event did.

The ingestion service publishes `calls_changed` after commit (see voiceagent.events for the
`changes` contract), so a rolled-back or duplicate event is never counted.
"""

from collections import Counter, defaultdict

from django.dispatch import receiver

from monitoring import metrics
from voiceagent.events import calls_changed, export_progress, for_each_change
from voiceagent.ingestion.services import events_rejected
from voiceagent.models import FINISHED_STATUSES, CallOutcome

TURN_LATENCIES = (
    ("stt_ms", metrics.stt_request_duration_seconds),
    ("llm_ms", metrics.llm_request_duration_seconds),
    ("tts_ms", metrics.tts_request_duration_seconds),
)
FAILED_EXPORT_STATUS = "failed"
# Export jobs already counted as failed in this process (a job may announce its failure twice).
_failed_exports_seen = set()


@receiver(calls_changed, dispatch_uid="monitoring.count_calls_changes")
def count_calls_changes(sender, *, changes, **kwargs):
    """The changes of one commit (voiceagent.events.calls_changed), each counted on its own and
    recorded together: each counter once per label, each histogram's buckets once
    (metrics.observe_all), instead of once per change (a 500-event batch's turns were some
    1,500 observations)."""
    tally = _Tally()
    for_each_change(
        changes,
        lambda call, call_changes, _: count_call_change(
            sender, call=call, changes=call_changes, tally=tally
        ),
        receiver="call metrics",
    )
    tally.record()


class _Tally:
    """Metric increments and observations gathered, then recorded at once."""

    def __init__(self):
        self.initiated, self.completed, self.errors = Counter(), Counter(), Counter()
        self.durations, self.latencies = defaultdict(list), defaultdict(list)

    def record(self):
        for campaign, count in self.initiated.items():
            metrics.calls_initiated_total.labels(campaign=campaign).inc(count)
        for (campaign, outcome), count in self.completed.items():
            metrics.calls_completed_total.labels(campaign=campaign, outcome=outcome).inc(count)
        for campaign, durations in self.durations.items():
            metrics.observe_all(metrics.call_duration_seconds.labels(campaign=campaign), durations)
        for component, count in self.errors.items():
            metrics.record_error("ai_error", component, count=count)
        for histogram, seconds in self.latencies.items():
            metrics.observe_all(histogram, seconds)


def count_call_change(sender, *, call, changes, tally=None, **kwargs):
    """Count one call's change, into `tally` (recorded by its caller) or at once."""
    counts = tally or _Tally()
    campaign = str(call.campaign_id)
    if changes.get("initiated"):
        counts.initiated[campaign] += 1
    if changes.get("ended"):
        _count_ended_call(call, campaign, counts)
    error = changes.get("error")
    if error:
        # The component comes from a fixed vocabulary (validated at ingestion), never free text.
        counts.errors[error["component"]] += 1
    turn = changes.get("turn")
    if turn:
        for field, histogram in TURN_LATENCIES:
            if turn.get(field) is not None:
                counts.latencies[histogram].append(turn[field] / 1000)
    if tally is None:
        counts.record()


def _count_ended_call(call, campaign, counts):
    # Glossary: a canceled call is never a finished call, so it is not a completed one either.
    if call.status not in FINISHED_STATUSES:
        return
    counts.completed[campaign, call.outcome or "unknown"] += 1
    answered = call.answered_at is not None and call.outcome != CallOutcome.VOICEMAIL
    if answered and call.duration_seconds is not None:
        counts.durations[campaign].append(call.duration_seconds)


@receiver(export_progress, dispatch_uid="monitoring.count_export_failure")
def count_export_failure(sender, *, job, **kwargs):
    if getattr(job, "status", None) != FAILED_EXPORT_STATUS or job.pk in _failed_exports_seen:
        return
    if len(_failed_exports_seen) > 10_000:  # bounded memory in a long-lived worker
        _failed_exports_seen.clear()
    _failed_exports_seen.add(job.pk)
    metrics.record_error("export_failed", "exports")


@receiver(events_rejected, dispatch_uid="monitoring.count_rejected_events")
def count_rejected_events(sender, *, source, reason, **kwargs):
    """A batch (or callback) the ingestion refused: invalid, or conflicting with a stored event."""
    metrics.record_error("rejected_event", "ingestion")

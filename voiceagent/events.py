"""Domain events of the call domain, published once after commit; live updates and metrics listen.

`call_changed` receivers get `call` (the CallSession as stored after the change), `ended` (bool)
and `changes`, a dict describing what one accepted, non-duplicate event did:
- "type": the event type that caused it ("call.turn", ..., or "exotel.status");
- "created": True exactly once per call, for the event that created its CallSession;
- "initiated": True exactly once per call, for its first `call.initiated` (a call only queued,
  or reported without one, never gets it; calls_initiated_total counts these);
- "ended": True exactly once per call, for the event that moved it to a finished or canceled
  status (its outcome and duration_seconds are then final);
- "status" / "stage": the new value when the event changed it, else absent;
- "turn": {"sequence", "speaker", "stt_ms", "llm_ms", "tts_ms"} when the event stored a new turn;
- "error": {"component"} when the event stored a new call.error (errors_total{type="ai_error"}).
`call_ended` is sent as well when "ended" is True. `export_progress` receivers get `job`.

`calls_changed` carries the same changes once per commit: its receivers get `changes`, the list
of `(call, changes, ended)` in the order they happened. The product's own listeners (live
updates, metrics) take this one: a batch of 500 events is one signal to them, not 500 (their
per-change work, a call's live payload for one, is then done once per call where it can be).

`live_counts_changed` receivers get `campaign_ids`: campaigns whose calls_in_progress or
calls_queued (glossary) may have changed without any call changing: a campaign paused or resumed,
a lead closed or put on the do-not-call list (its follow-ups canceled), a lead taken off it (its
follow-ups planned again), a follow-up edited by staff.
"""

import logging
import threading
from contextlib import contextmanager

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

call_changed = Signal()
call_ended = Signal()
calls_changed = Signal()
export_progress = Signal()
live_counts_changed = Signal()

_quiet = threading.local()


@contextmanager
def calls_unannounced():
    """Call changes made inside are not announced, even when committed later: a past history
    loaded in bulk (the demo data) is nothing live pages or call counters should see."""
    _quiet.depth = getattr(_quiet, "depth", 0) + 1
    try:
        yield
    finally:
        _quiet.depth -= 1


def announcing():
    """False inside `calls_unannounced()`: changes there notify nobody (no alerts, no webhooks)."""
    return not getattr(_quiet, "depth", 0)


def publish_call_change(*, call, changes, ended=False):
    """Announce a call change after the surrounding transaction commits (never for a rollback)."""
    publish_call_changes([(call, changes, ended)])


def publish_call_changes(published):
    """Announce several call changes, `(call, changes, ended)` in order, after commit: one commit
    hook for a whole ingestion batch, one `calls_changed` and each change its own `call_changed`."""
    if getattr(_quiet, "depth", 0) or not published:
        return

    def send():
        sender = type(published[0][0])
        _log_failures(calls_changed.send_robust(sender=sender, changes=published))
        if not (call_changed.receivers or call_ended.receivers):
            return  # the product listens to calls_changed: a batch's 500 sends would reach nobody
        for call, changes, ended in published:
            _log_failures(
                call_changed.send_robust(sender=type(call), call=call, changes=changes, ended=ended)
            )
            if ended:
                _log_failures(call_ended.send_robust(sender=type(call), call=call, changes=changes))

    transaction.on_commit(send, robust=True)


def publish_live_counts_change(*, campaign_ids):
    """Announce after commit that these campaigns' live counts may have changed."""
    campaign_ids = sorted({pk for pk in campaign_ids if pk is not None})
    if getattr(_quiet, "depth", 0) or not campaign_ids:
        return

    def send():
        _log_failures(live_counts_changed.send_robust(sender=None, campaign_ids=campaign_ids))

    transaction.on_commit(send, robust=True)


def publish_export_progress(*, job):
    def send():
        _log_failures(export_progress.send_robust(sender=type(job), job=job))

    transaction.on_commit(send, robust=True)


def for_each_change(changes, handle, *, receiver):
    """`handle(call, changes, ended)` for each change of a `calls_changed`, a failing one logged
    and skipped: one call a receiver cannot handle must not cost the batch's other calls their
    live update or their count."""
    for call, call_changes, ended in changes:
        try:
            handle(call, call_changes, ended)
        except Exception:
            logger.exception("%s failed on call %s", receiver, getattr(call, "call_sid", call))


def _log_failures(results):
    # One listener failing (say, the live push with Redis down) must not starve the others.
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error("domain event receiver %r failed", receiver, exc_info=result)

"""Retention: audit events kept AUDIT_RETENTION_DAYS, transcripts TRANSCRIPT_RETENTION_DAYS.

Both run from Celery beat (voiceagent.tasks). Purging a transcript empties the text of its
turns and objections and the recording URL of its call (on the call, in its ingestion state and
in the logged call events); the rows stay, so that exchanges, latencies and every other figure
are unchanged.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from voiceagent.models import AuditEvent, CallEvent, CallSession, ConversationTurn, Objection
from voiceagent.personal_data.erasure import scrub_logged_events


def prune_audit_events(*, now=None, days=None):
    """Delete audit events older than AUDIT_RETENTION_DAYS; returns how many."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    before = (now or timezone.now()) - timedelta(days=days)
    return AuditEvent.objects.prune(before=before)


@transaction.atomic
def purge_old_transcripts(*, now=None, days=None):
    """Empty the words and recording URLs of calls that began more than `days` ago
    (TRANSCRIPT_RETENTION_DAYS; None keeps them). Returns how many calls were purged."""
    days = settings.TRANSCRIPT_RETENTION_DAYS if days is None else days
    if days is None:
        return 0
    before = (now or timezone.now()) - timedelta(days=days)
    old = CallSession.objects.filter(
        Q(initiated_at__lt=before) | Q(initiated_at__isnull=True, created_at__lt=before)
    )
    has_words = Q(
        pk__in=ConversationTurn.objects.exclude(text="").filter(call__in=old).values("call_id")
    ) | Q(pk__in=Objection.objects.exclude(text="").filter(call__in=old).values("call_id"))
    targets = old.filter(has_words | ~Q(recording_url=""))
    purged = 0
    for call in targets.only("pk", "call_sid", "ingest_state").iterator(chunk_size=500):
        ConversationTurn.objects.filter(call_id=call.pk).update(text="")
        Objection.objects.filter(call_id=call.pk).update(text="")
        state = call.ingest_state or {}
        for report in state.get("ends", []):
            report["recording_url"] = ""
        CallSession.objects.filter(pk=call.pk).update(recording_url="", ingest_state=state)
        scrub_logged_events(CallEvent.objects.filter(call_sid=call.call_sid), qualification=False)
        purged += 1
    return purged

"""Reads of the audit log: the events a filter picks, newest first."""

from datetime import timedelta

from analytics.periods import start_of_day
from voiceagent.models import AuditEvent


def audit_events(*, actor="", action="", campaign_id=None, first=None, last=None):
    """Events filtered by actor (a user id or a username), action, campaign and local days
    `first`..`last` (both included, settings.TIME_ZONE)."""
    events = AuditEvent.objects.all()
    if actor:
        # Digits are a user id (within bigint: a longer one names nobody), else a username.
        if actor.isdigit():
            events = events.filter(actor_id=int(actor)) if len(actor) <= 18 else events.none()
        else:
            events = events.filter(actor_username=actor)
    if action:
        events = events.filter(action=action)
    if campaign_id is not None:
        events = events.filter(campaign_id=campaign_id)
    if first is not None:
        events = events.filter(occurred_at__gte=start_of_day(first))
    if last is not None:
        events = events.filter(occurred_at__lt=start_of_day(last + timedelta(days=1)))
    return events.order_by("-occurred_at", "-id")


CSV_HEADER = (
    "Time", "Actor", "Actor ID", "Action", "Object type", "Object ID", "Campaign ID", "IP",
    "User agent", "Detail",
)  # fmt: skip


def audit_csv_rows(events):
    """Cells of each event for the CSV export, from a server-side cursor."""
    import json

    from analytics.periods import local_zone

    zone = local_zone()
    for event in events.iterator(chunk_size=2000):
        yield (
            event.occurred_at.astimezone(zone).isoformat(timespec="seconds"),
            event.actor_username,
            event.actor_id,
            event.action,
            event.object_type,
            event.object_id,
            event.campaign_id,
            event.ip,
            event.user_agent,
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
        )

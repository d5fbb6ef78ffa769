"""What a notification says: the alert text of a qualified lead and the webhook event bodies.

Built from calls as ingestion holds them (lead and campaign attached), with no query per call.
"""

from django.conf import settings

from voiceagent.personal_data.phones import display_phone

QUALIFICATION_LABELS = (
    ("purpose", "Purpose"),
    ("budget", "Budget"),
    ("timeline", "Timeline"),
    ("interest_level", "Interest"),
)
SMS_MAX_CHARS = 480


def call_url(call):
    return f"{settings.SITE_URL}/calls/{call.call_sid}/"


def _duration(seconds):
    if seconds is None:
        return "unknown"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def alert_message(call, *, full_phone):
    """{"subject", "text", "short"} of a lead.qualified alert: lead name, phone (masked unless
    the rule's owner may see phones in full), campaign, collected data, call duration and a link
    to the call page (`short` is the SMS)."""
    lead, campaign = call.lead, call.campaign
    phone = display_phone(lead.phone, full=full_phone)
    data = call.qualification or {}
    collected = [(label, str(data[key])) for key, label in QUALIFICATION_LABELS if data.get(key)]
    lines = [
        f"Lead: {lead.name}",
        f"Phone: {phone}",
        f"Campaign: {campaign.name}",
        *(f"{label}: {value}" for label, value in collected),
        f"Call duration: {_duration(call.duration_seconds)}",
        f"Call: {call_url(call)}",
    ]
    short = " | ".join(
        [f"Qualified lead {lead.name} {phone}", campaign.name]
        + [f"{label} {value}" for label, value in collected]
        + [call_url(call)]
    )
    return {
        "subject": f"Qualified lead: {lead.name} ({campaign.name})",
        "text": "A call just qualified a lead.\n\n" + "\n".join(lines) + "\n",
        "short": short[:SMS_MAX_CHARS],
    }


def _iso(value):
    return value.isoformat() if value else None


def call_data(call, objections):
    """The `data` of call.completed and lead.qualified events."""
    lead = call.lead
    return {
        "call_sid": call.call_sid,
        "campaign_id": call.campaign_id,
        "lead": {"id": lead.pk, "name": lead.name, "phone": lead.phone},
        "status": call.status,
        "outcome": call.outcome,
        "ended_by": call.ended_by,
        "duration_seconds": call.duration_seconds,
        "started_at": _iso(call.initiated_at or call.queued_at),
        "ended_at": _iso(call.ended_at),
        "stages_reached": call.stages_reached,
        "qualification": call.qualification or {},
        "objections": objections,
        "recording_url": call.recording_url or None,
    }


def webhook_body(event_type, call, objections, timestamp):
    return {
        "type": event_type,
        "timestamp": _iso(timestamp),
        "data": call_data(call, objections),
    }

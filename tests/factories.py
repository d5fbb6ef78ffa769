"""Small factories for tests: each call builds one row with sensible defaults, overridable."""

import itertools
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.utils import timezone

from voiceagent.access import INGEST_GROUP, MANAGERS_GROUP, ensure_groups
from voiceagent.models import (
    CallSession,
    CallStatus,
    Campaign,
    CampaignStatus,
    ConversationTurn,
    Lead,
    Objection,
    ScheduledCall,
    ScheduledCallReason,
)

_seq = itertools.count(1)


def make_user(username=None, *, staff=False, groups=(), password="pass-1234-word", **fields):
    user = User.objects.create_user(
        username=username or f"user{next(_seq)}", password=password, is_staff=staff, **fields
    )
    if groups:
        ensure_groups()
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def make_manager(username=None, *, campaigns=(), **fields):
    user = make_user(username, groups=[MANAGERS_GROUP], **fields)
    for campaign in campaigns:
        campaign.members.add(user)
    return user


def make_ingest_user(username=None):
    return make_user(username or f"agent{next(_seq)}", groups=[INGEST_GROUP])


def make_campaign(name=None, *, status=CampaignStatus.RUNNING, members=(), **fields):
    campaign = Campaign.objects.create(
        name=name or f"Campaign {next(_seq)}", status=status, **fields
    )
    if members:
        campaign.members.add(*members)
    return campaign


def make_phone():
    return f"+9198{next(_seq):08d}"


def make_lead(campaign, name=None, *, phone=None, **fields):
    return Lead.objects.create(
        campaign=campaign,
        name=name or f"Lead {next(_seq)}",
        phone=make_phone() if phone is None else phone,
        **fields,
    )


def make_call(
    lead, *, status=CallStatus.COMPLETED, initiated_at=None, answered=True, duration=60, **fields
):
    """A call of `lead`; finished calls get answered_at/ended_at/duration consistent with status."""
    initiated_at = initiated_at or timezone.now() - timedelta(hours=1)
    values = {"initiated_at": initiated_at, "queued_at": initiated_at}
    if status in (CallStatus.COMPLETED,) and answered:
        values["answered_at"] = initiated_at + timedelta(seconds=5)
        values["ended_at"] = values["answered_at"] + timedelta(seconds=duration)
        values["duration_seconds"] = duration
    elif status in (CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED, CallStatus.CANCELED):
        values["ended_at"] = initiated_at + timedelta(seconds=30)
        values["duration_seconds"] = 0
    values.update(fields)
    return CallSession.objects.create(
        call_sid=values.pop("call_sid", f"CA{next(_seq):010d}"),
        campaign=lead.campaign,
        lead=lead,
        status=status,
        **values,
    )


def make_turn(call, sequence, *, speaker="agent", text="Hello", stage="greeting", **fields):
    fields.setdefault(
        "started_at", (call.answered_at or call.initiated_at) + timedelta(seconds=sequence)
    )
    return ConversationTurn.objects.create(
        call=call, sequence=sequence, speaker=speaker, text=text, stage=stage, **fields
    )


def make_objection(call, category="price", *, text="Too costly", **fields):
    fields.setdefault("occurred_at", call.answered_at or call.initiated_at)
    return Objection.objects.create(call=call, category=category, text=text, **fields)


def make_scheduled_call(lead, *, reason=ScheduledCallReason.RETRY, scheduled_for=None, **fields):
    return ScheduledCall.objects.create(
        lead=lead,
        campaign=lead.campaign,
        reason=reason,
        scheduled_for=scheduled_for or timezone.now() - timedelta(minutes=5),
        **fields,
    )


def make_export_job(campaign, user, *, kind="results", format="csv", **fields):
    from exports.models import ExportJob

    return ExportJob.objects.create(
        campaign=campaign, user=user, kind=kind, format=format, **fields
    )

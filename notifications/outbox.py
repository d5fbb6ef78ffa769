"""The outbox: deliveries written in the ingestion transaction that finishes or qualifies calls.

`record_call_notifications(calls=...)` runs inside `ingest_events`' transaction with the calls
whose status or outcome that batch changed. A handful of queries per batch, whatever its size:
whether any active rule or endpoint may cover its campaigns (one; nothing more when none does;
ingestion sends it with `subscriptions_later` before it writes the batch's turns and
objections, and passes the answer on, so that nothing waits for those writes),
matching rules and endpoints (one each, when there are such), owners' campaigns for rules on
"all my campaigns" (one, when there are such), objections (one, when a webhook wants them), one
insert, one read-back. Rows are keyed per (rule, call) and (endpoint, event type, call),
inserted with ON CONFLICT DO NOTHING: a replayed, duplicated or reordered event stream never
makes a second message.
"""

import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from celery import signature
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from notifications import messages
from notifications.models import (
    AlertRule,
    Delivery,
    DeliveryStatus,
    NotificationEvent,
    WebhookEndpoint,
)
from voiceagent.models import FINISHED_STATUSES, CallOutcome, Campaign, Objection
from voiceagent.personal_data.phones import can_view_full_phone
from voiceagent.prepared import started

logger = logging.getLogger(__name__)

# Sent by name: notifications.tasks imports this module, never the other way round.
DELIVER_TASK = "notifications.deliver"


def _matching(model, campaign_ids):
    return model.objects.filter(
        Q(campaign_id__in=campaign_ids) | Q(campaign=None), active=True, owner__is_active=True
    ).select_related("owner")


def _subscribed(campaign_ids):
    """(any alert rule, any webhook endpoint) active and possibly covering these campaigns, in
    one plain statement (prepared: voiceagent.prepared): a batch of campaigns nobody subscribed
    to (most) stops there, without building the two querysets that load them."""
    return subscriptions_later(campaign_ids)()


def subscriptions_later(campaign_ids):
    """_subscribed(campaign_ids), the statement sent now and its answer read when the function
    it returns is called (inside a pipeline, PostgreSQL runs it meanwhile). Ingestion asks it
    for every campaign of its batch before writing the batch's rows, and passes the answer to
    record_call_notifications."""
    ids = sorted(campaign_ids)
    if not ids:
        return lambda: (False, False)
    quote = connection.ops.quote_name

    def exists(model, extra=""):
        owner = model._meta.get_field("owner")
        campaign = quote(model._meta.get_field("campaign").column)
        return (
            f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} s "
            f"JOIN {quote(owner.related_model._meta.db_table)} o "
            f"ON o.{quote(owner.target_field.column)} = s.{quote(owner.column)} "
            f"WHERE s.active AND o.is_active{extra} AND "
            f"(s.{campaign} IS NULL OR s.{campaign} IN ({', '.join(['%s'] * len(ids))})))"
        )

    pending = started(
        f"SELECT {exists(AlertRule)}, {exists(WebhookEndpoint, ' AND s.disabled_at IS NULL')}",
        [*ids, *ids],
    )

    def answer():
        ((rules, endpoints),) = pending.fetchall()
        return bool(rules), bool(endpoints)

    return answer


def _owners_campaigns(subscriptions, campaign_ids):
    """{owner_id: campaign ids of the batch they are members of}, for non-staff owners of
    subscriptions that cover all their campaigns."""
    owners = {s.owner_id for s in subscriptions if s.campaign_id is None and not s.owner.is_staff}
    if not owners:
        return {}
    seen = defaultdict(set)
    rows = Campaign.members.through.objects.filter(
        user_id__in=owners, campaign_id__in=campaign_ids
    ).values_list("user_id", "campaign_id")
    for user_id, campaign_id in rows:
        seen[user_id].add(campaign_id)
    return seen


def _covers(subscription, call, owners_campaigns):
    if subscription.campaign_id is not None:
        return subscription.campaign_id == call.campaign_id
    if subscription.owner.is_staff:
        return True
    return call.campaign_id in owners_campaigns.get(subscription.owner_id, ())


def _objections(calls):
    found = defaultdict(list)
    rows = (
        Objection.objects.filter(call_id__in=[call.pk for call in calls])
        .order_by("occurred_at", "id")
        .values_list("call_id", "category", "text")
    )
    for call_id, category, text in rows:
        found[call_id].append({"category": category, "text": text})
    return found


def record_call_notifications(*, calls, subscribed=None):
    """Write the outbox rows the given calls call for; deliver them after commit. `subscribed`:
    what `subscriptions_later` answered for their campaigns (or for more), when already asked."""
    finished = [call for call in calls if call.status in FINISHED_STATUSES]
    if not finished:
        return []
    qualified = [call for call in finished if call.outcome == CallOutcome.QUALIFIED]
    campaign_ids = {call.campaign_id for call in finished}
    any_rules, any_endpoints = subscribed or _subscribed(campaign_ids)
    if not (any_rules or any_endpoints):
        return []
    rules = list(_matching(AlertRule, campaign_ids)) if qualified and any_rules else []
    endpoints = (
        [
            endpoint
            for endpoint in _matching(WebhookEndpoint, campaign_ids).filter(disabled_at=None)
            if endpoint.events
        ]
        if any_endpoints
        else []
    )
    if not rules and not endpoints:
        return []
    owners_campaigns = _owners_campaigns([*rules, *endpoints], campaign_ids)
    now = timezone.now()
    rows = []
    full_phone = {rule.owner_id: can_view_full_phone(rule.owner) for rule in rules}
    for call in qualified:
        by_phone_view = {}
        for rule in rules:
            if _covers(rule, call, owners_campaigns):
                full = full_phone[rule.owner_id]
                if full not in by_phone_view:
                    by_phone_view[full] = messages.alert_message(call, full_phone=full)
                message = by_phone_view[full]
                rows.append(
                    _delivery(f"alert:{rule.pk}:{call.pk}", call, NotificationEvent.LEAD_QUALIFIED,
                              message, now, settings.ALERT_RETRY_FOR_SECONDS, rule=rule)
                )  # fmt: skip
    if endpoints:
        objections = _objections(finished)
        for call in finished:
            types = [NotificationEvent.CALL_COMPLETED]
            if call.outcome == CallOutcome.QUALIFIED:
                types.append(NotificationEvent.LEAD_QUALIFIED)
            for endpoint in endpoints:
                if not _covers(endpoint, call, owners_campaigns):
                    continue
                for event_type in types:
                    if event_type not in endpoint.events:
                        continue
                    body = messages.webhook_body(event_type, call, objections[call.pk], now)
                    rows.append(
                        _delivery(f"webhook:{endpoint.pk}:{event_type}:{call.pk}", call,
                                  event_type, body, now, settings.WEBHOOK_RETRY_FOR_SECONDS,
                                  endpoint=endpoint)
                    )  # fmt: skip
    if not rows:
        return []
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        Delivery.objects.filter(
            key__in=[row.key for row in rows], status=DeliveryStatus.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )
    enqueue_after_commit(created)
    return created


def _delivery(key, call, event_type, payload, now, retry_for, *, rule=None, endpoint=None):
    return Delivery(
        key=key,
        rule=rule,
        endpoint=endpoint,
        call=call,
        event_type=event_type,
        message_id=f"msg_{uuid.uuid4().hex}",
        payload=payload,
        next_attempt_at=now,
        retry_until=now + timedelta(seconds=retry_for),
        created_at=now,
    )


def enqueue_after_commit(delivery_ids):
    """Hand the deliveries to the worker once committed; the periodic sweep (deliver_due) is
    the backstop when the broker is unreachable at that moment."""
    if not delivery_ids:
        return

    def send():
        for pk in delivery_ids:
            try:
                signature(DELIVER_TASK, args=[pk]).apply_async()
            except Exception:  # a broker outage must not fail the committed ingestion
                logger.warning(
                    "could not enqueue delivery %s; the sweep will send it", pk, exc_info=True
                )
                return

    transaction.on_commit(send, robust=True)

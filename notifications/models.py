"""Alert rules, webhook endpoints and the outbox of deliveries they produce.

A Delivery is written in the ingestion transaction that finishes or qualifies a call, under a
unique key per (rule, call) or (endpoint, event type, call): replayed, duplicated or reordered
events insert nothing new, so each gets one message however often the events come.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from voiceagent.models import CallSession, Campaign


class AlertChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    SLACK = "slack", "Slack"


class NotificationEvent(models.TextChoices):
    CALL_COMPLETED = "call.completed", "Call completed"
    LEAD_QUALIFIED = "lead.qualified", "Lead qualified"


# Events an alert rule may fire on (webhooks take every NotificationEvent).
ALERT_EVENTS = [(NotificationEvent.LEAD_QUALIFIED.value, NotificationEvent.LEAD_QUALIFIED.label)]


class ScopedQuerySet(models.QuerySet):
    """Rules and endpoints a user may manage: staff all; others those of campaigns they see,
    and their own ones that cover all their campaigns (campaign null)."""

    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(
            Q(campaign__in=Campaign.objects.visible_to(user)) | Q(campaign=None, owner=user)
        )


class AlertRule(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_rules"
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
        help_text="Empty: every campaign the owner sees.",
    )
    channel = models.CharField(max_length=8, choices=AlertChannel.choices)
    target = models.CharField(
        max_length=500, help_text="Email address, E.164 phone, or Slack incoming-webhook URL."
    )
    event = models.CharField(
        max_length=32, choices=ALERT_EVENTS, default=NotificationEvent.LEAD_QUALIFIED
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=AlertChannel.values), name="alert_rule_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(event=NotificationEvent.LEAD_QUALIFIED), name="alert_rule_event_valid"
            ),
        ]
        indexes = [models.Index(fields=["active", "campaign"], name="alert_rule_matching_idx")]

    def __str__(self):
        return f"{self.get_channel_display()} to {self.target}"


def new_webhook_secret():
    """A Standard Webhooks secret: `whsec_` and base64 of 32 random bytes."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="Empty: every campaign the owner sees.",
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event types sent to this endpoint.")
    secret = models.CharField(max_length=80, default=new_webhook_secret, editable=False)
    active = models.BooleanField(default=True)
    # Set by the first failed delivery after a success; an endpoint failing this long is disabled.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["active", "campaign"], name="webhook_matching_idx")]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One message to send (an alert or a webhook call): the outbox row and its delivery log."""

    key = models.CharField(max_length=120, unique=True, editable=False)
    # No index of their own: delivery_rule_log_idx and delivery_endpoint_log_idx lead with them.
    rule = models.ForeignKey(
        AlertRule,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    call = models.ForeignKey(CallSession, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=32, choices=NotificationEvent.choices)
    # The Standard Webhooks `webhook-id`, the same on every attempt (also the email Message-ID).
    message_id = models.CharField(max_length=64, unique=True, editable=False)
    # Frozen at creation: the webhook body, or the alert's subject and text.
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_response_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(rule__isnull=True, endpoint__isnull=False)
                | Q(rule__isnull=False, endpoint__isnull=True),
                name="delivery_has_one_destination",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_log_idx"),
            models.Index(fields=["rule", "-created_at"], name="delivery_rule_log_idx"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.message_id}"

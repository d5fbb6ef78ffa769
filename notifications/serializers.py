"""Input and output serializers of /api/alert-rules/ and /api/webhooks/."""

from rest_framework import serializers

from notifications.models import (
    ALERT_EVENTS,
    AlertChannel,
    AlertRule,
    Delivery,
    NotificationEvent,
    WebhookEndpoint,
)
from notifications.targets import clean_target, clean_url
from voiceagent.access import visible_campaigns


class VisibleCampaignField(serializers.PrimaryKeyRelatedField):
    """A campaign id the requesting user may see; another team's reads as unknown (400)."""

    default_error_messages = {
        "does_not_exist": "No campaign with id {pk_value} that you can see.",
    }

    def get_queryset(self):
        return visible_campaigns(self.context["request"].user)


class AlertRuleSerializer(serializers.ModelSerializer):
    campaign = VisibleCampaignField(allow_null=True, required=False, default=None)
    owner = serializers.CharField(source="owner.username", read_only=True)
    event = serializers.ChoiceField(choices=ALERT_EVENTS, default=NotificationEvent.LEAD_QUALIFIED)

    class Meta:
        model = AlertRule
        fields = ["id", "campaign", "channel", "target", "event", "active", "owner",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "owner", "created_at", "updated_at"]

    def validate(self, attrs):
        channel = attrs.get("channel", getattr(self.instance, "channel", None))
        target = attrs.get("target", getattr(self.instance, "target", None))
        if channel is not None and target is not None and ("target" in attrs or "channel" in attrs):
            try:
                attrs["target"] = clean_target(channel, target)
            except ValueError as exc:
                label = {
                    AlertChannel.EMAIL: "an email address",
                    AlertChannel.SMS: "a phone number",
                    AlertChannel.SLACK: "a Slack incoming-webhook URL",
                }[channel]
                raise serializers.ValidationError(
                    {"target": f"For channel {channel!r} the target must be {label}: {exc}"}
                ) from None
        return attrs


class WebhookEndpointSerializer(serializers.ModelSerializer):
    campaign = VisibleCampaignField(allow_null=True, required=False, default=None)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationEvent.choices), allow_empty=False
    )
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "campaign", "active", "disabled_at", "owner",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "disabled_at", "owner", "created_at", "updated_at"]

    def validate_url(self, value):
        try:
            return clean_url(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_events(self, value):
        return sorted(set(value), key=value.index)


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The 201 answer: the only time the signing secret is shown."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id", read_only=True)
    call_sid = serializers.CharField(source="call.call_sid", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "event_type", "webhook_id", "call_sid", "status", "attempts",
                  "last_response_code", "last_error", "next_attempt_at", "created_at",
                  "last_attempt_at", "delivered_at"]  # fmt: skip
        read_only_fields = fields

"""Serializers of the audit log API."""

from rest_framework import serializers

from analytics.serializers import KeywordFieldsMixin
from voiceagent.models import AuditAction, AuditEvent


class AuditEventQuerySerializer(KeywordFieldsMixin, serializers.Serializer):
    actor = serializers.CharField(
        required=False, max_length=150, help_text="A user id or a username."
    )
    action = serializers.ChoiceField(choices=AuditAction.choices, required=False)
    campaign_id = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    from_ = serializers.DateField(
        required=False, help_text="First day included (ISO date, configured time zone)."
    )
    to = serializers.DateField(
        required=False, help_text="Last day included (ISO date, configured time zone)."
    )

    def validate(self, attrs):
        first, last = attrs.get("from"), attrs.get("to")
        if first is not None and last is not None and first > last:
            raise serializers.ValidationError({"from": f"from ({first}) is after to ({last})."})
        return attrs


class AuditEventSerializer(serializers.ModelSerializer):
    actor_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id", "occurred_at", "actor_id", "actor_username", "action", "object_type",
            "object_id", "campaign_id", "ip", "user_agent", "detail",
        ]  # fmt: skip
        read_only_fields = fields

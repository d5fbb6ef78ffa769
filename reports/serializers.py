"""Input and output of the report-schedules API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from rest_framework import serializers

from reports.models import ReportDelivery, ReportSchedule
from voiceagent.access import visible_campaigns

MAX_RECIPIENTS = 20


class VisibleCampaignField(serializers.PrimaryKeyRelatedField):
    """A campaign the requesting user may see; any other id is "does not exist" (never 403)."""

    def get_queryset(self):
        return visible_campaigns(self.context["request"].user)


class ReportScheduleSerializer(serializers.ModelSerializer):
    campaign = VisibleCampaignField(help_text="A campaign you may see.")
    hour = serializers.IntegerField(
        min_value=0, max_value=23, default=9, help_text="Local hour (0–23) in the TIME_ZONE."
    )
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=254),
        min_length=1,
        max_length=MAX_RECIPIENTS,
        help_text=f"1–{MAX_RECIPIENTS} email addresses.",
    )

    class Meta:
        model = ReportSchedule
        fields = ["id", "campaign", "frequency", "hour", "recipients", "active", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_recipients(self, value):
        cleaned, bad = [], []
        for address in value:
            address = address.strip()
            try:
                validate_email(address)
            except DjangoValidationError:
                bad.append(address)
                continue
            if address.lower() not in {a.lower() for a in cleaned}:
                cleaned.append(address)
        if bad:
            raise serializers.ValidationError(
                "Not email addresses: " + ", ".join(repr(a[:80]) for a in bad) + "."
            )
        return cleaned


class ReportDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportDelivery
        fields = ["id", "period_first", "period_last", "status", "attempts", "sent_at", "error"]

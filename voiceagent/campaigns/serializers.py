"""Input and output serializers of the campaigns, leads, DNC and lead-import API."""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from voiceagent.access import visible_campaigns
from voiceagent.campaigns import cleaning
from voiceagent.lead_import.jobs import live_progress
from voiceagent.models import Campaign, DoNotCall, Lead, LeadImport
from voiceagent.personal_data.phones import MaskedPhoneField, PhoneDisplayField


@extend_schema_field(
    {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$", "example": "09:00"}
)
class LocalTimeField(serializers.TimeField):
    """A time of day in TIME_ZONE (HH:MM or HH:MM:SS), answered as HH:MM:SS; an offset is
    refused: calling hours are the campaign's local hours, whatever zone a client is in."""

    def to_internal_value(self, value):
        if isinstance(value, str) and re.search(r"(Z|[+-]\d{2}:?\d{2})$", value.strip()):
            raise serializers.ValidationError(
                "Give a local time such as 09:00, without a time zone offset."
            )
        return super().to_internal_value(value)


class CampaignSerializer(serializers.ModelSerializer):
    calling_hours_start = LocalTimeField(
        required=False, help_text="Leads are called from this time (TIME_ZONE), e.g. 09:00."
    )
    calling_hours_end = LocalTimeField(
        required=False, help_text="Leads are called until this time (TIME_ZONE), e.g. 21:00."
    )
    members = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="User ids. Only staff may name users other than themselves.",
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "description",
            "status",
            "members",
            "created_by",
            "max_attempts",
            "retry_delay_minutes",
            "callback_delay_minutes",
            "calling_hours_start",
            "calling_hours_end",
            "price_band_min",
            "price_band_max",
            "score_weights",
            "created_at",
            "updated_at",
            "started_at",
            "completed_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at", "started_at", "completed_at"]
        # The database's campaign_attempts_gte_1 check, said as a 400 instead of an IntegrityError.
        extra_kwargs = {"max_attempts": {"min_value": 1}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and not request.user.is_staff:
            # Non-staff name at most the users they already share a campaign with (and
            # themselves); the browsable API's form then lists no one else.
            shared = Q(pk=request.user.pk) | Q(campaigns__in=visible_campaigns(request.user))
            self.fields["members"].child_relation.queryset = (
                get_user_model().objects.filter(shared, is_active=True).distinct()
            )

    def validate_name(self, value):
        return _clean_text(value, max_length=200)

    def validate(self, attrs):
        # The database's campaign_calling_hours_ordered check, said as a 400 naming the fields.
        # A field left out keeps the stored value, or on a new campaign the model's default.
        start, end = (
            attrs.get(
                name, getattr(self.instance, name, Campaign._meta.get_field(name).get_default())
            )
            for name in ("calling_hours_start", "calling_hours_end")
        )
        low, high = (
            attrs.get(name, getattr(self.instance, name, None))
            for name in ("price_band_min", "price_band_max")
        )
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {
                    "price_band_max": [
                        f"price_band_min ({low}) must not exceed price_band_max ({high})."
                    ]
                }
            )
        if start >= end:
            raise serializers.ValidationError(
                {
                    "calling_hours_end": [
                        f"calling_hours_start ({start:%H:%M}) must be before calling_hours_end "
                        f"({end:%H:%M}), both in {settings.TIME_ZONE}."
                    ]
                }
            )
        return attrs

    def validate_members(self, members):
        user = self.context["request"].user
        if user.is_staff:
            return members
        if self.instance is None:
            if any(member.pk != user.pk for member in members):
                raise serializers.ValidationError(
                    "Only staff may add other users; leave members out or list only yourself."
                )
        elif set(members) != set(self.instance.members.all()):
            raise serializers.ValidationError("Only staff may change the members of a campaign.")
        return members


def _clean_text(value, *, max_length):
    try:
        return cleaning.clean_text(value, max_length=max_length)
    except ValueError as exc:
        raise serializers.ValidationError(f"This value {exc}") from None


def _normalised_phone(value):
    try:
        return cleaning.normalise_phone(value)
    except ValueError as exc:
        raise serializers.ValidationError(f"Phone {exc}") from None


class LeadSerializer(serializers.ModelSerializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none())
    phone = MaskedPhoneField(max_length=40)
    phone_display = PhoneDisplayField(source="phone")
    erased = serializers.SerializerMethodField(
        help_text="The person's data was erased at their request."
    )
    valid = serializers.BooleanField(
        read_only=True, help_text="Has a valid phone and is not on the DNC list."
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "campaign",
            "name",
            "phone",
            "phone_display",
            "email",
            "city",
            "property_type",
            "budget",
            "preferred_locations",
            "status",
            "is_dnc",
            "dnc_reason",
            "valid",
            "call_attempts",
            "last_call_at",
            "last_outcome",
            "score",
            "score_reasons",
            "created_at",
            "updated_at",
            "erased",
        ]
        read_only_fields = [
            "is_dnc",
            "dnc_reason",
            "call_attempts",
            "last_call_at",
            "last_outcome",
            "created_at",
            "updated_at",
        ]
        # Uniqueness of (campaign, phone) is checked in validate() with a message that names it.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["campaign"].queryset = visible_campaigns(request.user)

    def validate_phone(self, value):
        return _normalised_phone(value)

    def get_erased(self, lead) -> bool:
        return lead.erased_at is not None

    def validate_name(self, value):
        name = _clean_text(value, max_length=200)
        if not name:
            raise serializers.ValidationError("This field may not be blank.")
        return name

    def validate_city(self, value):
        return _clean_text(value, max_length=100)

    def validate_preferred_locations(self, value):
        return _clean_text(value, max_length=500)

    def validate(self, attrs):
        campaign = attrs.get("campaign", getattr(self.instance, "campaign", None))
        if self.instance is not None and campaign != self.instance.campaign:
            raise serializers.ValidationError(
                {"campaign": "A lead cannot move to another campaign."}
            )
        phone = attrs.get("phone", getattr(self.instance, "phone", ""))
        taken = Lead.objects.filter(campaign=campaign, phone=phone)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if phone and taken.exists():
            raise serializers.ValidationError(
                {"phone": f"A lead with phone {phone} already exists in this campaign."}
            )
        return attrs


class DoNotCallSerializer(serializers.ModelSerializer):
    phone = MaskedPhoneField(max_length=40)

    class Meta:
        model = DoNotCall
        fields = ["id", "phone", "reason", "added_by", "created_at"]
        read_only_fields = ["added_by", "created_at"]
        validators = []

    def validate_phone(self, value):
        return _normalised_phone(value)

    def validate_reason(self, value):
        return _clean_text(value, max_length=200)


class LeadImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv (UTF-8, any delimiter) or .xlsx file.")


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number in the file (the header is row 1).")
    field = serializers.CharField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Rows whose lead already had these values.")
    duplicates = serializers.IntegerField(help_text="Rows merged into an earlier row.")
    dnc_flagged = serializers.IntegerField(help_text="Imported leads on the DNC list.")
    invalid_rows = serializers.IntegerField()
    rows = serializers.IntegerField(help_text="Data rows read (blank rows not counted).")
    errors = ImportErrorSerializer(many=True)
    errors_truncated = serializers.BooleanField()
    ignored_columns = serializers.ListField(child=serializers.CharField())
    columns = serializers.DictField(
        child=serializers.CharField(), help_text="Lead field → the file's column it came from."
    )


class LeadImportSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    created = serializers.IntegerField(source="created_count")
    updated = serializers.IntegerField(source="updated_count")
    skipped = serializers.IntegerField(source="skipped_count")
    duplicates = serializers.IntegerField(source="duplicate_count")
    dnc_flagged = serializers.IntegerField(source="dnc_count")
    errors = ImportErrorSerializer(many=True)

    class Meta:
        model = LeadImport
        fields = [
            "id",
            "campaign",
            "status",
            "progress",
            "filename",
            "file_size",
            "rows",
            "created",
            "updated",
            "skipped",
            "duplicates",
            "dnc_flagged",
            "invalid_rows",
            "errors",
            "errors_truncated",
            "ignored_columns",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, job) -> int:
        return live_progress(job)


class LeadEraseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text="Why the lead is erased (e.g. the person's request of a date)."
    )

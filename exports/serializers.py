"""Serializers of the exports API: job output exactly as DESIGN.md, job creation input, and the
period of the exported calls (the analytics endpoints' `days` or `from`/`to`, and `include`)."""

from django.urls import reverse
from rest_framework import serializers

from analytics.serializers import KeywordFieldsMixin, PeriodQuerySerializer
from exports.models import ExportFormat, ExportInclude, ExportJob, ExportKind

PERIOD_INPUTS = ("days", "from", "to", "include")


def leads_period_error(kind, given):
    """Why a period or include given for a lead list is refused (None when it is not): a lead
    list is every lead as of now, and nobody must take it for the leads of a period."""
    given = [name for name in PERIOD_INPUTS if given.get(name) not in (None, "")]
    if kind != ExportKind.LEADS or not given:
        return None
    return (
        given[0],
        "A lead list holds every lead as of now; days, from, to and include apply to results "
        "and transcripts only.",
    )


class ExportPeriodSerializer(PeriodQuerySerializer):
    """`days` or `from`/`to` exactly as the analytics endpoints read them (same checks, same
    messages) → `period` (None: all time); `include` finished (default) or all calls."""

    include = serializers.ChoiceField(
        choices=ExportInclude.choices,
        required=False,
        default=ExportInclude.FINISHED,
        help_text="finished: the calls counted in calls_made (default); all: every call, "
        "canceled and in progress included. Results and transcripts only.",
    )


class ExportJobSerializer(KeywordFieldsMixin, serializers.ModelSerializer):
    campaign_id = serializers.IntegerField(read_only=True)
    from_ = serializers.DateField(
        source="period_from",
        read_only=True,
        allow_null=True,
        help_text="First day of the exported calls (configured time zone); null: all time.",
    )
    to = serializers.DateField(
        source="period_to",
        read_only=True,
        allow_null=True,
        help_text="Last day of the exported calls, included; null: all time.",
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "campaign_id",
            "kind",
            "format",
            "from_",
            "to",
            "include",
            "status",
            "progress",
            "rows_written",
            "file_size",
            "created_at",
            "finished_at",
            "expires_at",
            "error",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        if not job.is_downloadable:
            return None
        path = reverse("exports:job-download", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ExportJobCreateSerializer(ExportPeriodSerializer):
    campaign_id = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)

    def validate(self, attrs):
        error = leads_period_error(attrs["kind"], self.initial_data)
        if error is not None:
            raise serializers.ValidationError(dict([error]))
        return super().validate(attrs)


class ExportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong, naming the kind, format or field.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by field name (invalid job input only).",
    )

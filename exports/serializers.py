"""Serializers of the exports API: job output exactly as DESIGN.md, job creation input."""

from django.urls import reverse
from rest_framework import serializers

from exports.models import ExportFormat, ExportJob, ExportKind


class ExportJobSerializer(serializers.ModelSerializer):
    campaign_id = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "campaign_id",
            "kind",
            "format",
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


class ExportJobCreateSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)


class ExportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong, naming the kind, format or field.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by field name (invalid job input only).",
    )

"""Output serializers of the /health/* endpoints (they shape the JSON and the OpenAPI schema)."""

from rest_framework import serializers

CHECK_STATUSES = ("healthy", "unhealthy", "not_configured")


class HealthIndexSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])
    version = serializers.CharField()
    timestamp = serializers.DateTimeField()


class LivenessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["alive"])
    timestamp = serializers.DateTimeField()


class CheckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CHECK_STATUSES)
    response_time_ms = serializers.FloatField()
    message = serializers.CharField()


class ReadinessChecksSerializer(serializers.Serializer):
    database = CheckSerializer()
    redis = CheckSerializer()


class ReadinessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ready", "not_ready"])
    checks = ReadinessChecksSerializer()
    timestamp = serializers.DateTimeField()


class DetailedChecksSerializer(ReadinessChecksSerializer):
    celery_worker = CheckSerializer()
    scheduler = CheckSerializer()
    exotel = CheckSerializer()
    deepgram = CheckSerializer()
    openai = CheckSerializer()
    elevenlabs = CheckSerializer()


class DetailedHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["healthy", "degraded", "unhealthy"])
    checks = DetailedChecksSerializer()
    version = serializers.CharField()
    timestamp = serializers.DateTimeField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()

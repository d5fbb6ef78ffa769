"""`POST /api/call-events`: the calling agent reports call lifecycle events, one or up to 500."""

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from voiceagent.access import can_ingest
from voiceagent.ingestion.schema import AGENT_TYPES, MAX_BATCH_EVENTS, MAX_BODY_BYTES, EventType
from voiceagent.ingestion.services import (
    InvalidEvents,
    batch_problem,
    events_rejected,
    ingest_events,
)
from voiceagent.web.authentication import TokenAuthentication
from voiceagent.web.parsers import BodyTooLarge, parse_json


class CanIngest(BasePermission):
    message = "This account may not post call events; it needs the ingest permission."

    def has_permission(self, request, view):
        return can_ingest(request.user)


class CallEventSerializer(serializers.Serializer):
    """The documented shape of one event (validation itself is voiceagent.ingestion.schema)."""

    event_id = serializers.CharField(
        max_length=128, help_text="Idempotency key: resending an event with it changes nothing."
    )
    type = serializers.ChoiceField(choices=[str(event_type) for event_type in AGENT_TYPES])
    occurred_at = serializers.DateTimeField(
        help_text="ISO 8601 with a UTC offset, when it happened at the agent (never arrival)."
    )
    call_sid = serializers.CharField(max_length=64)
    campaign_id = serializers.IntegerField(min_value=1)
    lead_id = serializers.IntegerField(min_value=1, help_text="A lead of that campaign.")
    data = serializers.DictField(
        required=False,
        help_text="By type: call.initiated {script_variant?: the script used, at most 64 "
        'characters, default "default"}; call.stage_changed {stage}; call.turn {sequence, speaker, text, '
        "stage?, stt_ms?, llm_ms?, tts_ms?, llm_input_tokens?, llm_output_tokens?, tts_characters?}; "
        "call.objection {category, text}; "
        "call.qualification {purpose?, timeline?, interest_level?, budget?, ...}; "
        "call.completed {outcome, duration_seconds?, recording_url?, ended_by?}; "
        "call.failed {error?}; call.error {component: llm|stt|tts|telephony, message, code?}; "
        "the others {}.",
    )


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="New events applied.")
    duplicates = serializers.IntegerField(help_text="Events already received (same payload).")


class EventProblemSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True, help_text="Position in the batch.")
    field = serializers.CharField()
    message = serializers.CharField()


class RejectedBatchSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = EventProblemSerializer(many=True)


class EventConflictSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    event_id = serializers.CharField()
    message = serializers.CharField()


class ConflictingBatchSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflicts = EventConflictSerializer(many=True)


EXAMPLE_EVENT = {
    "event_id": "CA123-0007",
    "type": EventType.TURN.value,
    "occurred_at": "2025-01-15T11:02:31+05:30",
    "call_sid": "CA123",
    "campaign_id": 1,
    "lead_id": 42,
    "data": {
        "sequence": 3,
        "speaker": "agent",
        "text": "What budget range are you considering?",
        "stage": "qualification",
        "stt_ms": 210,
        "llm_ms": 640,
        "tts_ms": 180,
    },
}


def read_json_body(request, *, limit=MAX_BODY_BYTES):
    """The parsed body; InvalidEvents naming an oversized, undecodable or malformed body."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_big = InvalidEvents([batch_problem(str(BodyTooLarge(limit).detail))])
    if declared > limit:
        raise too_big
    try:
        body = request.body
    except RequestDataTooBig:
        raise too_big from None
    if len(body) > limit:
        raise too_big
    try:
        return parse_json(body)
    except ParseError as exc:
        raise InvalidEvents([batch_problem(str(exc.detail))]) from None


class CallEventsView(APIView):
    # Token first: an anonymous caller gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, CanIngest]
    throttle_scope = "ingest"  # per token, at INGEST_RATE (voiceagent.web.throttling)
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="call_events_create",
        summary="Report call events",
        description=f"One event object or a list of at most {MAX_BATCH_EVENTS} (body at most "
        "1 MiB). Idempotent by event_id; events of a call may arrive in any order. A batch with "
        "any invalid event is rejected whole (400, each problem named by index and field); an "
        "event_id resent with a different payload is a conflict (409). Needs the ingest "
        "permission (users of the `ingest` group).",
        request=PolymorphicProxySerializer(
            component_name="CallEventBatch",
            serializers=[CallEventSerializer, CallEventSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            202: IngestResultSerializer,
            400: RejectedBatchSerializer,
            409: ConflictingBatchSerializer,
        },
        examples=[OpenApiExample("One turn", value=EXAMPLE_EVENT, request_only=True)],
        tags=["ingestion"],
    )
    def post(self, request):
        try:
            events = read_json_body(request)
        except InvalidEvents:
            events_rejected.send(sender=None, source="api", reason="invalid")
            raise
        result = ingest_events(events=events, source="api")
        return Response(IngestResultSerializer(result).data, status=status.HTTP_202_ACCEPTED)

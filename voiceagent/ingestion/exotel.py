"""`POST /webhooks/exotel/status`: Exotel's call status callback, mapped onto the ingestion service.

Exotel posts (form-encoded; JSON is accepted too) when a call ends: CallSid, Status (completed,
busy, no-answer, failed; canceled is accepted as well), DateUpdated, RecordingUrl, and with
StatusCallbackEvents also EventType (terminal, answered), DateCreated, StartTime, EndTime,
ConversationDuration, Direction, CustomField, Legs. Older flows send DialCallDuration or
Duration instead of ConversationDuration. Its times carry no offset: they are read in
settings.TIME_ZONE.

Exotel signs nothing, so the callback URL carries a shared secret (settings.EXOTEL_WEBHOOK_SECRET)
as `?secret=...`, or as the password of HTTP basic auth; it is compared in constant time, and a
missing or wrong secret (or no secret configured at all) is a 403.

Each callback becomes one `exotel.status` event with event_id `exotel:<CallSid>:<status>`, so a
retried callback is a duplicate (200) and never applied twice. The call must already be known:
the agent reports it first through /api/call-events, which tells us its campaign and lead (or
the call was placed with CustomField `{"campaign_id": .., "lead_id": ..}`). An unknown CallSid
is answered 404: Exotel treats any non-2xx as a failure and retries (at most twice), and by
then the agent's events have usually landed. A callback that never succeeds is left to a
reconciliation against Exotel's call-details API.

Errors are answered by the project's one handler (voiceagent.web.errors): an unusable field or
body is a 400 shaped like an invalid ingestion event (`{"detail", "errors": [{"index": null,
"field", "message"}]}`), the 403 and 404 are `{"detail"}`.
"""

import base64
import binascii
import hmac
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from voiceagent.ingestion.api import (
    ConflictingBatchSerializer,
    IngestResultSerializer,
    RejectedBatchSerializer,
)
from voiceagent.ingestion.call_state import utc_key
from voiceagent.ingestion.schema import EXOTEL_SOURCE, EventType
from voiceagent.ingestion.services import (
    InvalidEvents,
    batch_problem,
    events_rejected,
    ingest_events,
)
from voiceagent.models import CallSession, CallStatus
from voiceagent.web.parsers import BodyTooLarge, SafeJSONParser

STATUS_MAP = {
    "completed": CallStatus.COMPLETED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "no_answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.CANCELED,
    "cancelled": CallStatus.CANCELED,
    "in-progress": CallStatus.IN_PROGRESS,
    "in_progress": CallStatus.IN_PROGRESS,
}
DURATION_FIELDS = ("ConversationDuration", "DialCallDuration", "Duration")


class ExotelCallbackError(InvalidEvents):
    """A callback field Exotel sent that we cannot use: a 400 naming it, like any invalid event."""

    def __init__(self, field, message):
        super().__init__([batch_problem(message, field=field)])


class UnknownCall(NotFound):
    """404 on purpose: Exotel retries a callback that got a non-2xx answer."""


class ExotelStatusSerializer(serializers.Serializer):
    """The documented callback fields (Exotel sends them form-encoded)."""

    CallSid = serializers.CharField()
    Status = serializers.ChoiceField(
        choices=["completed", "busy", "no-answer", "failed", "canceled"]
    )
    DateUpdated = serializers.CharField(help_text="YYYY-MM-DD HH:mm:ss in settings.TIME_ZONE")
    RecordingUrl = serializers.CharField(required=False, allow_blank=True)
    EventType = serializers.CharField(required=False, help_text="terminal or answered")
    StartTime = serializers.CharField(required=False)
    EndTime = serializers.CharField(required=False)
    ConversationDuration = serializers.IntegerField(required=False)
    DialCallDuration = serializers.IntegerField(required=False)
    Duration = serializers.IntegerField(required=False)
    CustomField = serializers.CharField(required=False, allow_blank=True)


def secret_is_valid(request):
    """The configured secret as `?secret=` or as the basic-auth password, compared in constant time."""
    expected = settings.EXOTEL_WEBHOOK_SECRET
    if not expected:
        return False
    offered = request.query_params.get("secret", "")
    if not offered:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            offered = decoded.partition(":")[2]
    return hmac.compare_digest(offered.encode("utf-8"), expected.encode("utf-8"))


def _field(fields, name):
    value = fields.get(name)
    if isinstance(value, list):  # form fields sent twice: the last one counts, as for QueryDict
        value = value[-1] if value else None
    if value is None:
        return ""
    value = str(value).strip()
    return "" if value.lower() in ("null", "none") else value


def parse_exotel_time(fields, name):
    """Exotel's `YYYY-MM-DD HH:mm:ss` (no offset: settings.TIME_ZONE), or ISO with offset."""
    value = _field(fields, name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ExotelCallbackError(name, f"{value!r} is not a YYYY-MM-DD HH:mm:ss time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


def _duration(fields):
    for name in DURATION_FIELDS:
        value = _field(fields, name)
        if value:
            if not value.isdigit():
                raise ExotelCallbackError(name, f"{value!r} is not a number of seconds.")
            return int(value)
    return None


def _owner(call_sid, fields):
    """(campaign_id, lead_id) of the call: from the stored call, else from CustomField."""
    known = CallSession.objects.filter(call_sid=call_sid).values_list("campaign_id", "lead_id")
    for owner in known:
        return owner
    try:
        custom = json.loads(_field(fields, "CustomField") or "null")
    except ValueError:
        custom = None
    if isinstance(custom, dict) and {"campaign_id", "lead_id"} <= custom.keys():
        return custom["campaign_id"], custom["lead_id"]
    raise UnknownCall(
        f"Unknown CallSid {call_sid!r}: the agent has not reported this call yet "
        "(Exotel retries this callback)."
    )


def exotel_event(fields):
    """The `exotel.status` ingestion event for one callback (ExotelCallbackError if unusable,
    UnknownCall if the agent has not reported the call)."""
    call_sid = _field(fields, "CallSid")
    if not call_sid:
        raise ExotelCallbackError("CallSid", "This field is required.")
    raw_status = _field(fields, "Status").lower()
    if _field(fields, "EventType").lower() == "answered":
        raw_status = "in-progress"
    if not raw_status:
        raise ExotelCallbackError("Status", "This field is required.")
    if raw_status not in STATUS_MAP:
        raise ExotelCallbackError(
            "Status", f"Unknown status {raw_status!r}; expected completed, busy, no-answer, "
            "failed or canceled."
        )  # fmt: skip
    call_status = STATUS_MAP[raw_status]
    ended = parse_exotel_time(fields, "EndTime")
    updated = parse_exotel_time(fields, "DateUpdated")
    started = parse_exotel_time(fields, "StartTime")
    answered = call_status == CallStatus.IN_PROGRESS
    occurred = (updated or started) if answered else (ended or updated)
    if occurred is None:
        raise ExotelCallbackError("DateUpdated", "This field is required.")
    duration = _duration(fields)
    answered_at = None
    if call_status == CallStatus.COMPLETED and duration:
        answered_at = utc_key(occurred - timedelta(seconds=duration))
    campaign_id, lead_id = _owner(call_sid, fields)
    return {
        "event_id": f"exotel:{call_sid}:{call_status}",
        "type": EventType.EXOTEL_STATUS,
        "occurred_at": utc_key(occurred),
        "call_sid": call_sid,
        "campaign_id": campaign_id,
        "lead_id": lead_id,
        "data": {
            "status": str(call_status),
            "duration_seconds": duration,
            "recording_url": _field(fields, "RecordingUrl"),
            "answered_at": answered_at,
            "exotel": dict(fields),
        },
    }


def _flat(data):
    """Form data as a plain dict (QueryDict lists collapse to their last value)."""
    return data.dict() if hasattr(data, "dict") else dict(data)


class ExotelStatusView(APIView):
    authentication_classes = []  # the shared secret is the authentication; no CSRF, no session
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser, SafeJSONParser]

    @extend_schema(
        operation_id="exotel_status_callback",
        summary="Exotel call status callback",
        description="Set the call's StatusCallback to this URL with `?secret=<EXOTEL_WEBHOOK_SECRET>` "
        "(or basic auth with that password). Idempotent by CallSid + Status. 404 for a CallSid "
        "the agent has not reported yet (Exotel retries).",
        request={
            "application/x-www-form-urlencoded": ExotelStatusSerializer,
            "application/json": ExotelStatusSerializer,
        },
        parameters=[
            OpenApiParameter("secret", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False)
        ],
        responses={
            200: IngestResultSerializer,
            400: RejectedBatchSerializer,
            403: OpenApiTypes.OBJECT,
            404: OpenApiTypes.OBJECT,
            409: ConflictingBatchSerializer,
        },
        auth=[],
        tags=["ingestion"],
    )
    def post(self, request):
        if not secret_is_valid(request):
            raise PermissionDenied("Missing or wrong webhook secret.")
        try:
            event = exotel_event(_callback_fields(request))
        except InvalidEvents:
            events_rejected.send(sender=None, source=EXOTEL_SOURCE, reason="invalid")
            raise
        except UnknownCall:
            events_rejected.send(sender=None, source=EXOTEL_SOURCE, reason="unknown_call")
            raise
        result = ingest_events(events=[event], source=EXOTEL_SOURCE)
        return Response(IngestResultSerializer(result).data, status=status.HTTP_200_OK)


def _callback_fields(request):
    try:
        fields = request.data
    except (ParseError, BodyTooLarge) as exc:
        raise InvalidEvents([batch_problem(str(exc.detail))]) from None
    except (RequestDataTooBig, TooManyFieldsSent):
        raise InvalidEvents(
            [batch_problem("The callback body is too large; Exotel sends a few short fields.")]
        ) from None
    if not isinstance(fields, dict) and not hasattr(fields, "dict"):
        raise InvalidEvents([batch_problem("Send the callback fields as a form or a JSON object.")])
    return _flat(fields)

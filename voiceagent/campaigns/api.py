"""DRF viewsets of /api/campaigns/, /api/leads/, /api/dnc/ and /api/lead-imports/.

Who may do what (staff = `is_staff`; everyone else through Django model permissions, which the
`managers` group does not have beyond `view_*`, so managers are read-only):
- reads: any logged-in user, limited to the campaigns they may see (`visible_campaigns`); the DNC
  list needs staff or `voiceagent.view_donotcall` (managers have it);
- writes: staff, or a user holding the model permission of the action (`add_campaign`,
  `change_lead`, ...) and only on campaigns they may see. A campaign another team owns is 404
  for writes as for reads: its existence is not revealed.
"""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response

from voiceagent.access import visible_campaigns
from voiceagent.campaigns import dnc, serializers, services
from voiceagent.campaigns.cleaning import normalise_phone
from voiceagent.lead_import.files import check_request_size
from voiceagent.lead_import.jobs import import_upload
from voiceagent.models import (
    AuditAction,
    Campaign,
    CampaignStatus,
    DoNotCall,
    Lead,
    LeadImport,
    LeadImportStatus,
    LeadStatus,
    PropertyType,
)
from voiceagent.personal_data import audit, erasure
from voiceagent.personal_data.phones import can_view_full_phone, phone_hash


class ActionPermission(BasePermission):
    """Writes need staff or the model permissions `view.required_permissions[action]` names.

    Detail actions are checked on the object, after the visibility-filtered lookup, so another
    team's campaign answers 404 before any 403.
    """

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if view.detail:
            return True
        return self._allowed(request, view)

    def has_object_permission(self, request, view, obj):
        return self._allowed(request, view)

    @staticmethod
    def _allowed(request, view):
        required = view.required_permissions.get(view.action, ())
        return request.user.is_staff or request.user.has_perms(required)


def _user_ids_prefetch():
    return Prefetch("members", queryset=get_user_model().objects.only("id"))


class CampaignFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=CampaignStatus.choices)

    class Meta:
        model = Campaign
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="Campaigns you may see"),
    retrieve=extend_schema(summary="One campaign"),
    create=extend_schema(summary="Create a campaign (staff or add_campaign)"),
    update=extend_schema(summary="Replace a campaign; status moves by legal transitions only"),
    partial_update=extend_schema(summary="Change a campaign; status moves by legal transitions"),
    destroy=extend_schema(
        summary="Delete a draft campaign without calls",
        responses={204: None, 400: OpenApiResponse(description="Not a draft, or it has calls")},
    ),
)
class CampaignViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.CampaignSerializer
    permission_classes = [ActionPermission]
    filterset_class = CampaignFilter
    search_fields = ["name", "description"]
    ordering_fields = ["id", "name", "created_at", "status"]
    required_permissions = {
        "create": ["voiceagent.add_campaign"],
        "update": ["voiceagent.change_campaign"],
        "partial_update": ["voiceagent.change_campaign"],
        "destroy": ["voiceagent.delete_campaign"],
        "import_leads": ["voiceagent.add_lead", "voiceagent.change_lead"],
    }

    def get_queryset(self):
        return visible_campaigns(self.request.user).prefetch_related(_user_ids_prefetch())

    def perform_create(self, serializer):
        serializer.instance = services.create_campaign(
            created_by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_campaign(
            campaign=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.delete_campaign(campaign=instance)

    @extend_schema(
        summary="Import leads from a CSV or XLSX file",
        description=(
            "Multipart upload, field `file`. Columns are found by common header names; phones "
            "become E.164; rows sharing a phone are merged; DNC numbers are kept but flagged. "
            "Small files answer 200 with the result; files above LEAD_IMPORT_SYNC_MAX_BYTES, "
            "or any with `?async=1`, answer 202 with a job to poll at /api/lead-imports/{id}."
        ),
        request={"multipart/form-data": serializers.LeadImportUploadSerializer},
        parameters=[
            OpenApiParameter(
                "async", OpenApiTypes.BOOL, description="Run as a background job (202)."
            )
        ],
        responses={
            200: serializers.ImportResultSerializer,
            202: serializers.LeadImportSerializer,
            400: OpenApiResponse(description="File refused: type, size, empty, no phone column"),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="leads/import",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=serializers.LeadImportUploadSerializer,
    )
    def import_leads(self, request, pk=None):
        campaign = self.get_object()
        check_request_size(request.META.get("CONTENT_LENGTH"))
        upload = serializers.LeadImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        outcome = import_upload(
            campaign=campaign,
            user=request.user,
            file=file.file,
            filename=file.name,
            background=request.query_params.get("async", "").lower() in ("1", "true", "yes"),
        )
        if isinstance(outcome, LeadImport):
            body = serializers.LeadImportSerializer(outcome).data
            location = f"/api/lead-imports/{outcome.pk}"
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})
        return Response(serializers.ImportResultSerializer(outcome.as_dict()).data)


class LeadFilter(filters.FilterSet):
    campaign = filters.NumberFilter(field_name="campaign_id")
    status = filters.ChoiceFilter(choices=LeadStatus.choices)
    city = filters.CharFilter(field_name="city", lookup_expr="iexact")
    property_type = filters.ChoiceFilter(choices=PropertyType.choices)
    dnc = filters.BooleanFilter(field_name="is_dnc")
    valid = filters.BooleanFilter(method="filter_valid", label="Valid (phone, not DNC)")

    class Meta:
        model = Lead
        fields = ["campaign", "status", "city", "property_type", "dnc", "valid"]

    def filter_valid(self, queryset, name, value):
        valid = Q(is_dnc=False) & (~Q(phone="") | Q(phone_erased=True))
        return queryset.filter(valid if value else ~valid)


@extend_schema_view(
    list=extend_schema(summary="Leads of the campaigns you may see"),
    retrieve=extend_schema(summary="One lead"),
    create=extend_schema(summary="Create a lead (staff or add_lead)"),
    update=extend_schema(summary="Replace a lead (staff or change_lead)"),
    partial_update=extend_schema(summary="Change a lead (staff or change_lead)"),
)
class LeadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.LeadSerializer
    permission_classes = [ActionPermission]
    filterset_class = LeadFilter
    ordering_fields = ["id", "name", "created_at", "last_call_at", "call_attempts", "score"]
    ordering = ["-id"]
    required_permissions = {
        "create": ["voiceagent.add_lead"],
        "update": ["voiceagent.change_lead"],
        "partial_update": ["voiceagent.change_lead"],
    }

    def get_queryset(self):
        return Lead.objects.visible_to(self.request.user)

    @property
    def search_fields(self):
        # Searching digits would reveal a masked phone one guess at a time.
        return ["name", "phone"] if can_view_full_phone(self.request.user) else ["name"]

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        campaign = request.query_params.get("campaign")
        audit.record(
            action=AuditAction.LEADS_LISTED,
            object_type="campaign" if campaign else "",
            object_id=campaign or "",
            campaign_id=int(campaign) if campaign and campaign.isdigit() else None,
            detail={
                "count": response.data.get("count") if isinstance(response.data, dict) else None
            },
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        lead = self.get_object()
        audit.record(
            action=AuditAction.LEAD_VIEWED,
            object_type="lead",
            object_id=lead.pk,
            campaign_id=lead.campaign_id,
        )
        return Response(self.get_serializer(lead).data)

    @extend_schema(
        summary="Erase a lead's personal data at the person's request (staff only)",
        description="Name, phone, email and preferred locations become a tombstone "
        '("Erased lead #123"); the words of its calls, its qualification values and recording '
        "URLs are deleted; the campaign's export files are withdrawn; the number stays on the "
        "do-not-call list by its hash. Every figure is unchanged. Audited.",
        request=serializers.LeadEraseSerializer,
        responses={200: serializers.LeadSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="erase",
        permission_classes=[IsAdminUser],
        serializer_class=serializers.LeadEraseSerializer,
    )
    def erase(self, request, pk=None):
        lead = self.get_object()
        payload = serializers.LeadEraseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        lead = erasure.erase_lead(
            lead=lead, reason=payload.validated_data["reason"], erased_by=request.user
        )
        return Response(serializers.LeadSerializer(lead, context={"request": request}).data)

    def perform_create(self, serializer):
        serializer.instance = services.create_lead(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_lead(
            lead=serializer.instance, **serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(summary="The do-not-call list (staff or view_donotcall)"),
    retrieve=extend_schema(summary="One do-not-call number, by phone"),
    create=extend_schema(
        summary="Put a number on the do-not-call list (staff or add_donotcall)",
        description="Idempotent: 201 when added, 200 with the entry when already listed. Every "
        "lead with the number is flagged DNC.",
        responses={201: serializers.DoNotCallSerializer, 200: serializers.DoNotCallSerializer},
    ),
    destroy=extend_schema(
        summary="Take a number off the list (staff or delete_donotcall); its leads are unflagged",
        responses={204: None},
    ),
)
class DoNotCallViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.DoNotCallSerializer
    permission_classes = [ActionPermission]
    queryset = DoNotCall.objects.all()
    search_fields = ["phone", "reason"]
    ordering_fields = ["created_at", "phone"]
    lookup_field = "phone"
    lookup_value_regex = r"[^/]+"
    required_permissions = {
        "list": ["voiceagent.view_donotcall"],
        "retrieve": ["voiceagent.view_donotcall"],
        "create": ["voiceagent.add_donotcall"],
        "destroy": ["voiceagent.delete_donotcall"],
    }

    def get_object(self):
        # /api/dnc/09812345678 and /api/dnc/+919812345678 name the same number.
        try:
            phone = normalise_phone(self.kwargs["phone"])
        except ValueError:
            phone = self.kwargs["phone"]
        self.kwargs["phone"] = phone
        return super().get_object()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        added = dnc.add_to_dnc(
            phones=[serializer.validated_data["phone"]],
            reason=serializer.validated_data.get("reason", ""),
            added_by=request.user,
        )
        # By hash: an erased number's entry keeps no phone.
        entry = DoNotCall.objects.get(phone_hash=phone_hash(serializer.validated_data["phone"]))
        return Response(
            self.get_serializer(entry).data,
            status=status.HTTP_201_CREATED if added else status.HTTP_200_OK,
        )

    def perform_destroy(self, instance):
        dnc.remove_from_dnc(phone=instance.phone)


class LeadImportFilter(filters.FilterSet):
    # A number, not a choice of campaigns: the choices would list campaigns of other teams.
    campaign = filters.NumberFilter(field_name="campaign_id")
    status = filters.ChoiceFilter(choices=LeadImportStatus.choices)

    class Meta:
        model = LeadImport
        fields = ["campaign", "status"]


@extend_schema_view(
    list=extend_schema(summary="Background lead imports of the campaigns you may see"),
    retrieve=extend_schema(summary="One background lead import: status, progress, result"),
)
class LeadImportViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.LeadImportSerializer
    permission_classes = [ActionPermission]
    filterset_class = LeadImportFilter
    ordering_fields = ["created_at"]
    required_permissions = {}

    def get_queryset(self):
        return LeadImport.objects.filter(campaign__in=visible_campaigns(self.request.user))

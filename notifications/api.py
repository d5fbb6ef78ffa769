"""DRF views of /api/alert-rules/ and /api/webhooks/ (with their delivery logs).

Who may do what: any logged-in user manages rules and endpoints of the campaigns they see
(managers: their campaigns; staff: all) and their own ones covering all their campaigns
(campaign null); anything else is 404. See notifications.models.ScopedQuerySet.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from notifications import services
from notifications.models import AlertRule, Delivery, WebhookEndpoint
from notifications.serializers import (
    AlertRuleSerializer,
    DeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
)
from voiceagent.web.pagination import Pagination


class DeliveryLogMixin:
    def _delivery_log(self, request, owner_field):
        owner = self.get_object()
        deliveries = Delivery.objects.filter(**{owner_field: owner}).select_related("call")
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Alert rules you manage"),
    retrieve=extend_schema(summary="One alert rule"),
    create=extend_schema(summary="Create an alert rule (email, SMS or Slack on lead.qualified)"),
    partial_update=extend_schema(summary="Change an alert rule"),
    update=extend_schema(summary="Replace an alert rule"),
    destroy=extend_schema(summary="Delete an alert rule"),
)
class AlertRuleViewSet(DeliveryLogMixin, viewsets.ModelViewSet):
    serializer_class = AlertRuleSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    def get_queryset(self):
        return AlertRule.objects.visible_to(self.request.user).select_related("owner")

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    @extend_schema(summary="Delivery log of an alert rule", responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="deliveries", pagination_class=Pagination)
    def deliveries(self, request, pk=None):
        return self._delivery_log(request, "rule")


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints you manage"),
    retrieve=extend_schema(summary="One webhook endpoint"),
    create=extend_schema(
        summary="Create a webhook endpoint; the answer shows its signing secret, once",
        responses={201: WebhookEndpointCreatedSerializer},
    ),
    partial_update=extend_schema(summary="Change a webhook endpoint (active: true re-enables)"),
    update=extend_schema(summary="Replace a webhook endpoint"),
    destroy=extend_schema(summary="Delete a webhook endpoint"),
)
class WebhookEndpointViewSet(DeliveryLogMixin, viewsets.ModelViewSet):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    def get_queryset(self):
        return WebhookEndpoint.objects.visible_to(self.request.user).select_related("owner")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = serializer.save(owner=request.user)
        return Response(
            WebhookEndpointCreatedSerializer(endpoint, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_update(self, serializer):
        if "active" in serializer.validated_data:
            services.set_endpoint_active(
                endpoint=serializer.instance, active=serializer.validated_data["active"]
            )
        serializer.save()

    @extend_schema(
        summary="Delivery log of a webhook endpoint (newest first)",
        responses=DeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="deliveries", pagination_class=Pagination)
    def deliveries(self, request, pk=None):
        return self._delivery_log(request, "endpoint")

    @extend_schema(
        summary="Send a delivery again now, with the same webhook-id",
        request=None,
        responses={202: DeliverySerializer, 404: OpenApiResponse(description="Not found.")},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>\d+)/redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        delivery = get_object_or_404(
            Delivery.objects.select_related("call"), pk=delivery_id, endpoint=endpoint
        )
        delivery = services.redeliver(delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

"""Admin of alert rules, webhook endpoints and the delivery log (staff)."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from notifications.models import AlertRule, Delivery, WebhookEndpoint
from notifications.targets import clean_target, clean_url


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "target", "campaign", "owner", "active"]
    list_filter = ["channel", "active"]
    list_select_related = ["campaign", "owner"]
    raw_id_fields = ["owner", "campaign"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ValidatedForm(form):
            def clean(self):
                data = super().clean()
                if data.get("channel") and data.get("target"):
                    try:
                        data["target"] = clean_target(data["channel"], data["target"])
                    except ValueError as exc:
                        self.add_error("target", str(exc))
                return data

        return ValidatedForm


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["id", "url", "campaign", "owner", "active", "disabled_at"]
    list_filter = ["active"]
    list_select_related = ["campaign", "owner"]
    raw_id_fields = ["owner", "campaign"]
    readonly_fields = ["failing_since", "disabled_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ValidatedForm(form):
            def clean_url(self):
                try:
                    return clean_url(self.cleaned_data["url"])
                except ValueError as exc:
                    raise ValidationError(str(exc)) from None

        return ValidatedForm


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "status", "attempts", "last_response_code",
                    "next_attempt_at", "created_at", "rule", "endpoint"]  # fmt: skip
    list_filter = ["status", "event_type"]
    list_select_related = ["rule", "endpoint"]
    raw_id_fields = ["rule", "endpoint", "call"]
    readonly_fields = ["key", "message_id", "payload", "attempts", "last_response_code",
                       "last_error", "created_at", "last_attempt_at", "delivered_at"]  # fmt: skip
    search_fields = ["message_id", "key"]

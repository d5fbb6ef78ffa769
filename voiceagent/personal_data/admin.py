"""Admin of personal data: the read-only audit log (with a CSV export) and the erasure action."""

from django.contrib import admin, messages
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from exports.writers import CONTENT_TYPES, Column, iter_csv
from voiceagent.campaigns.services import RuleViolation
from voiceagent.models import AuditAction, AuditEvent
from voiceagent.personal_data import audit, erasure, selectors


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read only: nobody adds, changes or deletes an audit event, staff or superuser."""

    list_display = (
        "occurred_at", "actor_username", "action", "object_type", "object_id", "campaign_id",
        "ip",
    )  # fmt: skip
    list_filter = ("action", "occurred_at", "object_type")
    search_fields = ("actor_username", "object_id", "ip")
    date_hierarchy = "occurred_at"
    actions = ["export_csv"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export selected audit events as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        audit.record(action=AuditAction.AUDIT_EXPORTED, detail={"selected": queryset.count()})
        columns = [Column(header) for header in selectors.CSV_HEADER]
        events = queryset.order_by("-occurred_at", "-id")
        response = StreamingHttpResponse(
            iter_csv(columns, selectors.audit_csv_rows(events)), content_type=CONTENT_TYPES["csv"]
        )
        filename = f"audit-events-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


def erase_leads_action(modeladmin, request, queryset):
    """Lead admin action: a confirmation page asking for the reason, then the erasure."""
    leads = list(queryset.select_related("campaign").filter(erased_at__isnull=True))
    reason = request.POST.get("reason", "").strip()
    if request.POST.get("confirm") and reason:
        erased = 0
        for lead in leads:
            try:
                erasure.erase_lead(lead=lead, reason=reason, erased_by=request.user)
                erased += 1
            except RuleViolation as exc:
                modeladmin.message_user(request, exc.detail, messages.ERROR)
        modeladmin.message_user(request, f"{erased} lead(s) erased.", messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "leads": leads,
        "reason": reason,
        "error": "Say why the leads are erased." if request.POST.get("confirm") else "",
    }
    return TemplateResponse(request, "admin/voiceagent/lead/erase_confirmation.html", context)

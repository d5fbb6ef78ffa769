"""Admin of exports: export jobs with status, progress and a download link; and the actions
"Export selected as CSV / Excel" added to the campaign, lead and call changelists."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from exports import services
from exports.models import ExportFormat, ExportJob
from voiceagent.admin import add_changelist_actions
from voiceagent.models import CallSession, Campaign, Lead


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "format",
        "campaign",
        "user",
        "status",
        "progress_percent",
        "rows_written",
        "created_at",
        "expires_at",
        "download_link",
    )
    list_filter = ("status", "kind", "format", "created_at")
    list_select_related = ("campaign", "user")
    search_fields = ("campaign__name", "user__username")
    date_hierarchy = "created_at"
    readonly_fields = (
        "user", "campaign", "kind", "format", "selected_ids", "status", "progress",
        "rows_written", "total_rows", "file_size", "task_id", "attempts", "error",
        "created_at", "started_at", "heartbeat_at", "finished_at", "expires_at", "download_link",
    )  # fmt: skip
    exclude = ("file",)  # the storage path is internal; the download link is what staff use

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Progress", ordering="progress")
    def progress_percent(self, job):
        return f"{job.progress}%"

    @admin.display(description="File")
    def download_link(self, job):
        if not job.is_downloadable:
            return "—"
        url = reverse("exports:job-download", args=[job.pk])
        return format_html('<a href="{}">Download ({} bytes)</a>', url, job.file_size)


def _export_selected(modeladmin, request, queryset, fmt):
    jobs = services.create_jobs_for_selection(user=request.user, queryset=queryset, fmt=fmt)
    url = reverse("admin:exports_exportjob_changelist")
    modeladmin.message_user(
        request,
        format_html(
            '{} export job(s) queued; follow them in <a href="{}">export jobs</a>.', len(jobs), url
        ),
        messages.SUCCESS,
    )


@admin.action(description="Export selected as CSV")
def export_selected_csv(modeladmin, request, queryset):
    _export_selected(modeladmin, request, queryset, ExportFormat.CSV)


@admin.action(description="Export selected as Excel")
def export_selected_xlsx(modeladmin, request, queryset):
    _export_selected(modeladmin, request, queryset, ExportFormat.XLSX)


# The call domain's changelists offer the exports through voiceagent.admin's extension point.
for _model in (Campaign, Lead, CallSession):
    add_changelist_actions(_model, export_selected_csv, export_selected_xlsx)

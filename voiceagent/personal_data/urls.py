"""Routes of the audit log API (with and without a trailing slash)."""

from voiceagent.personal_data import api
from voiceagent.web.urltools import slash_optional

urlpatterns = [
    *slash_optional("api/audit-events", api.AuditEventListView.as_view(), "audit-events"),
    *slash_optional(
        "api/audit-events/export", api.AuditEventExportView.as_view(), "audit-events-export"
    ),
]

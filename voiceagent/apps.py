"""App config of the call domain."""

from django.apps import AppConfig


class VoiceagentConfig(AppConfig):
    name = "voiceagent"
    verbose_name = "Calls"

    def ready(self):
        # The audit log hears logins, failed logins and every admin change.
        from django.contrib.admin.models import LogEntry
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import post_save

        from voiceagent.personal_data import audit

        user_logged_in.connect(audit.on_logged_in, dispatch_uid="audit-login")
        user_login_failed.connect(audit.on_login_failed, dispatch_uid="audit-login-failed")
        post_save.connect(audit.on_admin_log_entry, sender=LogEntry, dispatch_uid="audit-admin")

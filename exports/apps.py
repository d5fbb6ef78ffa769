"""App config of exports: deleting an export job deletes its stored file."""

from django.apps import AppConfig
from django.db.models.signals import post_delete


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"

    def ready(self):
        from exports.models import ExportJob
        from exports.services import delete_job_file

        post_delete.connect(delete_job_file, sender=ExportJob, dispatch_uid="exports.job_file")

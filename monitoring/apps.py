"""App config of monitoring: connects the metrics to domain events and process lifecycles."""

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from monitoring import multiprocess, receivers, worker  # noqa: F401 - connect signals

        multiprocess.install_exit_hook()

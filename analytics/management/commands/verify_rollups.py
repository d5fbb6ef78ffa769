"""manage.py verify_rollups [--campaign ID]: compare the rollups with raw rows; exit 1 on drift."""

from django.core.management.base import BaseCommand

from analytics.management.commands.rebuild_rollups import campaign_ids
from analytics.rollups.rebuild import verify_campaign
from monitoring.metrics import record_rollup_verification

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Compare every rollup counter with what the raw calls, turns and objections give, name "
        "each drift and exit 1 when there is any; the count is the rollup_drift gauge of "
        "/health/metrics. `rebuild_rollups --campaign ID` repairs a campaign."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="only this campaign id")

    def handle(self, *args, campaign=None, **options):
        drift = []
        for campaign_id in campaign_ids(campaign):
            found = verify_campaign(campaign_id)
            for item in found[:SHOWN]:
                self.stderr.write(f"campaign {campaign_id}: {item}")
            if len(found) > SHOWN:
                self.stderr.write(f"campaign {campaign_id}: … {len(found) - SHOWN} more")
            drift += found
        record_rollup_verification(drift=len(drift))
        if drift:
            self.stderr.write(
                self.style.ERROR(f"{len(drift)} rollup counter(s) differ from the raw rows.")
            )
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("The rollups equal the raw rows."))

"""manage.py rebuild_rollups [--campaign ID] [--since DATE]: the rollups again from raw rows."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.periods import start_of_day
from analytics.rollups.rebuild import rebuild_campaign
from voiceagent.models import Campaign


def campaign_ids(option):
    ids = list(Campaign.objects.order_by("pk").values_list("pk", flat=True))
    if option is None:
        return ids
    if option not in ids:
        raise CommandError(f"No campaign {option}.")
    return [option]


def local_date(value):
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since {value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Rebuild the rollup tables from calls, turns and objections, one campaign per "
        "transaction (idempotent: run it again after a stop), set-based on PostgreSQL. "
        "--since DATE (a day in TIME_ZONE) rebuilds the buckets from that day on; the per-lead "
        "funnel is always rebuilt whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="only this campaign id")
        parser.add_argument("--since", help="only buckets from this local date on (YYYY-MM-DD)")

    def handle(self, *args, campaign=None, since=None, **options):
        since_at = start_of_day(local_date(since)) if since else None
        started = time.monotonic()
        ids = campaign_ids(campaign)
        for campaign_id in ids:
            rebuild_campaign(campaign_id, since=since_at)
            self.stdout.write(f"campaign {campaign_id}: rebuilt")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt the rollups of {len(ids)} campaign(s) in {elapsed:.1f} s.")
        )

"""manage.py rescore_leads [--campaign ID]: every lead's score again from its calls (after an
upgrade that brings scores, or a direct SQL change to calls)."""

from django.core.management.base import BaseCommand, CommandError

from voiceagent.campaigns.scoring import rescore_campaigns
from voiceagent.models import Campaign


class Command(BaseCommand):
    help = (
        "Score every lead (or one campaign's) again from its calls, in one UPDATE; the leads "
        "are locked first, in the order ingestion takes them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="Only this campaign's leads.")

    def handle(self, *args, campaign=None, **options):
        if campaign is not None and not Campaign.objects.filter(pk=campaign).exists():
            raise CommandError(f"No campaign {campaign}.")
        written = rescore_campaigns(campaign_ids=None if campaign is None else [campaign])
        self.stdout.write(f"Scored {written} leads.")

"""manage.py rescore_leads [--campaign ID]: every lead's score again from its calls (after an
upgrade that brings scores, or a direct SQL change to calls)."""

from django.core.management.base import BaseCommand, CommandError

from voiceagent.campaigns.scoring import recompute_lead_scores
from voiceagent.models import Campaign, Lead


class Command(BaseCommand):
    help = "Score every lead (or one campaign's) again from its calls, in one statement."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="Only this campaign's leads.")

    def handle(self, *args, campaign=None, **options):
        lead_ids = None
        if campaign is not None:
            if not Campaign.objects.filter(pk=campaign).exists():
                raise CommandError(f"No campaign {campaign}.")
            lead_ids = Lead.objects.filter(campaign_id=campaign).values("pk")
        written = recompute_lead_scores(lead_ids=lead_ids)
        self.stdout.write(f"Scored {written} leads.")

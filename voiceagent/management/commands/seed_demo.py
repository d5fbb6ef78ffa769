"""manage.py seed_demo: load deterministic demo data (idempotent; --reset reloads it).

The call history goes through the ingestion service, as a dialer would have made it
(voiceagent.simulation.demo_data).
"""

import time

from django.core.management.base import BaseCommand

from voiceagent.simulation.demo_data import remove_demo, seed_demo


class Command(BaseCommand):
    help = "Load realistic, deterministic demo data (campaigns, leads, calls, turns). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--campaigns", type=int, default=6)
        parser.add_argument("--leads", type=int, default=2500)
        parser.add_argument(
            "--calls",
            type=int,
            default=3000,
            help="Calls the dialer makes at most (fewer when it runs out of leads due a call).",
        )
        parser.add_argument("--reset", action="store_true", help="Remove earlier demo data first.")

    def handle(self, *args, seed, campaigns, leads, calls, reset, **options):
        if reset:
            remove_demo()
        started = time.monotonic()
        result = seed_demo(seed=seed, campaigns=campaigns, leads=leads, calls=calls)
        if not result.created:
            self.stdout.write(
                "Demo data already present; nothing to do (use --reset to reload it)."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {result.campaigns} campaigns, {result.leads} leads, {result.calls} calls, "
                f"{result.turns} turns in {time.monotonic() - started:.1f}s."
            )
        )

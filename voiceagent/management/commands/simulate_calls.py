"""manage.py simulate_calls: realistic live calls through the ingestion service or its HTTP API."""

import logging

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from voiceagent.access import ensure_groups
from voiceagent.models import Campaign, CampaignStatus
from voiceagent.simulation.simulator import DatabaseLeads, HttpSink, ServiceSink, Simulator
from voiceagent.simulation.simulator import wait_for_server as wait_until_answering

SIMULATOR_USER = "simulator"


def simulator_token():
    """The DRF token of the `simulator` user (created in the ingest group when missing)."""
    user, created = User.objects.get_or_create(username=SIMULATOR_USER)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    _, ingest = ensure_groups()
    user.groups.add(ingest)
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


class Command(BaseCommand):
    help = (
        "Simulate live calls: start RATE calls per second on valid leads of running campaigns and "
        "report their events as they happen, to the ingestion service or to --url over HTTP."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=0.5, help="Calls started per second.")
        parser.add_argument(
            "--duration", type=float, default=0, help="Seconds to start calls for (0 = forever)."
        )
        parser.add_argument("--campaign", type=int, help="Only call leads of this campaign.")
        parser.add_argument("--seed", type=int, help="Random seed: the same call scripts each run.")
        parser.add_argument("--url", help="Post events to this server's /api/call-events.")
        parser.add_argument(
            "--token",
            help="Ingest token for --url; without it the `simulator` user's token is used "
            "(created in the ingest group; the server must share this database).",
        )
        parser.add_argument(
            "--wait-for-server", action="store_true", help="Retry until --url answers."
        )
        parser.add_argument(
            "--speed", type=float, default=1.0, help="Run calls this many times faster than life."
        )

    def handle(self, *args, rate, duration, campaign, seed, url, token, wait_for_server, speed, **options):  # fmt: skip
        if rate < 0 or duration < 0 or speed <= 0:
            raise CommandError("--rate and --duration must be >= 0 and --speed > 0.")
        if campaign is not None:
            chosen = Campaign.objects.filter(pk=campaign).first()
            if chosen is None:
                raise CommandError(f"No campaign with id {campaign}.")
            if chosen.status != CampaignStatus.RUNNING:
                self.stderr.write(
                    f"Campaign {campaign} is {chosen.status}; calls start once it runs."
                )
        if (token or wait_for_server) and not url:
            raise CommandError("--token and --wait-for-server need --url.")
        logging.getLogger("voiceagent.simulation.simulator").setLevel(logging.INFO)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per batch
        if url:
            if wait_for_server:
                self.stdout.write(f"Waiting for {url} ...")
                wait_until_answering(url)
            sink = HttpSink(url=url, token=token or simulator_token())
            where = url
        else:
            sink, where = ServiceSink(), "the ingestion service"
        simulator = Simulator(
            sink=sink,
            rate=rate,
            duration=duration,
            seed=seed,
            leads=DatabaseLeads(campaign_id=campaign),
            speed=speed,
        )
        span = f"for {duration:g}s" if duration else "until stopped"
        self.stdout.write(
            f"Simulating {rate:g} calls/s to {where} ({span}); run {simulator.run_id}."
        )
        try:
            simulator.run()
        except PermissionError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            pass
        self.stdout.write(
            self.style.SUCCESS(
                f"Simulated {simulator.calls_started} calls, {simulator.events_sent} events."
            )
        )

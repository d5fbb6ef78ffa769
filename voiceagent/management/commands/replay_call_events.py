"""manage.py replay_call_events: dump the CallEvent log as JSON lines, or replay such a dump."""

import json
import sys
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from voiceagent.ingestion.services import IngestionError, replay_events
from voiceagent.models import CallEvent


def log_records():
    """The CallEvent log in arrival order, as plain records."""
    for event in CallEvent.objects.order_by("received_at", "id").iterator(chunk_size=2000):
        yield {
            "payload": event.payload,
            "source": event.source,
            "received_at": event.received_at.isoformat(),
        }


def read_records(lines):
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            received_at = parse_datetime(record["received_at"])
            yield {
                "payload": record["payload"],
                "source": record["source"],
                "received_at": received_at,
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"Line {number} is not a CallEvent record: {exc}") from exc


class Command(BaseCommand):
    help = (
        "Dump the call-event log (--dump FILE, '-' for stdout) or replay a dump through the "
        "ingestion service (--input FILE): into a database with the same campaigns and leads "
        "and no calls, it rebuilds the same calls, turns, objections, leads and follow-ups."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--dump", metavar="FILE")
        action.add_argument("--input", metavar="FILE")

    def handle(self, *args, dump, input, **options):
        if dump:
            with (
                nullcontext(sys.stdout) if dump == "-" else open(dump, "w", encoding="utf-8") as out
            ):
                count = 0
                for record in log_records():
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    count += 1
            self.stderr.write(f"Dumped {count} events.")
            return
        try:
            with open(input, encoding="utf-8") as lines:
                result = replay_events(records=read_records(lines))
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except IngestionError as exc:
            raise CommandError(f"Replay stopped at a rejected batch: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Replayed {result.accepted} events ({result.duplicates} already present)."
            )
        )

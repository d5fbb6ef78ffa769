"""A batch's changes also go out as ONE `calls_changed`, the same changes in the same order."""

import pytest

from tests.factories import make_lead
from tests.voiceagent.ingestion.call_scripts import unanswered_call
from voiceagent.events import call_changed, calls_changed
from voiceagent.ingestion.services import ingest_events

pytestmark = pytest.mark.django_db


def test_a_batch_of_two_calls_sends_one_calls_changed_with_every_change_in_order(
    team, django_capture_on_commit_callbacks
):
    lead = make_lead(team.campaign)
    batches, singles = [], []

    def on_batch(sender, changes, **kwargs):
        batches.append([(call.call_sid, dict(change), ended) for call, change, ended in changes])

    def on_single(sender, call, changes, ended, **kwargs):
        singles.append((call.call_sid, dict(changes), ended))

    calls_changed.connect(on_batch)
    call_changed.connect(on_single)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ingest_events(
                events=unanswered_call(lead, "CB1") + unanswered_call(lead, "CB2"), source="api"
            )
    finally:
        calls_changed.disconnect(on_batch)
        call_changed.disconnect(on_single)

    assert len(batches) == 1
    assert batches[0] == singles
    assert [(sid, change["type"], ended) for sid, change, ended in batches[0]] == [
        ("CB1", "call.queued", False),
        ("CB1", "call.initiated", False),
        ("CB1", "call.ringing", False),
        ("CB1", "call.completed", True),
        ("CB2", "call.queued", False),
        ("CB2", "call.initiated", False),
        ("CB2", "call.ringing", False),
        ("CB2", "call.completed", True),
    ]

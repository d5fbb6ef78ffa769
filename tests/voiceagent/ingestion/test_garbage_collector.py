"""A batch is applied with the cyclic garbage collector off, and it is on again afterwards."""

import gc
import threading

import pytest

from tests.factories import make_lead
from tests.voiceagent.ingestion.call_scripts import unanswered_call
from voiceagent.ingestion import call_state
from voiceagent.ingestion.services import cyclic_collection_paused, ingest_events
from voiceagent.models import CallSession

pytestmark = pytest.mark.django_db


def test_events_are_folded_with_the_collector_off_and_it_is_on_again_after_the_batch(
    team, monkeypatch
):
    lead = make_lead(team.campaign)
    seen = []
    resolve = call_state.resolve

    def resolve_noting_the_collector(call):
        seen.append(gc.isenabled())
        resolve(call)

    monkeypatch.setattr(call_state, "resolve", resolve_noting_the_collector)

    result = ingest_events(events=unanswered_call(lead, "GC1"), source="api")

    assert (result.accepted, seen) == (4, [False, False, False, False])
    assert gc.isenabled()
    assert CallSession.objects.get(call_sid="GC1").status == "no_answer"


def test_a_collector_turned_off_by_someone_else_stays_off_after_a_batch():
    gc.disable()
    try:
        with cyclic_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_on_again_when_a_batch_fails():
    with pytest.raises(RuntimeError), cyclic_collection_paused():
        raise RuntimeError("the batch failed")

    assert gc.isenabled()


def test_a_batch_ending_while_another_starts_leaves_the_collector_on(monkeypatch):
    """Concurrent requests run batches in threads of one process, which share the collector: a
    batch that ends (turning it on again) between another's look at it and that one turning it
    off must not leave it off for good."""
    first = cyclic_collection_paused()
    first.__enter__()
    look = gc.isenabled
    enders = []

    def look_while_the_first_batch_ends():
        was_enabled = look()
        ender = threading.Thread(target=first.__exit__, args=(None, None, None))
        ender.start()
        ender.join(timeout=0.5)  # the first batch ends now, unless it has to wait for this one
        enders.append(ender)
        return was_enabled

    monkeypatch.setattr(gc, "isenabled", look_while_the_first_batch_ends)
    try:
        with cyclic_collection_paused():
            pass
        monkeypatch.undo()
        enders[0].join()

        assert gc.isenabled()
    finally:
        monkeypatch.undo()
        gc.enable()

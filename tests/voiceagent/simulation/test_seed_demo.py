"""seed_demo is deterministic for a seed and idempotent."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from voiceagent.models import (
    CallSession,
    Campaign,
    ConversationTurn,
    DoNotCall,
    Lead,
    ScheduledCall,
)
from voiceagent.simulation.demo_data import remove_demo, seed_demo

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Campaign.objects.order_by("name").values_list("name", "status")),
        list(
            Lead.objects.order_by("phone", "campaign__name").values_list(
                "campaign__name", "name", "phone", "budget", "is_dnc"
            )
        ),
        list(
            CallSession.objects.order_by("call_sid").values_list(
                "call_sid", "status", "outcome", "initiated_at", "duration_seconds"
            )
        ),
        ConversationTurn.objects.count(),
        ScheduledCall.objects.count(),
    )


def test_seed_is_deterministic_for_a_seed():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    seed_demo(seed=7, campaigns=3, leads=60, calls=100, now=now)
    first = snapshot()
    remove_demo()
    seed_demo(seed=7, campaigns=3, leads=60, calls=100, now=now)
    assert snapshot() == first
    assert len(first[0]) == 3 and len(first[1]) == 60 and 0 < len(first[2]) <= 100


def test_second_run_adds_nothing(capsys):
    call_command("seed_demo", "--campaigns", "2", "--leads", "20", "--calls", "30")
    counts = (Campaign.objects.count(), Lead.objects.count(), CallSession.objects.count())
    call_command("seed_demo", "--campaigns", "2", "--leads", "20", "--calls", "30")
    assert (Campaign.objects.count(), Lead.objects.count(), CallSession.objects.count()) == counts
    assert counts[:2] == (2, 20) and 0 < counts[2] <= 30
    assert "already present" in capsys.readouterr().out


def test_demo_calls_have_every_finished_status():
    seed_demo(seed=1, campaigns=3, leads=100, calls=150)
    statuses = set(CallSession.objects.values_list("status", flat=True))
    assert {"completed", "no_answer", "busy", "failed"} <= statuses


@pytest.mark.django_db
def test_removing_the_demo_leaves_only_what_was_there_before():
    DoNotCall.objects.create(phone="+919800000001", reason="Asked by email")
    call_command("seed_demo", "--leads", "200", "--calls", "50")
    assert DoNotCall.objects.count() > 1

    remove_demo()

    assert list(DoNotCall.objects.values_list("phone", "reason")) == [
        ("+919800000001", "Asked by email")
    ]

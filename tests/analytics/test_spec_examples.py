"""The spec's own httpx usage examples (MODULE_5_README.md, "Usage Examples" 1 and 4), with a
token header added, run against a live server: they print what the spec says they print.

Examples 2 (exports) and 3 (/health/detailed) belong to the exports and monitoring issues.
"""

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.factories import make_call, make_campaign, make_lead, make_user
from voiceagent.models import CallStatus


async def example_1_campaign_metrics(base_url, headers):
    async with httpx.AsyncClient(headers=headers) as client:
        response = await client.get(f"{base_url}/analytics/campaigns/1/metrics")
        metrics = response.json()

        print(f"Answer Rate: {metrics['answer_rate']}%")
        print(f"Qualification Rate: {metrics['qualification_rate']}%")
        print(f"Qualified Leads: {metrics['calls_qualified']}")


async def example_4_realtime(base_url, headers, rounds=1):
    """The spec loops forever; one round (or `rounds`) is enough to see what it prints."""
    async with httpx.AsyncClient(headers=headers) as client:
        for _ in range(rounds):
            response = await client.get(f"{base_url}/dashboard/realtime")
            data = response.json()

            print(f"Calls in Progress: {data['calls_in_progress']}")
            for call in data["active_calls"]:
                print(f"  - {call['lead_name']}: {call['stage']} ({call['duration_seconds']}s)")


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_spec_examples_print_sensible_values(live_server, capsys):
    user = make_user("spec-reader")
    campaign = make_campaign("Powai launch", members=[user])  # id 1, as in the spec
    leads = [make_lead(campaign, name) for name in ("Priya Sharma", "Arjun Mehta", "Kavya Iyer")]
    make_call(leads[0], outcome="qualified", duration=120)
    make_call(leads[1], outcome="not_interested", duration=45)
    make_call(leads[2], status=CallStatus.NO_ANSWER, outcome="no_answer")
    now = timezone.now()
    make_call(leads[2], status=CallStatus.IN_PROGRESS, answered=False, current_stage="discovery",
              initiated_at=now - timedelta(seconds=50), answered_at=now - timedelta(seconds=42))  # fmt: skip
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}

    asyncio.run(example_1_campaign_metrics(live_server.url, headers))
    asyncio.run(example_4_realtime(live_server.url, headers))

    printed = capsys.readouterr().out
    with capsys.disabled():
        print(f"\n{printed}")
    assert campaign.pk == 1
    assert re.fullmatch(
        r"Answer Rate: 66\.67%\n"
        r"Qualification Rate: 50\.0%\n"
        r"Qualified Leads: 1\n"
        r"Calls in Progress: 1\n"
        # The call's clock runs from its start (initiated 50 s ago), not from the answer.
        r"  - Kavya Iyer: discovery \(5[0-9]s\)\n",
        printed,
    ), printed

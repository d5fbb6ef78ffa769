"""A campaign with a Devanagari name and calls inside and outside 13–15 Jan 2025 (IST)."""

import email
import email.policy
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from scripts.harness import free_port
from tests.factories import make_call, make_lead, make_objection, make_turn
from voiceagent.models import CallStatus

CAMPAIGN_NAME = "पवई लॉन्च Powai launch"
PERIOD = {"from": "2025-01-13", "to": "2025-01-15"}


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def report_campaign(team):
    """In 13–15 Jan: 5 calls made, 3 answered, 2 qualified (answer rate 60.0, qualification rate
    66.67); one more qualified call on 20 Jan, outside that range."""
    campaign = team.campaign
    campaign.name = CAMPAIGN_NAME
    campaign.save(update_fields=["name"])
    anita = make_lead(campaign, "अनिता शर्मा")
    ravi = make_lead(campaign, "Ravi Kumar")
    qualified = make_call(
        anita, initiated_at=utc(2025, 1, 13, 5, 0), outcome="qualified", duration=120
    )
    make_turn(qualified, 1, stt_ms=200, llm_ms=600, tts_ms=150)
    make_objection(qualified, "price")
    make_call(ravi, initiated_at=utc(2025, 1, 14, 6, 0), outcome="qualified", duration=90)
    make_call(ravi, initiated_at=utc(2025, 1, 14, 7, 0), outcome="not_interested", duration=30)
    make_call(
        anita,
        status=CallStatus.NO_ANSWER,
        initiated_at=utc(2025, 1, 15, 8, 0),
        outcome="no_answer",
    )
    make_call(anita, initiated_at=utc(2025, 1, 15, 9, 0), outcome="voicemail", duration=20)
    make_call(ravi, initiated_at=utc(2025, 1, 20, 9, 0), outcome="qualified", duration=60)
    return campaign


class RecordingHandler:
    """aiosmtpd handler keeping every accepted message (envelope recipients and raw bytes)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "to": list(envelope.rcpt_tos),
                "message": email.message_from_bytes(envelope.content, policy=email.policy.default),
            }
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) in the test process; Django's mail goes to it over SMTP."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "reports@voiceagent.example"
    handler.port = controller.port
    yield handler
    controller.stop()

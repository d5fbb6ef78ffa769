"""Alerts on qualified leads: one email, one SMS and one Slack message per (rule, call), sent
through real receivers (aiosmtpd, a recording HTTP server as Slack and Exotel)."""

import base64
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.metrics import errors_total
from notifications.models import AlertRule, Delivery, DeliveryStatus
from tests.factories import make_ingest_user, make_lead
from tests.notifications.conftest import SMS_PATH
from tests.notifications.helpers import deliver_pending, post_events
from tests.voiceagent.ingestion.call_scripts import answered_call, unanswered_call

SLACK_PATH = "/services/T000/B000/slack"

EXPECTED_TEXT = (
    "A call just qualified a lead.\n\n"
    "Lead: Priya Sharma\n"
    "Phone: +91 98XXX XX678\n"  # the rule's owner, a manager, sees phones masked
    "Campaign: Powai launch\n"
    "Purpose: buy\n"
    "Budget: 80 lakh\n"
    "Timeline: 3 months\n"
    "Interest: high\n"
    "Call duration: 50 s\n"
    "Call: https://voiceagent.example/calls/CA-q1/\n"
)


@pytest.fixture
def rules(team, channels, receiver):
    def rule(channel, target):
        return AlertRule.objects.create(
            owner=team.member, campaign=team.campaign, channel=channel, target=target
        )

    return [
        rule("email", "sales@skyline.example"),
        rule("sms", "+919900011122"),
        rule("slack", receiver.url + SLACK_PATH),
    ]


@pytest.fixture
def agent(api_client):
    return api_client(make_ingest_user("agent"))


def failures():
    return errors_total.labels(type="delivery_failed", component="notifications")._value.get()


def test_events_posted_three_times_shuffled_give_one_email_one_sms_one_slack_per_qualified_call(
    team, rules, agent, smtp_server, receiver
):
    priya = make_lead(team.campaign, "Priya Sharma", phone="+919812345678")
    rahul = make_lead(team.campaign, "Rahul Verma", phone="+919812345679")
    events = (
        answered_call(priya, "CA-q1")
        + answered_call(rahul, "CA-q2", start=600)
        + answered_call(rahul, "CA-ni", outcome="not_interested", start=1200)
        + unanswered_call(priya, "CA-na", start=1800)
    )
    shuffler = random.Random(17)
    for _ in range(3):
        batch = events[:]
        shuffler.shuffle(batch)
        post_events(agent, batch[:40])
        post_events(agent, batch[40:])
        deliver_pending()

    assert Delivery.objects.count() == 6
    assert set(Delivery.objects.values_list("status", "attempts")) == {("succeeded", 1)}
    assert sorted(m["To"] for m in smtp_server.messages) == ["sales@skyline.example"] * 2
    assert sorted(m["Subject"] for m in smtp_server.messages) == [
        "Qualified lead: Priya Sharma (Powai launch)",
        "Qualified lead: Rahul Verma (Powai launch)",
    ]
    assert sorted(form["Body"].split(" | ")[0] for form in receiver.form_to(SMS_PATH)) == [
        "Qualified lead Priya Sharma +91 98XXX XX678",
        "Qualified lead Rahul Verma +91 98XXX XX679",
    ]
    assert len(receiver.json_to(SLACK_PATH)) == 2


def test_alert_message_names_lead_phone_campaign_collected_data_duration_and_call_link(
    team, rules, agent, smtp_server, receiver
):
    lead = make_lead(team.campaign, "Priya Sharma", phone="+919812345678")
    post_events(agent, answered_call(lead, "CA-q1"))
    deliver_pending()

    (mail,) = smtp_server.messages
    assert mail["From"] == "alerts@skyline.example"
    assert mail.get_content().replace("\r\n", "\n") == EXPECTED_TEXT
    (sms,) = receiver.form_to(SMS_PATH)
    assert sms == {
        "From": "08047112233",
        "To": "+919900011122",
        "Body": "Qualified lead Priya Sharma +91 98XXX XX678 | Powai launch | Purpose buy | "
        "Budget 80 lakh | Timeline 3 months | Interest high | "
        "https://voiceagent.example/calls/CA-q1/",
    }
    (sms_request,) = receiver.to(SMS_PATH)
    assert sms_request["headers"]["Authorization"] == "Basic " + base64.b64encode(
        b"key1:token1"
    ).decode("ascii")
    (slack,) = receiver.json_to(SLACK_PATH)
    assert slack == {"text": "*Qualified lead: Priya Sharma (Powai launch)*\n" + EXPECTED_TEXT}


def test_rule_of_another_campaign_or_inactive_sends_nothing(team, channels, agent, smtp_server):
    AlertRule.objects.create(
        owner=team.outsider, campaign=team.other_campaign, channel="email", target="o@x.example"
    )
    AlertRule.objects.create(
        owner=team.member, campaign=team.campaign, channel="email", target="m@x.example",
        active=False,
    )  # fmt: skip
    post_events(agent, answered_call(make_lead(team.campaign, "Priya Sharma"), "CA-q1"))
    deliver_pending()
    assert (Delivery.objects.count(), smtp_server.messages) == (0, [])


def test_rule_without_campaign_covers_only_the_owners_campaigns(team, channels, agent, smtp_server):
    AlertRule.objects.create(owner=team.member, channel="email", target="member@x.example")
    AlertRule.objects.create(owner=team.outsider, channel="email", target="outsider@x.example")
    AlertRule.objects.create(owner=team.staff, channel="email", target="staff@x.example")
    post_events(agent, answered_call(make_lead(team.campaign, "Priya Sharma"), "CA-q1"))
    deliver_pending()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "member@x.example",
        "staff@x.example",
    ]


def test_demo_history_loaded_unannounced_alerts_nobody(team, channels, smtp_server):
    from voiceagent.events import calls_unannounced
    from voiceagent.ingestion.services import ingest_events

    AlertRule.objects.create(owner=team.member, channel="email", target="member@x.example")
    with calls_unannounced():
        ingest_events(events=answered_call(make_lead(team.campaign), "CA-q1"), source="demo")
    assert Delivery.objects.count() == 0


def test_slack_answering_500_is_retried_with_backoff_logged_and_counted(
    team, channels, agent, receiver, settings
):
    settings.ALERT_RETRY_BASE_SECONDS = 30
    rule = AlertRule.objects.create(
        owner=team.member, campaign=team.campaign, channel="slack", target=receiver.url + "/s"
    )
    receiver.statuses["/s"] = [500, 503]
    post_events(agent, answered_call(make_lead(team.campaign, "Priya Sharma"), "CA-q1"))
    before = failures()
    start = timezone.now()

    deliver_pending(now=start)
    delivery = Delivery.objects.get(rule=rule)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("pending", 1, 500)
    assert delivery.last_error == "Answered 500: receiver error"
    assert 29 <= (delivery.next_attempt_at - start).total_seconds() <= 32
    deliver_pending(now=start + timedelta(seconds=10))  # not due yet: no attempt
    assert Delivery.objects.get(rule=rule).attempts == 1
    deliver_pending(now=start + timedelta(seconds=31))
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_response_code) == (2, 503)
    assert 59 <= (delivery.next_attempt_at - start - timedelta(seconds=31)).total_seconds() <= 92
    deliver_pending(now=start + timedelta(seconds=200))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("succeeded", 3, "")
    assert failures() - before == 2
    assert [r["status"] for r in receiver.to("/s")] == [500, 503, 200]


def test_smtp_server_down_fails_the_attempt_into_the_log(team, channels, agent, settings):
    from scripts.harness import free_port

    settings.EMAIL_PORT = free_port()
    AlertRule.objects.create(owner=team.member, channel="email", target="m@x.example")
    post_events(agent, answered_call(make_lead(team.campaign, "Priya Sharma"), "CA-q1"))
    before = failures()
    deliver_pending()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_error.startswith("Email not sent: ConnectionRefusedError")
    assert failures() - before == 1


def test_outbox_adds_a_constant_number_of_queries_to_a_batch(
    team, channels, agent, django_assert_max_num_queries
):
    AlertRule.objects.create(owner=team.member, channel="email", target="m@x.example")
    AlertRule.objects.create(owner=team.member, campaign=team.campaign, channel="sms",
                             target="+919900011122")  # fmt: skip
    events = []
    for n in range(12):
        events += answered_call(make_lead(team.campaign), f"CA-{n}", start=n * 600)
    # Ingestion's own ~18 (the log's read, the rollup lock and upsert and the stored turns
    # included, and a statement of the log's rows per 100 events: three here) plus the
    # outbox's: whether any rule or endpoint applies, rules, memberships, the owners' phone
    # permission (user's and groups'), insert, read back.
    with django_assert_max_num_queries(30):
        post_events(agent, events[:500])
    assert Delivery.objects.count() == 24


def test_a_batch_of_campaigns_nobody_subscribed_to_costs_the_outbox_one_query(
    team, channels, agent
):
    AlertRule.objects.create(
        owner=team.outsider, campaign=team.other_campaign, channel="email", target="o@x.example"
    )
    with CaptureQueriesContext(connection) as captured:
        post_events(agent, answered_call(make_lead(team.campaign, "Priya Sharma"), "CA-q1"))
    outbox = [query["sql"] for query in captured if "notifications_" in query["sql"]]
    assert len(outbox) == 1
    assert "notifications_alertrule" in outbox[0] and "notifications_webhookendpoint" in outbox[0]
    assert Delivery.objects.count() == 0


def test_a_staff_owners_alert_shows_the_phone_in_full(team, channels, agent, smtp_server):
    AlertRule.objects.create(owner=team.staff, campaign=team.campaign, channel="email",
                             target="ops@x.example")  # fmt: skip
    lead = make_lead(team.campaign, "Priya Sharma", phone="+919812345678")
    post_events(agent, answered_call(lead, "CA-q1"))
    deliver_pending()

    (mail,) = smtp_server.messages
    assert "Phone: +91 98123 45678\n" in mail.get_content().replace("\r\n", "\n")

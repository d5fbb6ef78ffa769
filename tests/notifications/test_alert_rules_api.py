"""/api/alert-rules/: managers for their campaigns, staff for all, targets validated."""

import pytest

from notifications.models import AlertRule

URL = "/api/alert-rules/"


@pytest.fixture
def member(team, api_client):
    return api_client(team.member)


def test_member_creates_an_email_rule_for_their_campaign(team, member):
    response = member.post(
        URL, {"campaign": team.campaign.pk, "channel": "email", "target": "sales@example.com"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    rule = AlertRule.objects.get()
    assert (rule.owner, rule.campaign, rule.channel, rule.target, rule.event, rule.active) == (
        team.member, team.campaign, "email", "sales@example.com", "lead.qualified", True,
    )  # fmt: skip


def test_sms_target_is_stored_in_e164(team, member):
    response = member.post(URL, {"channel": "sms", "target": "+91 98123 45678"}, format="json")
    assert (response.status_code, response.json()["target"]) == (201, "+919812345678")


@pytest.mark.parametrize(
    ("channel", "target", "message"),
    [
        ("email", "not-an-email", "For channel 'email' the target must be an email address"),
        ("sms", "12345", "For channel 'sms' the target must be a phone number"),
        ("slack", "http://hooks.slack.com/x", "must be an https:// URL"),
        ("slack", "ftp://hooks.slack.com/x", "is not a valid URL"),
    ],
)
def test_bad_target_is_400_naming_it_and_nothing_stored(team, member, channel, target, message):
    response = member.post(URL, {"channel": channel, "target": target}, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert response.json()["detail"].startswith("Invalid input: target:")
    assert AlertRule.objects.count() == 0


def test_http_slack_url_is_accepted_with_debug(team, member, settings):
    settings.DEBUG, settings.WEBHOOK_ALLOW_PRIVATE = True, True
    response = member.post(
        URL, {"channel": "slack", "target": "http://127.0.0.1:9/hook"}, format="json"
    )
    assert response.status_code == 201


def test_another_teams_campaign_is_400_and_their_rules_404(team, member, api_client):
    response = member.post(
        URL, {"campaign": team.other_campaign.pk, "channel": "email", "target": "a@b.example"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert (
        f"No campaign with id {team.other_campaign.pk} that you can see."
        in response.json()["detail"]
    )
    theirs = AlertRule.objects.create(
        owner=team.outsider, campaign=team.other_campaign, channel="email", target="o@x.example"
    )
    assert member.get(f"{URL}{theirs.pk}/").status_code == 404
    assert member.patch(f"{URL}{theirs.pk}/", {"active": False}, format="json").status_code == 404
    assert member.delete(f"{URL}{theirs.pk}").status_code == 404
    assert AlertRule.objects.get(pk=theirs.pk).active is True


def test_staff_see_every_rule_and_members_those_of_their_campaigns(
    team, member, api_client, django_assert_max_num_queries
):
    mine = AlertRule.objects.create(owner=team.staff, campaign=team.campaign, channel="email",
                                    target="a@x.example")  # fmt: skip
    AlertRule.objects.create(owner=team.outsider, channel="email", target="o@x.example")
    with django_assert_max_num_queries(5):
        listed = member.get(URL).json()
    assert [r["id"] for r in listed["results"]] == [mine.pk]
    assert len(api_client(team.staff).get(URL).json()["results"]) == 2


def test_patch_changes_the_target_validated_and_delete_removes(team, member):
    rule = AlertRule.objects.create(owner=team.member, campaign=team.campaign, channel="sms",
                                    target="+919812345678")  # fmt: skip
    bad = member.patch(f"{URL}{rule.pk}/", {"target": "nope"}, format="json")
    assert bad.status_code == 400
    good = member.patch(f"{URL}{rule.pk}", {"target": "098123 45679", "active": False},
                        format="json")  # fmt: skip
    assert (good.status_code, good.json()["target"], good.json()["active"]) == (
        200, "+919812345679", False,
    )  # fmt: skip
    assert member.delete(f"{URL}{rule.pk}/").status_code == 204
    assert AlertRule.objects.count() == 0


def test_anonymous_is_refused(team, api_client):
    assert api_client(None).get(URL).status_code in (401, 403)


def test_webhook_url_must_be_https_and_events_known(team, member):
    response = member.post(
        "/api/webhooks/", {"url": "http://example.com/h", "events": ["call.completed"]},
        format="json",
    )  # fmt: skip
    assert (response.status_code, "must be an https:// URL" in response.json()["detail"]) == (
        400, True,
    )  # fmt: skip
    response = member.post(
        "/api/webhooks/", {"url": "https://127.0.0.1/h", "events": ["call.exploded"]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "events" in response.json()["detail"]

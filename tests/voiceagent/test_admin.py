"""Every admin changelist and change page answers for staff with a query count that does not grow."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from rest_framework.authtoken.models import Token

from notifications.models import AlertRule, Delivery, WebhookEndpoint
from tests.factories import (
    make_call,
    make_campaign,
    make_export_job,
    make_lead,
    make_objection,
    make_scheduled_call,
    make_turn,
    make_user,
)
from tests.packages import our_packages
from voiceagent.admin import add_changelist_actions
from voiceagent.models import (
    AuditAction,
    AuditEvent,
    CallEvent,
    CallOutcome,
    CallSession,
    Campaign,
    DoNotCall,
    Lead,
    LeadImport,
)

pytestmark = pytest.mark.django_db

MODELS = [model for model in apps.get_models() if admin.site.is_registered(model)]


_built = [0]


def build_rows(n):
    for _ in range(n):
        _built[0] += 1
        i = _built[0]
        campaign = make_campaign(f"C{i}")
        lead = make_lead(campaign)
        call = make_call(lead, outcome=CallOutcome.QUALIFIED)
        make_turn(call, 1)
        make_objection(call)
        make_scheduled_call(lead)
        DoNotCall.objects.create(phone=f"+91700000{i:04d}")
        CallEvent.objects.create(
            event_id=f"e{i}",
            type="call.queued",
            call_sid=call.call_sid,
            occurred_at=call.initiated_at,
            payload={},
        )
        Token.objects.create(user=make_user())
        make_export_job(campaign, make_user())
        LeadImport.objects.create(campaign=campaign, created_by=make_user(), filename=f"l{i}.csv")
        owner = make_user()
        rule = AlertRule.objects.create(
            owner=owner, campaign=campaign, channel="email", target="a@x.example"
        )
        WebhookEndpoint.objects.create(owner=owner, url="https://x.example/h", events=["a"])
        Delivery.objects.create(
            key=f"k{i}", rule=rule, call=call, event_type="lead.qualified",
            message_id=f"msg_{i}", retry_until=call.initiated_at,
        )  # fmt: skip
        AuditEvent.objects.create(
            action=AuditAction.LEAD_VIEWED, object_type="lead", object_id=lead.pk
        )


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, model
):
    build_rows(2)
    with django_assert_max_num_queries(12) as small:
        assert admin_client.get(changelist_url(model)).status_code == 200
    build_rows(8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert admin_client.get(changelist_url(model)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_change_page_answers(admin_client, django_assert_max_num_queries, model):
    build_rows(3)
    obj = model.objects.first()
    if obj is None:
        pytest.fail(f"no {model._meta.label} row was built")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    with django_assert_max_num_queries(30):
        assert admin_client.get(url).status_code == 200


def test_campaign_changelist_shows_call_counts(admin_client):
    campaign = make_campaign("Counted")
    lead = make_lead(campaign)
    make_call(lead, outcome=CallOutcome.QUALIFIED)
    make_call(lead, outcome=CallOutcome.VOICEMAIL)
    make_call(lead, status="no_answer", answered=False, outcome=CallOutcome.NO_ANSWER)
    make_call(lead, status="canceled", answered=False)
    response = admin_client.get(changelist_url(campaign.__class__))
    row = next(r for r in response.context["cl"].result_list if r.pk == campaign.pk)
    assert (row._lead_count, row._calls_made, row._calls_answered, row._calls_qualified) == (
        1,
        3,
        1,
        1,
    )


def test_a_blank_value_is_a_filter_choice_named_blank(admin_client):
    campaign = make_campaign("Filtered")
    make_lead(campaign, city="Pune")
    make_lead(campaign, city="")
    response = admin_client.get(changelist_url(Lead))
    city = next(spec for spec in response.context["cl"].filter_specs if spec.title == "city")
    choices = [
        (choice["display"], choice["query_string"])
        for choice in city.choices(response.context["cl"])
    ]
    assert choices == [("All", "?"), ("(blank)", "?city="), ("Pune", "?city=Pune")]
    assert '<a href="?city=">(blank)</a>' in response.content.decode()


def test_dnc_action_flags_leads_and_lists_numbers(admin_client):
    lead = make_lead(make_campaign(), phone="+919811111111")
    response = admin_client.post(
        changelist_url(Lead), {"action": "add_to_dnc", "_selected_action": [lead.pk]}, follow=True
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.is_dnc is True
    assert list(DoNotCall.objects.values_list("phone", flat=True)) == ["+919811111111"]


def test_lead_import_changelist_shows_what_became_of_each_file(admin_client):
    campaign = make_campaign("Baner resale")
    LeadImport.objects.create(
        campaign=campaign, filename="baner-week-47.csv", status="succeeded", progress=100,
        rows=120, created_count=100, updated_count=12, skipped_count=5, invalid_rows=3,
    )  # fmt: skip
    page = admin_client.get(changelist_url(LeadImport)).content.decode()
    at = page.index("baner-week-47.csv")
    row = page[page.rindex("<tr", 0, at) : page.index("</tr>", at)]
    cells = [re.sub(r"<[^>]+>", "", cell.split(">", 1)[1]).strip()
             for cell in re.split(r"<t[dh]", row)[1:]]  # fmt: skip
    assert cells[2:12] == [
        "baner-week-47.csv", "Baner resale", "-", "Succeeded", "100%", "120", "100", "12", "5", "3"
    ]  # fmt: skip


# --- the extension point other apps use to add changelist actions -----------------------------


def changelist_actions(rf, model):
    request = rf.get("/admin/")
    request.user = make_user(staff=True, is_superuser=True)
    return list(admin.site.get_model_admin(model).get_actions(request))


def test_lead_changelist_offers_its_own_actions_then_those_of_exports(rf):
    assert changelist_actions(rf, Lead) == [
        "delete_selected",
        "add_to_dnc",
        "erase_leads",
        "export_selected_csv",
        "export_selected_xlsx",
    ]


def test_campaign_and_call_changelists_offer_the_exports(rf):
    expected = ["delete_selected", "export_selected_csv", "export_selected_xlsx"]
    assert changelist_actions(rf, Campaign) == expected
    assert changelist_actions(rf, CallSession) == expected


def test_an_action_added_twice_is_offered_once(rf, monkeypatch):
    monkeypatch.setattr(admin.site.get_model_admin(Campaign), "actions", [])

    @admin.action(description="Archive selected")
    def archive_selected(modeladmin, request, queryset):
        pass

    add_changelist_actions(Campaign, archive_selected)
    add_changelist_actions(Campaign, archive_selected)

    assert changelist_actions(rf, Campaign) == ["delete_selected", "archive_selected"]


def test_only_the_call_domain_changelists_take_actions_from_other_apps():
    with pytest.raises(ValueError) as error:
        add_changelist_actions(DoNotCall, lambda modeladmin, request, queryset: None)
    assert str(error.value) == (
        "DoNotCall takes no actions from other apps; only Campaign, Lead, CallSession do."
    )


def test_no_app_reaches_into_the_admin_site_registry():
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for package in our_packages()
        for path in (root / package).rglob("*.py")
        if "._registry" in path.read_text()
    ]
    assert offenders == []


def _follow_up_form(lead, campaign, when="2026-12-01"):
    return {
        "lead": lead.pk, "campaign": campaign.pk, "reason": "callback", "status": "pending",
        "scheduled_for_0": when, "scheduled_for_1": "10:00:00",
    }  # fmt: skip


def test_a_follow_up_added_in_the_admin_is_its_leads_campaigns_whatever_is_posted(admin_client):
    campaign, other = make_campaign("Powai"), make_campaign("Whitefield")
    lead = make_lead(campaign)
    response = admin_client.post(
        "/admin/voiceagent/scheduledcall/add/", _follow_up_form(lead, other)
    )
    assert response.status_code == 302
    follow_up = lead.scheduled_calls.get()
    assert (follow_up.campaign_id, follow_up.reason) == (campaign.pk, "callback")
    page = admin_client.get(f"/admin/voiceagent/scheduledcall/{follow_up.pk}/change/")
    assert 'name="campaign"' not in page.content.decode()


def test_a_follow_up_given_a_lead_of_another_campaign_moves_to_that_campaign(admin_client):
    campaign, other = make_campaign("Powai"), make_campaign("Whitefield")
    follow_up = make_scheduled_call(make_lead(campaign))
    moved_to = make_lead(other)
    response = admin_client.post(
        f"/admin/voiceagent/scheduledcall/{follow_up.pk}/change/",
        _follow_up_form(moved_to, campaign),
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.lead_id, follow_up.campaign_id) == (moved_to.pk, other.pk)

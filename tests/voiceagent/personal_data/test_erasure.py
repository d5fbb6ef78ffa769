"""Erasure of a lead: its name, phone and words are nowhere (API, pages, search, exports, admin,
logged events), every figure is unchanged, its number stays DNC by hash, and it is audited."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from exports.models import ExportJob, ExportStatus
from tests import factories
from tests.voiceagent.ingestion.call_scripts import answered_call, unanswered_call
from tests.voiceagent.lead_import.files import csv_bytes, post_file
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import AuditAction, AuditEvent, CallEvent, ConversationTurn, DoNotCall, Lead
from voiceagent.personal_data.phones import phone_hash

pytestmark = pytest.mark.django_db

NAME, NUMBER, EMAIL = "Priya Kulkarni", "+919876501234", "priya.k@example.com"
# Everything of the person that must be gone: who they are and what was said and recorded.
TRACES = (
    NAME, "Priya", "9876501234", "98765 01234", EMAIL, "Kothrud lane 4",
    "am I speaking with", "Haan, bol rahe hain", "but prices are high", "Prices are high.",
    "80 lakh", "Saturday works", "recordings.example.in/CA-ERASE-1",
)  # fmt: skip
PERIOD = "from=2025-01-01&to=2025-01-31"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def person(team):
    """The lead to erase, with a qualified call (turns, objection, qualification, recording)
    and a missed one, both ingested as the agent reports them; a second lead with a busy call."""
    lead = factories.make_lead(
        team.campaign, NAME, phone=NUMBER, email=EMAIL, preferred_locations="Kothrud lane 4"
    )
    other = factories.make_lead(team.campaign, "Rahul Mehta", phone="+919822000001")
    ingest_events(events=answered_call(lead, "CA-ERASE-1"))
    ingest_events(events=unanswered_call(lead, "CA-ERASE-2", start=3600))
    ingest_events(events=unanswered_call(other, "CA-KEEP-1", outcome="busy", start=60))
    LogEntry.objects.log_actions(team.staff.pk, [Lead.objects.get(pk=lead.pk)], CHANGE)
    return Lead.objects.get(pk=lead.pk)


def figures(client, campaign):
    base = f"/analytics/campaigns/{campaign.pk}"
    return {
        path: client.get(path).json()
        for path in (
            f"{base}/metrics?{PERIOD}",
            f"{base}/funnel?{PERIOD}",
            f"{base}/objections?{PERIOD}",
            f"{base}/best-hours?{PERIOD}",
            f"/analytics/daily-stats?campaign_id={campaign.pk}&{PERIOD}",
        )
    }


def page_client(user):
    client = Client()
    client.force_login(user)
    return client


def admin_client_of(team):
    """Staff with every admin permission (plain staff hold none of the models')."""
    team.staff.is_superuser = True
    team.staff.save(update_fields=["is_superuser"])
    return page_client(team.staff)


def erase(client, lead, reason="Asked by email on 2026-11-28"):
    return client.post(f"/api/leads/{lead.pk}/erase", {"reason": reason}, format="json")


def assert_no_trace(text, where):
    found = [trace for trace in TRACES if trace in text]
    assert found == [], f"{where} still holds {found}"


def test_erasure_leaves_a_tombstone_and_no_trace_anywhere(team, person, api_client, committed):
    staff = api_client(team.staff)
    with committed():
        response = erase(staff, person)
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["phone"], response.json()["erased"]) == (
        f"Erased lead #{person.pk}",
        "",
        True,
    )
    pages = admin_client_of(team)
    places = {
        "lead API": staff.get(f"/api/leads/{person.pk}").content.decode(),
        "lead list": staff.get(f"/api/leads/?campaign={team.campaign.pk}").content.decode(),
        "conversation API": staff.get("/analytics/conversations/CA-ERASE-1").content.decode(),
        "activity API": staff.get(
            f"/analytics/leads/activity?campaign_id={team.campaign.pk}"
        ).content.decode(),
        "campaign page": pages.get(f"/campaigns/{team.campaign.pk}/").content.decode(),
        "call page": pages.get("/calls/CA-ERASE-1/").content.decode(),
        "admin lead": pages.get(f"/admin/voiceagent/lead/{person.pk}/change/").content.decode(),
        "admin history": pages.get(f"/admin/voiceagent/lead/{person.pk}/history/").content.decode(),
        "admin calls": pages.get("/admin/voiceagent/callsession/").content.decode(),
        "logged events": str(list(CallEvent.objects.values_list("payload", flat=True))),
    }
    for kind in ("results", "transcripts", "leads"):
        export = staff.get(f"/exports/campaigns/{team.campaign.pk}/{kind}?format=csv")
        places[f"{kind} export"] = b"".join(export.streaming_content).decode("utf-8")
    for where, text in places.items():
        assert_no_trace(text, where)
    assert f"Erased lead #{person.pk}" in places["campaign page"]
    # Nothing of the other lead was touched.
    assert "Rahul Mehta" in places["campaign page"]


def test_search_finds_the_erased_lead_by_no_name_or_number(team, person, api_client):
    erase(api_client(team.staff), person)
    staff = api_client(team.staff)
    assert staff.get("/api/leads/?search=Priya").json()["count"] == 0
    assert staff.get("/api/leads/?search=9876501234").json()["count"] == 0
    page = page_client(team.staff).get(f"/campaigns/{team.campaign.pk}/?q=Priya").content.decode()
    assert f"Erased lead #{person.pk}" not in page
    admin = admin_client_of(team).get("/admin/voiceagent/lead/?q=Priya").content.decode()
    assert "0 results" in admin and f"Erased lead #{person.pk}" not in admin


def test_every_figure_is_unchanged_by_an_erasure(team, person, api_client):
    staff = api_client(team.staff)
    before = figures(staff, team.campaign)
    conversation_before = staff.get("/analytics/conversations/CA-ERASE-1").json()
    assert before[f"/analytics/campaigns/{team.campaign.pk}/metrics?{PERIOD}"]["calls_made"] == 3
    assert erase(staff, person).status_code == 200
    assert figures(staff, team.campaign) == before
    conversation_after = staff.get("/analytics/conversations/CA-ERASE-1").json()
    for key in ("exchanges", "stages_reached", "latency", "outcome", "duration_seconds"):
        assert conversation_after[key] == conversation_before[key]
    assert [turn["text"] for turn in conversation_after["transcript"]] == [""] * 6


def test_the_erased_number_stays_dnc_by_hash_and_a_reimport_is_flagged(team, person, api_client):
    erase(api_client(team.staff), person)
    entry = DoNotCall.objects.get()
    assert (entry.phone, entry.phone_hash) == ("", phone_hash(NUMBER))
    content = csv_bytes([["name", "phone"], ["Priya again", "98765 01234"]])
    result = post_file(api_client(team.staff), team.campaign, content).json()
    assert (result["created"], result["dnc_flagged"]) == (1, 1)
    again = Lead.objects.get(phone=NUMBER)
    assert (again.is_dnc, again.dnc_reason) == (True, "Erased at the person's request")
    assert not Lead.objects.due_for_call().filter(pk=again.pk).exists()
    made = api_client(team.staff).post(
        "/api/leads/",
        {"campaign": team.other_campaign.pk, "name": "Priya", "phone": "098765 01234"},
        format="json",
    )
    assert (made.status_code, made.json()["is_dnc"]) == (201, True)


def test_an_erased_number_already_on_the_dnc_list_keeps_one_entry(team, person, api_client):
    api_client(team.staff).post("/api/dnc/", {"phone": NUMBER, "reason": "asked"}, format="json")
    erase(api_client(team.staff), person)
    assert list(DoNotCall.objects.values_list("phone", "phone_hash", "reason")) == [
        ("", phone_hash(NUMBER), "asked")
    ]
    added = api_client(team.staff).post("/api/dnc/", {"phone": NUMBER}, format="json")
    assert added.status_code == 200 and DoNotCall.objects.count() == 1


def test_export_files_of_the_campaign_are_deleted_and_their_jobs_expired(
    team, person, api_client, committed
):
    name = default_storage.save("exports/test/results.csv", ContentFile(f"{NAME},{NUMBER}\n"))
    now = timezone.now()
    job = factories.make_export_job(
        team.campaign,
        team.member,
        status=ExportStatus.SUCCEEDED,
        file=name,
        file_size=30,
        progress=100,
        finished_at=now,
        expires_at=now + timedelta(hours=1),
    )
    other = factories.make_export_job(team.other_campaign, team.outsider)
    with committed():
        erase(api_client(team.staff), person)
    job.refresh_from_db()
    assert (job.status, job.file.name) == (ExportStatus.EXPIRED, "")
    assert not default_storage.exists(name)
    assert ExportJob.objects.get(pk=other.pk).status == other.status
    download = api_client(team.member).get(f"/exports/jobs/{job.pk}/download")
    assert download.status_code == 410


def test_erasure_is_audited_with_who_why_and_which_lead(team, person, api_client, committed):
    with committed():
        erase(api_client(team.staff), person, reason="Request by letter of 2026-11-20")
    event = AuditEvent.objects.get(action=AuditAction.LEAD_ERASED)
    assert (event.actor_id, event.object_type, event.object_id, event.campaign_id) == (
        team.staff.pk,
        "lead",
        str(person.pk),
        team.campaign.pk,
    )
    assert event.detail["reason"] == "Request by letter of 2026-11-20"


def test_only_staff_may_erase_and_a_reason_is_required(team, person, api_client):
    assert erase(api_client(team.member), person).status_code == 403
    assert erase(api_client(None), person).status_code in (401, 403)
    missing = api_client(team.staff).post(f"/api/leads/{person.pk}/erase", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["detail"]
    blank = erase(api_client(team.staff), person, reason="   ")
    assert blank.status_code == 400 and "reason" in blank.json()["detail"]
    assert Lead.objects.get(pk=person.pk).name == NAME
    assert erase(api_client(team.staff), person).status_code == 200
    twice = erase(api_client(team.staff), person)
    assert twice.status_code == 400 and "already erased" in twice.json()["detail"]


def test_admin_action_asks_for_a_reason_then_erases(team, person, committed):
    client = admin_client_of(team)
    url = "/admin/voiceagent/lead/"
    asked = client.post(url, {"action": "erase_leads", "_selected_action": [person.pk]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    assert Lead.objects.get(pk=person.pk).name == NAME
    with committed():
        done = client.post(
            url,
            {
                "action": "erase_leads",
                "_selected_action": [person.pk],
                "reason": "Phone call of 2026-11-28",
                "confirm": "Erase",
            },
        )
    assert done.status_code == 302
    assert Lead.objects.get(pk=person.pk).name == f"Erased lead #{person.pk}"
    assert AuditEvent.objects.get(action=AuditAction.LEAD_ERASED).detail["reason"] == (
        "Phone call of 2026-11-28"
    )


def test_erasure_query_count_does_not_grow_with_the_calls_of_the_lead(
    team, api_client, django_assert_max_num_queries
):
    counts = []
    for calls in (1, 6):
        lead = factories.make_lead(team.campaign, phone=factories.make_phone())
        for index in range(calls):
            ingest_events(events=unanswered_call(lead, f"CA-Q-{lead.pk}-{index}", start=index * 60))
        staff = api_client(team.staff)
        with django_assert_max_num_queries(60) as captured:
            assert erase(staff, lead).status_code == 200
        counts.append(len(captured))
    # Per call: one update of the call row (its ingestion state); everything else is per lead.
    assert counts[1] - counts[0] <= 5 * 1


def test_events_of_an_erased_call_sent_again_bring_nothing_back(team, person, api_client):
    from voiceagent.ingestion.services import ConflictingEvents

    erase(api_client(team.staff), person)
    with pytest.raises(ConflictingEvents):
        ingest_events(events=answered_call(person, "CA-ERASE-1"))
    assert_no_trace(str(list(CallEvent.objects.values_list("payload", flat=True))), "events")
    texts = set(ConversationTurn.objects.filter(call__lead=person).values_list("text", flat=True))
    assert texts == {""}

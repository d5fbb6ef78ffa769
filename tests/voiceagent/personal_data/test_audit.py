"""The audit log: rows for logins, exports, views and admin changes with the right actor and
object; the staff-only API with its filters and CSV; no way to change or delete an event."""

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests import factories
from voiceagent.models import AppendOnly, AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(team):
    lead = factories.make_lead(team.campaign, "Asha Rao", phone="+919812345678")
    return factories.make_call(lead, call_sid="CA-AUDIT-1")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the request defers to its commit (the audit row), as production would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def events(**filters):
    return list(
        AuditEvent.objects.filter(**filters).values_list(
            "action", "actor_username", "object_type", "object_id", "campaign_id"
        )
    )


def page_client(user):
    client = Client(HTTP_USER_AGENT="pytest-browser/1.0")
    client.force_login(user)
    return client


def test_login_is_audited_with_ip_and_user_agent(team, committed):
    client = Client(HTTP_USER_AGENT="pytest-browser/1.0")
    with committed():
        response = client.post(
            "/accounts/login/", {"username": "member", "password": "pass-1234-word"}
        )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert (event.actor_id, event.actor_username, event.object_type, event.object_id) == (
        team.member.pk,
        "member",
        "user",
        str(team.member.pk),
    )
    assert (event.ip, event.user_agent) == ("127.0.0.1", "pytest-browser/1.0")


def test_failed_login_is_audited_with_the_name_tried_and_never_the_password(team, committed):
    with committed():
        Client().post("/accounts/login/", {"username": "member", "password": "wrong-guess"})
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (event.actor_id, event.actor_username) == (None, "member")
    assert "wrong-guess" not in str(event.detail)


def test_call_page_view_is_audited_with_its_call_and_campaign(team, call, committed):
    with committed():
        assert page_client(team.member).get("/calls/CA-AUDIT-1/").status_code == 200
    assert events(action=AuditAction.CALL_VIEWED) == [
        ("call_viewed", "member", "call", "CA-AUDIT-1", team.campaign.pk)
    ]
    event = AuditEvent.objects.get(action=AuditAction.CALL_VIEWED)
    assert event.detail == {"lead_id": call.lead_id}


def test_transcript_and_lead_api_views_are_audited(team, call, api_client, committed):
    client = api_client(team.member)
    with committed():
        client.get("/analytics/conversations/CA-AUDIT-1")
        client.get(f"/api/leads/{call.lead_id}")
    assert events(action=AuditAction.TRANSCRIPT_VIEWED) == [
        ("transcript_viewed", "member", "call", "CA-AUDIT-1", team.campaign.pk)
    ]
    assert events(action=AuditAction.LEAD_VIEWED) == [
        ("lead_viewed", "member", "lead", str(call.lead_id), team.campaign.pk)
    ]


@pytest.fixture
def commit_settings():
    """[(action, synchronous_commit in force when its row's transaction commits)], read from a
    deferred constraint trigger on the audit table (it fires at commit, whatever wrote the
    row)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit_commit_setting (action text, setting text)")
        cursor.execute(
            "CREATE FUNCTION note_audit_commit_setting() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO audit_commit_setting "
            "VALUES (NEW.action, current_setting('synchronous_commit')); RETURN NULL; END $$"
        )
        cursor.execute(
            f"CREATE CONSTRAINT TRIGGER note_audit_commit_setting AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION note_audit_commit_setting()"
        )

    def seen():
        with connection.cursor() as cursor:
            cursor.execute("SELECT action, setting FROM audit_commit_setting")
            return cursor.fetchall()

    yield seen
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER note_audit_commit_setting ON {table}")
        cursor.execute("DROP FUNCTION note_audit_commit_setting()")
        cursor.execute("DROP TABLE audit_commit_setting")


@pytest.mark.django_db(transaction=True)
def test_a_read_is_recorded_without_waiting_for_the_wal_flush_and_a_change_still_waits(
    team, call, api_client, commit_settings
):
    api_client(team.member).get("/analytics/conversations/CA-AUDIT-1")
    with psycopg.connect(**connection.get_connection_params()) as other:
        committed_rows = other.execute(
            f'SELECT action, object_id FROM "{AuditEvent._meta.db_table}"'
        ).fetchall()
    Client().post("/accounts/login/", {"username": "member", "password": "wrong-guess"})

    assert committed_rows == [("transcript_viewed", "CA-AUDIT-1")]
    # The same connection's next write waits for the flush again (the setting was the read's).
    assert commit_settings() == [("transcript_viewed", "off"), ("login_failed", "on")]


@pytest.mark.django_db(transaction=True)
def test_a_read_record_that_cannot_be_stored_fails_as_djangos_error_and_leaves_the_connection_usable():
    """A failure is still Django's error, nothing is stored, and the connection's next
    statements run."""
    from django.db import DataError

    from voiceagent.personal_data.audit import _write

    with pytest.raises(DataError):
        _write(AuditEvent(action=AuditAction.LEAD_VIEWED, object_type="lead", object_id="9" * 65))

    _write(AuditEvent(action=AuditAction.LEAD_VIEWED, object_type="lead", object_id="7"))
    assert list(AuditEvent.objects.values_list("action", "object_id")) == [("lead_viewed", "7")]
    assert connection.get_autocommit() is True


@pytest.mark.django_db(transaction=True)
def test_a_read_record_stores_every_field_as_the_orm_would(team, call):
    """Out of any transaction block, as after a request's reads: the one-statement path."""
    from voiceagent.personal_data.audit import _write

    assert not connection.in_atomic_block
    event = AuditEvent(
        action=AuditAction.LEADS_LISTED,
        actor=team.member,
        actor_username="member",
        object_type="campaign",
        object_id=str(team.campaign.pk),
        campaign_id=team.campaign.pk,
        ip="2001:db8::7",
        user_agent="Firefox",
        detail={"lead_ids": [call.lead_id], "note": "₹"},
    )
    _write(event)

    stored = AuditEvent.objects.values().get()
    stored.pop("id")
    assert stored == {
        "occurred_at": event.occurred_at,
        "actor_id": team.member.pk,
        "actor_username": "member",
        "action": "leads_listed",
        "object_type": "campaign",
        "object_id": str(team.campaign.pk),
        "campaign_id": team.campaign.pk,
        "ip": "2001:db8::7",
        "user_agent": "Firefox",
        "detail": {"lead_ids": [call.lead_id], "note": "₹"},
    }


def test_export_is_audited_as_requested_and_downloaded(team, call, api_client, committed):
    with committed():
        response = api_client(team.member).get(
            f"/exports/campaigns/{team.campaign.pk}/results?format=csv"
        )
        b"".join(response.streaming_content)
    expected = ("member", "campaign", str(team.campaign.pk), team.campaign.pk)
    assert events(action=AuditAction.EXPORT_REQUESTED) == [("export_requested", *expected)]
    assert events(action=AuditAction.EXPORT_DOWNLOADED) == [("export_downloaded", *expected)]
    detail = AuditEvent.objects.get(action=AuditAction.EXPORT_REQUESTED).detail
    assert (detail["kind"], detail["format"], detail["rows"]) == ("results", "csv", 1)


def test_queued_export_job_is_audited_with_the_job(team, call, api_client, committed, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with committed():
        response = api_client(team.member).post(
            "/exports/jobs",
            {"campaign_id": team.campaign.pk, "kind": "leads", "format": "csv"},
            format="json",
        )
    job_id = response.json()["id"]
    assert events(action=AuditAction.EXPORT_REQUESTED) == [
        ("export_requested", "member", "exportjob", str(job_id), team.campaign.pk)
    ]


def test_lead_import_is_audited(team, api_client, committed):
    from tests.voiceagent.lead_import.files import csv_bytes, post_file

    content = csv_bytes([["name", "phone"], ["Asha", "9812345678"]])
    with committed():
        assert post_file(api_client(team.staff), team.campaign, content).status_code == 200
    assert events(action=AuditAction.LEADS_IMPORTED) == [
        ("leads_imported", "staff", "campaign", str(team.campaign.pk), team.campaign.pk)
    ]


def test_admin_change_is_audited(team, call, committed):
    boss = factories.make_user("boss", staff=True, is_superuser=True)
    client = page_client(boss)
    with committed():
        response = client.post(
            f"/admin/voiceagent/campaign/{team.campaign.pk}/change/",
            {
                "name": "Powai launch II",
                "description": "",
                "status": "running",
                "max_attempts": 3,
                "retry_delay_minutes": 120,
                "callback_delay_minutes": 1440,
                "calling_hours_start": "09:00",
                "calling_hours_end": "21:00",
                "created_at_0": "2026-01-01",
                "created_at_1": "10:00:00",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert events(action=AuditAction.ADMIN_CHANGE) == [
        ("admin_change", "boss", "campaign", str(team.campaign.pk), None)
    ]


def test_audit_api_is_staff_only_filtered_and_paginated(team, call, api_client, committed):
    with committed():
        page_client(team.member).get("/calls/CA-AUDIT-1/")
        page_client(team.staff).get("/calls/CA-AUDIT-1/")
        api_client(team.staff).get("/analytics/conversations/CA-AUDIT-1")
    assert api_client(team.member).get("/api/audit-events/").status_code == 403
    assert api_client(None).get("/api/audit-events/").status_code in (401, 403)
    staff = api_client(team.staff)
    everything = staff.get("/api/audit-events/?page_size=2").json()
    # Newest first: force_login logs each page client in (two logins), then three views.
    assert everything["count"] == 5 and len(everything["results"]) == 2
    assert [row["action"] for row in everything["results"]] == [
        "transcript_viewed",
        "call_viewed",
    ]
    by_member = staff.get(f"/api/audit-events/?actor={team.member.pk}").json()
    assert [(row["actor_username"], row["action"]) for row in by_member["results"]] == [
        ("member", "call_viewed"),
        ("member", "login"),
    ]
    by_name = staff.get("/api/audit-events?actor=staff&action=call_viewed").json()
    assert [row["object_id"] for row in by_name["results"]] == ["CA-AUDIT-1"]
    by_campaign = staff.get(f"/api/audit-events/?campaign_id={team.other_campaign.pk}").json()
    assert by_campaign["count"] == 0
    assert staff.get("/api/audit-events/?from=2000-01-01&to=2000-01-02").json()["count"] == 0


def test_audit_api_names_bad_filters(team, api_client):
    staff = api_client(team.staff)
    response = staff.get("/api/audit-events/?action=shred&from=2026-02-01&to=2026-01-01")
    assert response.status_code == 400
    assert "action" in response.json()["detail"]
    response = staff.get("/api/audit-events/?from=2026-02-01&to=2026-01-01")
    assert (
        response.status_code == 400 and "from (2026-02-01) is after to" in response.json()["detail"]
    )


def test_audit_csv_export_holds_the_filtered_events(team, call, api_client, committed):
    with committed():
        page_client(team.member).get("/calls/CA-AUDIT-1/")
    with committed():
        response = api_client(team.staff).get("/api/audit-events/export?action=call_viewed")
        text = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "Time,Actor,Actor ID,Action,Object type,Object ID,Campaign ID,IP,User agent,Detail"
    )
    assert len(lines) == 2
    assert (
        f",member,{team.member.pk},call_viewed,call,CA-AUDIT-1,{team.campaign.pk},127.0.0.1,"
        in lines[1]
    )
    assert events(action=AuditAction.AUDIT_EXPORTED)[0][:2] == ("audit_exported", "staff")


def test_audit_api_has_no_write_or_delete(team, api_client):
    staff = api_client(team.staff)
    assert staff.delete("/api/audit-events/").status_code == 405
    assert staff.post("/api/audit-events/", {}, format="json").status_code == 405
    assert staff.put("/api/audit-events/", {}, format="json").status_code == 405


def test_audit_events_cannot_be_changed_or_deleted_in_code(team):
    event = AuditEvent.objects.create(action=AuditAction.LOGIN, actor_username="x")
    event.action = AuditAction.LOGIN_FAILED
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.update(action=AuditAction.LOGIN_FAILED)
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.LOGIN


def test_admin_lists_audit_events_read_only_even_for_a_superuser(team):
    boss = factories.make_user("boss", staff=True, is_superuser=True)
    event = AuditEvent.objects.create(action=AuditAction.LOGIN, actor_username="member")
    client = page_client(boss)
    changelist = client.get("/admin/voiceagent/auditevent/?action__exact=login")
    assert changelist.status_code == 200 and "member" in changelist.content.decode()
    assert client.get(f"/admin/voiceagent/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/voiceagent/auditevent/add/").status_code == 403
    change = client.post(f"/admin/voiceagent/auditevent/{event.pk}/change/", {"action": "x"})
    assert change.status_code == 403
    action = client.post(
        "/admin/voiceagent/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk]},
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert action.status_code in (200, 302)


def test_admin_exports_selected_audit_events_as_csv(team):
    event = AuditEvent.objects.create(action=AuditAction.LOGIN, actor_username="member")
    boss = factories.make_user("boss", staff=True, is_superuser=True)
    response = page_client(boss).post(
        "/admin/voiceagent/auditevent/", {"action": "export_csv", "_selected_action": [event.pk]}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert ",member,,login," in text


@pytest.mark.parametrize("count", [3, 30])
def test_audit_api_query_count_does_not_grow_with_events(
    team, api_client, django_assert_max_num_queries, count
):
    AuditEvent.objects.bulk_create(
        [AuditEvent(action=AuditAction.LOGIN, actor=team.member) for _ in range(count)]
    )
    staff = api_client(team.staff)
    with django_assert_max_num_queries(4):
        assert staff.get("/api/audit-events/").json()["count"] == count
    with django_assert_max_num_queries(4):
        response = staff.get("/api/audit-events/export")
        lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    assert len(lines) == count + 1


def test_audit_api_answers_out_of_range_filters_without_error(team, api_client):
    staff = api_client(team.staff)
    assert staff.get("/api/audit-events/?actor=99999999999999999999999").json()["count"] == 0
    response = staff.get("/api/audit-events/?campaign_id=99999999999999")
    assert response.status_code == 400 and "campaign_id" in response.json()["detail"]

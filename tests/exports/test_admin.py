"""Admin: "Export selected as CSV / Excel" on campaigns, leads and calls; export jobs listed."""

import pytest
from django.urls import reverse

from exports import services
from exports.models import ExportJob
from tests.factories import make_call, make_export_job, make_lead

pytestmark = pytest.mark.django_db


def changelist(app_model):
    return reverse(f"admin:{app_model}_changelist")


def act(client, app_model, action, pks):
    return client.post(
        changelist(app_model), {"action": action, "_selected_action": pks}, follow=True
    )


def jobs():
    return list(
        ExportJob.objects.order_by("pk").values_list(
            "campaign_id", "kind", "format", "selected_ids", "status"
        )
    )


def test_campaign_action_queues_a_results_job_per_campaign(admin_client, team):
    response = act(
        admin_client,
        "voiceagent_campaign",
        "export_selected_xlsx",
        [team.campaign.pk, team.other_campaign.pk],
    )
    assert response.status_code == 200
    assert jobs() == [
        (team.campaign.pk, "results", "xlsx", None, "pending"),
        (team.other_campaign.pk, "results", "xlsx", None, "pending"),
    ]
    assert "2 export job(s) queued" in response.content.decode()


def test_lead_action_queues_a_lead_list_of_the_selected_leads(admin_client, team):
    first, _, third = (make_lead(team.campaign) for _ in range(3))
    other = make_lead(team.other_campaign)
    act(admin_client, "voiceagent_lead", "export_selected_csv", [first.pk, third.pk, other.pk])
    assert jobs() == [
        (team.campaign.pk, "leads", "csv", sorted([first.pk, third.pk]), "pending"),
        (team.other_campaign.pk, "leads", "csv", [other.pk], "pending"),
    ]


def test_call_action_queues_results_of_the_selected_calls(admin_client, team):
    call = make_call(make_lead(team.campaign))
    make_call(make_lead(team.campaign))
    act(admin_client, "voiceagent_callsession", "export_selected_csv", [call.pk])
    assert jobs() == [(team.campaign.pk, "results", "csv", [call.pk], "pending")]


def test_selected_calls_job_exports_only_those_calls(admin_client, team):
    picked = make_call(make_lead(team.campaign), call_sid="CA-PICKED")
    make_call(make_lead(team.campaign), call_sid="CA-LEFT")
    act(admin_client, "voiceagent_callsession", "export_selected_csv", [picked.pk])
    job = ExportJob.objects.get()
    job = services.run_export_job(job_id=job.pk, task_id=job.task_id)
    with job.file.open("rb") as stored:
        lines = stored.read().decode("utf-8").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["CA-PICKED"]


def test_export_job_changelist_shows_status_progress_and_download_link(admin_client, crafted, team):
    job = services.create_export_job(
        user=team.member, campaign=crafted.campaign, kind="results", fmt="csv"
    )
    job = services.run_export_job(job_id=job.pk, task_id=job.task_id)
    make_export_job(crafted.campaign, team.member, status="pending")
    response = admin_client.get(changelist("exports_exportjob"))
    html = response.content.decode()
    assert f'href="/exports/jobs/{job.pk}/download"' in html
    assert html.count("/download") == 1
    assert "100%" in html
    assert "Succeeded" in html and "Pending" in html


def test_campaign_action_exports_the_period_the_campaign_list_shows(admin_client, team):
    from analytics.periods import default_period

    act(admin_client, "voiceagent_campaign", "export_selected_csv", [team.campaign.pk])

    period = default_period()
    job = ExportJob.objects.get()
    assert (job.period_from, job.period_to, job.include) == (period.first, period.last, "finished")

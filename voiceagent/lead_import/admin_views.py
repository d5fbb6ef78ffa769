"""The admin page that imports a lead file into a campaign, through the API's import service."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from voiceagent.access import get_campaign_for_user
from voiceagent.campaigns.services import RuleViolation
from voiceagent.lead_import.files import FileRejected, check_request_size
from voiceagent.lead_import.jobs import import_upload
from voiceagent.models import Campaign, LeadImport

LEAD_IMPORT_PERMISSIONS = ("voiceagent.add_lead", "voiceagent.change_lead")
ERRORS_SHOWN = 200


class LeadImportForm(forms.Form):
    file = forms.FileField(
        help_text="A .csv (UTF-8; comma, semicolon or tab) or .xlsx file with a header row. "
        "Columns are found by name: name, phone/mobile, email, city, budget, property type, "
        "locations; other columns are ignored."
    )
    background = forms.BooleanField(
        required=False,
        label="Run in the background",
        help_text="Large files always run in the background; follow them below.",
    )


def import_leads_view(model_admin, request, object_id):
    campaign = get_campaign_for_user(request.user, object_id)
    if not request.user.has_perms(LEAD_IMPORT_PERMISSIONS):
        raise PermissionDenied
    result = job = None
    form = LeadImportForm()
    if request.method == "POST":
        result, job, form = _import(request, campaign)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Campaign._meta,
        "original": campaign,
        "title": f"Import leads into {campaign}",
        "form": form,
        "result": result,
        "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
        "job": job,
        "recent_imports": LeadImport.objects.filter(campaign=campaign)[:10],
    }
    return TemplateResponse(request, "admin/voiceagent/campaign/import_leads.html", context)


def _import(request, campaign):
    try:
        # Before request.FILES is touched, so an oversized body is never spooled to disk.
        check_request_size(request.META.get("CONTENT_LENGTH"))
    except FileRejected as exc:
        form = LeadImportForm()
        form.add_error(None, exc.detail)
        return None, None, form
    form = LeadImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return None, None, form
    upload = form.cleaned_data["file"]
    try:
        outcome = import_upload(
            campaign=campaign,
            user=request.user,
            file=upload.file,
            filename=upload.name,
            background=form.cleaned_data["background"],
        )
    except (FileRejected, RuleViolation) as exc:
        form.add_error("file", exc.detail)
        return None, None, form
    if isinstance(outcome, LeadImport):
        messages.success(request, f"Import #{outcome.pk} of {outcome.filename} is queued.")
        return None, outcome, LeadImportForm()
    messages.success(
        request,
        f"{outcome.created} lead(s) created, {outcome.updated} updated, {outcome.skipped} "
        f"unchanged, {outcome.invalid_rows} invalid row(s).",
    )
    return outcome, None, LeadImportForm()

"""Django admin for staff: enough to run a campaign from, with ingestion-owned fields read-only."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import path
from django.utils import timezone

from analytics.models import CallDayRollup
from analytics.periods import default_period, describe_period
from voiceagent import events, formats
from voiceagent.campaigns import dnc, scoring
from voiceagent.campaigns import services as lead_services
from voiceagent.lead_import import admin_views
from voiceagent.models import (
    CallEvent,
    CallSession,
    Campaign,
    CampaignStatus,
    ConversationTurn,
    DoNotCall,
    Lead,
    LeadImport,
    Objection,
    ScheduledCall,
    ScheduledCallStatus,
)
from voiceagent.personal_data import admin as personal_data_admin

admin.site.site_header = "voiceagent administration"
admin.site.site_title = "voiceagent admin"


class ValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter by every value of a text field, with the blank value named "(blank)": Django
    shows it as a link with no text, which a screen reader cannot name."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["display"] == "":
                choice = {**choice, "display": "(blank)"}
            yield choice


class PhoneDisplayMixin:
    """The `phone` column as the one phone formatter shows it (+91 98123 45678): in full, since
    only staff enter the admin and staff see phones in full (personal_data.phones)."""

    @admin.display(description="Phone", ordering="phone")
    def phone_display(self, obj):
        return formats.display_phone(obj.phone, full=True) or "-"


class CampaignAdminForm(forms.ModelForm):
    """A status change must be a legal transition from the stored status (a new campaign's from
    draft), the API's rule: an illegal one is refused on the form, naming where it may go. The
    admin supplies the model and fields (modelform_factory).

    The stored status is read locked (the admin's change view runs in one transaction), so a
    change another user saved meanwhile is checked against here, and update_campaign's own
    check under the same lock cannot fail after the form passed: update_campaign's FOR NO KEY
    UPDATE, which leaves ingestion's inserts of the campaign's calls alone while the edit
    rescores its leads (voiceagent/campaigns/locks.py)."""

    def clean_status(self):
        status = self.cleaned_data["status"]
        stored = CampaignStatus.DRAFT
        if self.instance.pk:
            stored = (
                Campaign.objects.select_for_update(no_key=True)
                .values_list("status", flat=True)
                .get(pk=self.instance.pk)
            )
        try:
            lead_services.check_transition(current=stored, new=status)
        except lead_services.RuleViolation as violation:
            raise forms.ValidationError(violation.detail, code="illegal_transition") from None
        return status


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = (
        "name",
        "status",
        "lead_count",
        "calls_made",
        "calls_answered",
        "calls_qualified",
        "created_at",
    )
    list_filter = ("status", "created_at")
    search_fields = ("name", "description")
    date_hierarchy = "created_at"
    filter_horizontal = ("members",)
    readonly_fields = ("created_at", "updated_at", "started_at", "completed_at")
    autocomplete_fields = ("created_by",)

    def get_queryset(self, request):
        # Every figure of the changelist in the one query that lists the campaigns, over the
        # default period (as on the overview and the campaign page, so the numbers agree).
        period = default_period()

        def rolled_up(counter):
            # The campaign's sum of one rollup counter over the period (analytics.models).
            return Coalesce(
                Subquery(
                    CallDayRollup.objects.filter(
                        campaign=OuterRef("pk"), **period.day_filter_kwargs()
                    )
                    .order_by()
                    .values("campaign")
                    .annotate(total=Sum(counter))
                    .values("total"),
                    output_field=IntegerField(),
                ),
                0,
            )

        return (
            super()
            .get_queryset(request)
            .annotate(
                _calls_made=rolled_up("calls_made"),
                _calls_answered=rolled_up("calls_answered"),
                _calls_qualified=rolled_up("calls_qualified"),
                _lead_count=Coalesce(
                    Subquery(
                        Lead.objects.filter(campaign=OuterRef("pk"))
                        .order_by()
                        .values("campaign")
                        .annotate(n=Count("*"))
                        .values("n"),
                        output_field=IntegerField(),
                    ),
                    0,
                ),
            )
        )

    @admin.display(description="Leads", ordering="_lead_count")
    def lead_count(self, obj):
        return obj._lead_count

    @admin.display(description="Calls made", ordering="_calls_made")
    def calls_made(self, obj):
        return obj._calls_made

    @admin.display(description="Answered", ordering="_calls_answered")
    def calls_answered(self, obj):
        return obj._calls_answered

    @admin.display(description="Qualified", ordering="_calls_qualified")
    def calls_qualified(self, obj):
        return obj._calls_qualified

    def changelist_view(self, request, extra_context=None):
        # The call figures' period, named above the list (templates/admin/voiceagent/campaign/).
        extra_context = {**(extra_context or {}), "period": describe_period(default_period())}
        return super().changelist_view(request, extra_context=extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            if obj.created_by_id is None:
                obj.created_by = request.user
            # Stamped as create_campaign stamps (a campaign created running has started).
            lead_services.stamp_status(obj, status=obj.status, now=timezone.now())
            super().save_model(request, obj, form, change)
            return
        # Through the API's service: the transition checked again under a lock, the start and
        # completion stamped, live counts pushed, leads rescored. Members follow in save_related.
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "members"}
        lead_services.update_campaign(campaign=obj, **changes)

    def get_urls(self):
        # The lead import page, linked from the campaign page's object tools.
        view = self.admin_site.admin_view(self.import_leads_view)
        return [
            path("<int:object_id>/import-leads/", view, name="voiceagent_campaign_import_leads"),
            path("<int:object_id>/import-leads", view),
            *super().get_urls(),
        ]

    def import_leads_view(self, request, object_id):
        return admin_views.import_leads_view(self, request, object_id)


class FollowUpFormSet(forms.BaseInlineFormSet):
    """A lead's follow-ups: one added here belongs to the lead's campaign, which the inline does
    not ask for (a follow-up of another campaign than its lead's would be called for the wrong
    campaign)."""

    def save_new(self, form, commit=True):
        form.instance.campaign_id = self.instance.campaign_id
        return super().save_new(form, commit=commit)


class ScheduledCallInline(admin.TabularInline):
    model = ScheduledCall
    formset = FollowUpFormSet
    extra = 0
    fields = ("scheduled_for", "reason", "status", "source_call")
    readonly_fields = ("source_call",)
    fk_name = "lead"
    show_change_link = True


@admin.register(Lead)
class LeadAdmin(PhoneDisplayMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "phone_display",
        "campaign",
        "city",
        "budget_display",
        "status",
        "is_dnc",
        "call_attempts",
        "last_outcome",
        "last_call_at",
        "score",
    )
    list_filter = ("status", "is_dnc", "property_type", "campaign", ("city", ValuesFilter))
    list_select_related = ("campaign",)
    search_fields = ("name", "phone", "email", "city")
    date_hierarchy = "created_at"
    autocomplete_fields = ("campaign",)
    readonly_fields = (
        "call_attempts",
        "last_call_at",
        "last_outcome",
        "score",
        "score_reasons",
        "created_at",
        "updated_at",
    )
    inlines = [ScheduledCallInline]
    actions = ["add_to_dnc", "erase_leads"]

    @admin.display(description="Budget", ordering="budget")
    def budget_display(self, lead):
        return formats.budget(lead.budget)

    def save_related(self, request, form, formsets, change):
        # After the inline follow-ups are saved, so that a lead closed by hand keeps none pending.
        super().save_related(request, form, formsets, change)
        moved_from = form.initial.get("campaign") if "campaign" in form.changed_data else None
        if moved_from is not None:
            # A lead moved to another campaign is called for that one: its pending follow-ups go
            # along (left behind, the dialer's call events would name a campaign the lead has left).
            ScheduledCall.objects.filter(
                lead=form.instance, status=ScheduledCallStatus.PENDING
            ).update(campaign_id=form.instance.campaign_id)
            events.publish_live_counts_change(campaign_ids={moved_from, form.instance.campaign_id})
        lead_services.cancel_follow_ups_if_closed(form.instance)
        scoring.recompute_lead_scores(lead_ids=[form.instance.pk])
        # Follow-ups edited in the inline move calls_queued of their campaigns (glossary).
        edited = [
            follow_up
            for formset in formsets
            for follow_up in (
                *formset.new_objects,
                *(changed for changed, _ in formset.changed_objects),
                *formset.deleted_objects,
            )
        ]
        events.publish_live_counts_change(
            campaign_ids={follow_up.campaign_id for follow_up in edited}
        )

    # A lead deleted takes its follow-ups with it, which moves calls_queued (glossary): live pages
    # are told, as for the other edits here.
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        events.publish_live_counts_change(campaign_ids=[obj.campaign_id])

    def delete_queryset(self, request, queryset):
        campaign_ids = set(queryset.order_by().values_list("campaign_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        events.publish_live_counts_change(campaign_ids=campaign_ids)

    @admin.action(description="Put selected leads on the do-not-call list")
    def add_to_dnc(self, request, queryset):
        phones = list(queryset.exclude(phone="").values_list("phone", flat=True))
        added = dnc.add_to_dnc(phones=phones, reason="Added from the admin", added_by=request.user)
        self.message_user(
            request, f"{added} number(s) added to the do-not-call list.", messages.SUCCESS
        )

    @admin.action(description="Erase personal data of selected leads (at the person's request)")
    def erase_leads(self, request, queryset):
        return personal_data_admin.erase_leads_action(self, request, queryset)


@admin.register(DoNotCall)
class DoNotCallAdmin(PhoneDisplayMixin, admin.ModelAdmin):
    list_display = ("phone_display", "reason", "added_by", "created_at")
    search_fields = ("phone", "reason")
    list_select_related = ("added_by",)
    date_hierarchy = "created_at"
    readonly_fields = ("added_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
        dnc.flag_dnc_leads(phones=[obj.phone], reason=obj.reason)


class ConversationTurnInline(admin.TabularInline):
    model = ConversationTurn
    extra = 0
    can_delete = False
    fields = ("sequence", "speaker", "text", "stage", "started_at", "stt_ms", "llm_ms", "tts_ms")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ObjectionInline(admin.TabularInline):
    model = Objection
    extra = 0
    can_delete = False
    fields = ("category", "text", "occurred_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


INGESTION_OWNED = (
    "call_sid", "campaign", "lead", "attempt_number", "status", "outcome", "ended_by",
    "queued_at", "initiated_at", "ringing_at", "answered_at", "ended_at", "duration_seconds",
    "current_stage", "stage_first_reached", "qualification", "recording_url", "error",
    "last_event_at", "created_at", "updated_at",
)  # fmt: skip


@admin.register(CallSession)
class CallSessionAdmin(admin.ModelAdmin):
    list_display = (
        "call_sid",
        "campaign",
        "lead",
        "status",
        "outcome",
        "current_stage",
        "duration_seconds",
        "initiated_at",
    )
    list_filter = (
        "status",
        "outcome",
        ("current_stage", ValuesFilter),
        ("script_variant", ValuesFilter),
        "campaign",
    )
    list_select_related = ("campaign", "lead")
    search_fields = ("call_sid", "lead__name", "lead__phone")
    date_hierarchy = "initiated_at"
    readonly_fields = INGESTION_OWNED
    inlines = [ConversationTurnInline, ObjectionInline]

    def has_add_permission(self, request):
        return False


@admin.register(ScheduledCall)
class ScheduledCallAdmin(admin.ModelAdmin):
    list_display = ("lead", "campaign", "scheduled_for", "reason", "status")
    list_filter = ("status", "reason", "campaign")
    list_select_related = ("lead", "campaign")
    search_fields = ("lead__name", "lead__phone")
    date_hierarchy = "scheduled_for"
    autocomplete_fields = ("lead",)
    # A follow-up is called for its lead's campaign: that campaign is shown, never chosen (a
    # follow-up of another campaign than its lead's would be dialled for the wrong one).
    readonly_fields = ("campaign", "source_call", "created_at")

    # A follow-up added, edited or deleted by hand moves calls_queued (glossary): live pages are
    # told, for the campaign it left too.
    def save_model(self, request, obj, form, change):
        left = (
            ScheduledCall.objects.filter(pk=obj.pk).values_list("campaign_id", flat=True).first()
            if change
            else None
        )
        obj.campaign_id = obj.lead.campaign_id
        super().save_model(request, obj, form, change)
        events.publish_live_counts_change(campaign_ids={obj.campaign_id, left or obj.campaign_id})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        events.publish_live_counts_change(campaign_ids=[obj.campaign_id])

    def delete_queryset(self, request, queryset):
        campaign_ids = set(queryset.values_list("campaign_id", flat=True))
        super().delete_queryset(request, queryset)
        events.publish_live_counts_change(campaign_ids=campaign_ids)


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ("category", "text", "call", "occurred_at")
    list_filter = ("category",)
    list_select_related = ("call",)
    search_fields = ("text", "call__call_sid")
    date_hierarchy = "occurred_at"
    readonly_fields = ("call", "turn", "category", "text", "occurred_at", "event_id")


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "call_sid", "occurred_at", "source", "received_at")
    list_filter = ("type", "source")
    search_fields = ("event_id", "call_sid")
    date_hierarchy = "received_at"
    readonly_fields = (
        "event_id",
        "type",
        "call_sid",
        "occurred_at",
        "payload",
        "source",
        "received_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LeadImport)
class LeadImportAdmin(admin.ModelAdmin):
    """Lead files imported in the background: what came in, what became of it, and why not."""

    list_display = (
        "id", "filename", "campaign", "created_by", "status", "progress_percent", "rows",
        "created_count", "updated_count", "skipped_count", "invalid_rows", "created_at",
        "finished_at",
    )  # fmt: skip
    list_filter = ("status", "created_at")
    list_select_related = ("campaign", "created_by")
    search_fields = ("filename", "campaign__name", "created_by__username")
    date_hierarchy = "created_at"
    readonly_fields = (
        "campaign", "created_by", "filename", "file_size", "status", "progress", "attempts",
        "rows", "created_count", "updated_count", "skipped_count", "duplicate_count", "dnc_count",
        "invalid_rows", "errors", "errors_truncated", "ignored_columns", "error", "created_at",
        "started_at", "finished_at",
    )  # fmt: skip
    exclude = ("file",)  # the stored upload is internal and removed once the import finishes

    def has_add_permission(self, request):
        return False  # imports start from the campaign's "Import leads" page

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Progress", ordering="progress")
    def progress_percent(self, job):
        return f"{job.progress}%"


# --- Extension point: changelist actions of other apps -----------------------------------------
# Another app adds actions to the campaign, lead and call changelists from its own admin module,
# without reaching into these classes: exports adds "Export selected as CSV / Excel" this way.
EXTENSIBLE_CHANGELISTS = (Campaign, Lead, CallSession)


def add_changelist_actions(model, *actions):
    """Offer `actions` (admin action functions) on the changelist of `model`, after its own."""
    if model not in EXTENSIBLE_CHANGELISTS:
        names = ", ".join(m.__name__ for m in EXTENSIBLE_CHANGELISTS)
        raise ValueError(f"{model.__name__} takes no actions from other apps; only {names} do.")
    model_admin = admin.site.get_model_admin(model)
    current = list(model_admin.actions or ())
    model_admin.actions = [*current, *(action for action in actions if action not in current)]

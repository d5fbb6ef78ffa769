"""The call domain: campaigns, leads, the DNC list, call sessions, turns, objections, schedules."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

E164_REGEX = r"^\+[1-9][0-9]{6,14}$"
e164_validator = RegexValidator(
    E164_REGEX, "Enter a phone number in E.164 form, e.g. +919812345678."
)


def choices_check(field, choices, *, blank=False):
    """A CheckConstraint that keeps a column inside its TextChoices, enforced by the database."""
    allowed = Q(**{f"{field}__in": choices.values})
    if blank:
        allowed |= Q(**{field: ""})
    return allowed


# Points each signal adds to a lead's score (voiceagent/campaigns/scoring.py, docs/metrics.md
# "Lead score"); a campaign's `score_weights` overrides any of them. The defaults add up to 98.
DEFAULT_SCORE_WEIGHTS = {
    "interest_high": 30,
    "interest_medium": 15,
    "interest_low": -10,
    "timeline_within_1_month": 20,
    "timeline_within_3_months": 12,
    "timeline_within_6_months": 5,
    "budget_in_band": 15,
    "budget_near_band": 5,
    "purpose_buy": 10,
    "purpose_invest": 8,
    "purpose_rent": 3,
    "answered": 5,
    "talk_time_3_minutes": 10,
    "talk_time_1_minute": 5,
    "objection": -4,
    "callback_asked": 8,
}
SCORE_WEIGHT_LIMIT = 100


def validate_score_weights(value):
    """A campaign's score weights: known signals only, whole points from -100 to 100."""
    from django.core.exceptions import ValidationError

    if not isinstance(value, dict):
        raise ValidationError("Score weights must be an object of signal: points.")
    for key, points in value.items():
        if key not in DEFAULT_SCORE_WEIGHTS:
            raise ValidationError(
                f"Unknown score signal {key!r}; expected one of {sorted(DEFAULT_SCORE_WEIGHTS)}."
            )
        if not isinstance(points, int) or isinstance(points, bool):
            raise ValidationError(f"The points of {key} must be a whole number.")
        if not -SCORE_WEIGHT_LIMIT <= points <= SCORE_WEIGHT_LIMIT:
            raise ValidationError(
                f"The points of {key} must be between -{SCORE_WEIGHT_LIMIT} and "
                f"{SCORE_WEIGHT_LIMIT}."
            )


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"


def calling_day_start():
    """A new campaign's calling_hours_start: 09:00."""
    return datetime.time(9, 0)


def calling_day_end():
    """A new campaign's calling_hours_end: 21:00."""
    return datetime.time(21, 0)


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(members=user)

    def active(self):
        return self.filter(status=CampaignStatus.RUNNING)


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="campaigns", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=3, help_text="Calls to one lead before giving up on no answer or busy."
    )
    retry_delay_minutes = models.PositiveIntegerField(
        default=120, help_text="Wait before retrying a lead that did not answer or was busy."
    )
    callback_delay_minutes = models.PositiveIntegerField(
        default=24 * 60, help_text="Wait before calling back a lead who asked for a callback."
    )
    # Defaults given by functions: a fixed time makes Django's system check warn (fields.W161)
    # whenever the check runs within ten seconds of that time of day (`make run` at 21:00).
    calling_hours_start = models.TimeField(
        default=calling_day_start, help_text="Leads are called from this time (TIME_ZONE)."
    )
    calling_hours_end = models.TimeField(
        default=calling_day_end, help_text="Leads are called until this time (TIME_ZONE)."
    )
    price_band_min = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Lowest price of the homes on offer, in rupees (₹)."
    )
    price_band_max = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Highest price of the homes on offer, in rupees (₹)."
    )
    score_weights = models.JSONField(
        default=dict,
        db_default={},
        blank=True,
        validators=[validate_score_weights],
        help_text="Lead score points by signal, overriding the defaults (docs/metrics.md).",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", CampaignStatus), name="campaign_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="campaign_attempts_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(calling_hours_start__lt=F("calling_hours_end")),
                name="campaign_calling_hours_ordered",
            ),
            models.CheckConstraint(
                condition=Q(price_band_min__isnull=True)
                | Q(price_band_max__isnull=True)
                | Q(price_band_min__lte=F("price_band_max")),
                name="campaign_price_band_ordered",
            ),
        ]
        permissions = [("ingest_callevent", "Can post call events (ingestion API)")]

    def __str__(self):
        return self.name


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    NOT_INTERESTED = "not_interested", "Not interested"
    CALLBACK = "callback", "Callback requested"
    UNREACHABLE = "unreachable", "Unreachable"
    DNC = "dnc", "Do not call"


# Leads nobody calls again: the lifecycle ended (or the lead asked not to be called).
CLOSED_LEAD_STATUSES = (
    LeadStatus.QUALIFIED,
    LeadStatus.NOT_INTERESTED,
    LeadStatus.UNREACHABLE,
    LeadStatus.DNC,
)


class PropertyType(models.TextChoices):
    APARTMENT = "apartment", "Apartment"
    VILLA = "villa", "Villa"
    PLOT = "plot", "Plot"
    INDEPENDENT_HOUSE = "independent_house", "Independent house"
    COMMERCIAL = "commercial", "Commercial"
    OTHER = "other", "Other"


class LeadQuerySet(models.QuerySet):
    def valid(self):
        """Glossary: a valid lead has a valid phone and is not on the DNC list. An erased lead
        counts as it did before its phone was erased, so that no figure moves with an erasure."""
        return self.exclude(phone="", phone_erased=False).filter(is_dnc=False)

    def dnc_filtered(self):
        return self.filter(is_dnc=True)

    def due_for_call(self, now=None):
        """Leads a dialer may call at `now` (docs/metrics.md, lead lifecycle), the demo's and the
        simulator's alike: valid leads of running campaigns, inside the campaign's calling hours
        (TIME_ZONE), below its max_attempts, without a call under way, and either new or with a
        pending follow-up due by `now`; never qualified, not interested, unreachable or DNC."""
        now = now or timezone.now()
        local_time = now.astimezone(ZoneInfo(settings.TIME_ZONE)).time()
        follow_up_due = ScheduledCall.objects.due(now).filter(lead=OuterRef("pk"))
        call_under_way = CallSession.objects.filter(
            lead=OuterRef("pk"), status__in=(CallStatus.QUEUED, *IN_PROGRESS_STATUSES)
        )
        # An attempt is a finished call (campaigns.lifecycle): a canceled call uses up none.
        attempts = (
            CallSession.objects.filter(lead=OuterRef("pk"), status__in=FINISHED_STATUSES)
            .order_by()
            .values("lead")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            self.valid()
            .annotate(attempts_made=Coalesce(Subquery(attempts), 0))
            .exclude(phone="")
            .filter(
                campaign__status=CampaignStatus.RUNNING,
                campaign__calling_hours_start__lte=local_time,
                campaign__calling_hours_end__gt=local_time,
                attempts_made__lt=F("campaign__max_attempts"),
            )
            .exclude(status__in=CLOSED_LEAD_STATUSES)
            .filter(Q(status=LeadStatus.NEW) | Exists(follow_up_due))
            .exclude(Exists(call_under_way))
        )

    def open(self):
        """Leads a dialer may still call: not closed (qualified, not interested, unreachable,
        do-not-call); voiceagent.campaigns.lifecycle has the rules."""
        return self.filter(is_dnc=False).exclude(status__in=CLOSED_LEAD_STATUSES)

    def visible_to(self, user):
        return self.filter(campaign__in=Campaign.objects.visible_to(user))


class Lead(models.Model):
    # No index of its own: the indexes below lead with the campaign (each index is written on
    # every insert and on most updates: tests/voiceagent/test_indexes.py).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="leads", db_index=False
    )
    name = models.CharField(max_length=200)
    phone = models.CharField(
        max_length=16,
        blank=True,
        validators=[e164_validator],
        help_text="E.164, e.g. +919812345678",
    )
    email = models.EmailField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    property_type = models.CharField(max_length=32, choices=PropertyType.choices, blank=True)
    budget = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Budget in rupees (₹)."
    )
    preferred_locations = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    is_dnc = models.BooleanField("DNC", default=False)
    dnc_reason = models.CharField(max_length=200, blank=True)
    call_attempts = models.PositiveIntegerField(default=0)
    last_call_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=24, blank=True)
    # How likely the lead is to buy, 0–100, and the top three contributions in words; set from
    # its calls by voiceagent.campaigns.scoring, never by hand.
    score = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    score_reasons = models.CharField(max_length=300, blank=True, db_default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Erasure (voiceagent/personal_data/erasure.py): when the person's data was erased, and
    # whether it had a phone then (so it still counts as a valid lead in every figure).
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    phone_erased = models.BooleanField(default=False, db_default=False, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "phone"],
                condition=~Q(phone=""),
                name="lead_phone_unique_in_campaign",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=E164_REGEX), name="lead_phone_e164"
            ),
            models.CheckConstraint(
                condition=choices_check("status", LeadStatus), name="lead_status_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("property_type", PropertyType, blank=True),
                name="lead_property_type_valid",
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="lead_score_lte_100"),
        ]
        indexes = [
            models.Index(fields=["campaign", "-score"], name="lead_campaign_score_idx"),
            models.Index(fields=["campaign", "status"], name="lead_campaign_status_idx"),
            # Lead activity's order (most recently called first, never-called last): its first
            # page is the index's first entries, not a sort of the campaign's leads.
            models.Index(
                F("campaign"),
                F("last_call_at").desc(nulls_last=True),
                F("id").desc(),
                name="lead_campaign_recent_idx",
            ),
            models.Index(fields=["phone"], name="lead_phone_idx"),
        ]
        permissions = [
            ("view_full_phone", "Can see phone numbers in full (others see them masked)")
        ]

    def __str__(self):
        return f"{self.name} ({self.phone or 'no phone'})"

    @property
    def valid(self):
        return (bool(self.phone) or self.phone_erased) and not self.is_dnc


class DoNotCall(models.Model):
    # Empty once the person's data was erased: the number is then known only by its hash.
    phone = models.CharField(max_length=16, blank=True, validators=[e164_validator])
    phone_hash = models.CharField(max_length=64, unique=True, editable=False)
    reason = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "do-not-call number"
        verbose_name_plural = "do-not-call list"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=E164_REGEX), name="dnc_phone_e164"
            ),
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="dnc_phone_unique"
            ),
        ]

    def __str__(self):
        return self.phone or f"erased number #{self.pk}"

    def save(self, *args, **kwargs):
        from voiceagent.personal_data.phones import phone_hash

        if self.phone:
            self.phone_hash = phone_hash(self.phone)
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        from voiceagent.personal_data.phones import phone_hash

        listed = DoNotCall.objects.filter(phone_hash=phone_hash(self.phone)).exclude(pk=self.pk)
        if self.phone and listed.exists():
            raise ValidationError({"phone": "This number is on the do-not-call list already."})


class CallStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    INITIATED = "initiated", "Initiated"
    RINGING = "ringing", "Ringing"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


FINISHED_STATUSES = (CallStatus.COMPLETED, CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED)
IN_PROGRESS_STATUSES = (CallStatus.INITIATED, CallStatus.RINGING, CallStatus.IN_PROGRESS)
ENDED_STATUSES = (*FINISHED_STATUSES, CallStatus.CANCELED)


class CallOutcome(models.TextChoices):
    QUALIFIED = "qualified", "Qualified"
    NOT_INTERESTED = "not_interested", "Not interested"
    CALLBACK_REQUESTED = "callback_requested", "Callback requested"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Voicemail"
    FAILED = "failed", "Failed"


class EndedBy(models.TextChoices):
    AGENT = "agent", "Agent"
    LEAD = "lead", "Lead"
    SYSTEM = "system", "System"


class Stage(models.TextChoices):
    GREETING = "greeting", "Greeting"
    DISCOVERY = "discovery", "Discovery"
    QUALIFICATION = "qualification", "Qualification"
    OBJECTION_HANDLING = "objection_handling", "Objection handling"
    CLOSING = "closing", "Closing"


DEFAULT_SCRIPT_VARIANT = "default"


class CallSessionQuerySet(models.QuerySet):
    def finished(self):
        """Glossary: a finished call is completed, no_answer, busy or failed (never canceled)."""
        return self.filter(status__in=FINISHED_STATUSES)

    def answered(self):
        """Glossary: finished, answered_at set, and not a voicemail."""
        return (
            self.finished().filter(answered_at__isnull=False).exclude(outcome=CallOutcome.VOICEMAIL)
        )

    def in_progress(self):
        return self.filter(status__in=IN_PROGRESS_STATUSES)

    def queued(self):
        """Glossary, half of calls_queued: status queued, of running campaigns only (a paused or
        completed campaign's calls wait for nobody). A subquery, not a join, so that
        `analytics.aggregates.condition` can count it in the same pass as other figures."""
        return self.filter(status=CallStatus.QUEUED, campaign__in=Campaign.objects.active())

    def visible_to(self, user):
        return self.filter(campaign__in=Campaign.objects.visible_to(user))


class CallSession(models.Model):
    # Unique by a constraint (Meta), not unique=True: that adds a second index of the column
    # for LIKE 'prefix%', which nothing asks of a call_sid.
    call_sid = models.CharField(max_length=64)
    # No index of their own: call_campaign_day_idx and call_lead_recent_idx lead with them.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="calls", db_index=False
    )
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="calls", db_index=False)
    attempt_number = models.PositiveIntegerField(default=1)
    # The script the agent used (call.initiated's script_variant), for A/B tests of scripts.
    script_variant = models.CharField(
        max_length=64, default=DEFAULT_SCRIPT_VARIANT, db_default=DEFAULT_SCRIPT_VARIANT
    )
    status = models.CharField(max_length=16, choices=CallStatus.choices, default=CallStatus.QUEUED)
    outcome = models.CharField(max_length=24, choices=CallOutcome.choices, blank=True)
    ended_by = models.CharField(max_length=8, choices=EndedBy.choices, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    initiated_at = models.DateTimeField(null=True, blank=True)
    ringing_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    current_stage = models.CharField(max_length=32, blank=True)
    # {stage: ISO time of first reach}; ordered by that time it gives stages_reached.
    stage_first_reached = models.JSONField(default=dict, blank=True)
    qualification = models.JSONField(default=dict, blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # What ingestion needs to merge events in any order (voiceagent/ingestion/call_state.py): the earliest
    # event times, every end report, and when each qualification key was set. Never edited by hand.
    ingest_state = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CallSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-initiated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", CallStatus), name="call_status_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("outcome", CallOutcome, blank=True),
                name="call_outcome_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("ended_by", EndedBy, blank=True), name="call_ended_by_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__isnull=True) | Q(duration_seconds__gte=0),
                name="call_duration_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(initiated_at__isnull=True)
                | Q(ended_at__gte=models.F("initiated_at")),
                name="call_ended_after_initiated",
            ),
            models.CheckConstraint(condition=Q(attempt_number__gte=1), name="call_attempt_gte_1"),
            models.UniqueConstraint(fields=["call_sid"], name="call_sid_unique"),
        ]
        indexes = [
            models.Index(fields=["initiated_at"], name="call_initiated_at_idx"),
            models.Index(fields=["status"], name="call_status_idx"),
            models.Index(fields=["outcome"], name="call_outcome_idx"),
            models.Index(fields=["campaign", "initiated_at"], name="call_campaign_day_idx"),
            models.Index(fields=["campaign", "status"], name="call_campaign_status_idx"),
            models.Index(fields=["lead", "-initiated_at"], name="call_lead_recent_idx"),
            # leads_qualified over a period: the distinct leads of a campaign's qualified calls
            # of those days, read from the index alone (a few thousand entries a month at 1M
            # calls, not the campaign's calls).
            models.Index(
                fields=["campaign", "initiated_at", "lead"],
                condition=Q(outcome=CallOutcome.QUALIFIED, status__in=FINISHED_STATUSES),
                name="call_qualified_lead_idx",
            ),
        ]

    def __str__(self):
        return self.call_sid

    @property
    def stages_reached(self):
        return [
            stage for stage, _ in sorted(self.stage_first_reached.items(), key=lambda kv: kv[1])
        ]


class Speaker(models.TextChoices):
    AGENT = "agent", "Agent"
    LEAD = "lead", "Lead"


class ConversationTurn(models.Model):
    # No index of its own: turn_sequence_unique_in_call leads with the call.
    call = models.ForeignKey(
        CallSession, on_delete=models.CASCADE, related_name="turns", db_index=False
    )
    sequence = models.PositiveIntegerField()
    speaker = models.CharField(max_length=8, choices=Speaker.choices)
    text = models.TextField()
    stage = models.CharField(max_length=32, blank=True)
    started_at = models.DateTimeField()
    stt_ms = models.PositiveIntegerField(null=True, blank=True)
    llm_ms = models.PositiveIntegerField(null=True, blank=True)
    tts_ms = models.PositiveIntegerField(null=True, blank=True)
    # What the turn consumed, for its cost (analytics.costs); null when the agent did not say.
    llm_input_tokens = models.PositiveIntegerField(null=True, blank=True)
    llm_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    tts_characters = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["call", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "sequence"], name="turn_sequence_unique_in_call"
            ),
            models.CheckConstraint(
                condition=choices_check("speaker", Speaker), name="turn_speaker_valid"
            ),
        ]

    def __str__(self):
        return f"{self.call_id}#{self.sequence} {self.speaker}"


class ObjectionCategory(models.TextChoices):
    PRICE = "price", "Price"
    TIMING = "timing", "Timing"
    LOCATION = "location", "Location"
    NOT_INTERESTED = "not_interested", "Not interested"
    TRUST = "trust", "Trust"
    OTHER = "other", "Other"


class Objection(models.Model):
    call = models.ForeignKey(CallSession, on_delete=models.CASCADE, related_name="objections")
    category = models.CharField(max_length=20, choices=ObjectionCategory.choices)
    text = models.TextField(blank=True)
    turn = models.ForeignKey(
        ConversationTurn,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objections",
    )
    occurred_at = models.DateTimeField()
    # The ingestion event that raised it: the same objection is never stored twice.
    event_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["call", "occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("category", ObjectionCategory),
                name="objection_category_valid",
            ),
        ]
        indexes = [models.Index(fields=["category"], name="objection_category_idx")]

    def __str__(self):
        return f"{self.category}: {self.text[:40]}"


class ErrorComponent(models.TextChoices):
    LLM = "llm", "LLM"
    STT = "stt", "Speech-to-text"
    TTS = "tts", "Text-to-speech"
    TELEPHONY = "telephony", "Telephony"


class CallError(models.Model):
    """An AI or telephony error the agent reported during a call (event `call.error`)."""

    # No index of its own: call_error_call_idx leads with the call.
    call = models.ForeignKey(
        CallSession, on_delete=models.CASCADE, related_name="errors", db_index=False
    )
    component = models.CharField(max_length=12, choices=ErrorComponent.choices)
    message = models.CharField(max_length=500)
    code = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField()
    # The ingestion event that reported it: the same error is never stored twice.
    event_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["call", "occurred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("component", ErrorComponent),
                name="call_error_component_valid",
            ),
        ]
        indexes = [models.Index(fields=["call", "occurred_at"], name="call_error_call_idx")]

    def __str__(self):
        return f"{self.component}: {self.message[:40]}"


class ScheduledCallReason(models.TextChoices):
    RETRY = "retry", "Retry"
    CALLBACK = "callback", "Callback"


class ScheduledCallStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DISPATCHED = "dispatched", "Dispatched"
    DONE = "done", "Done"
    CANCELED = "canceled", "Canceled"


class ScheduledCallQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=ScheduledCallStatus.PENDING)

    def due(self, now=None):
        return self.pending().filter(scheduled_for__lte=now or timezone.now())

    def queued(self, now=None):
        """Glossary, other half of calls_queued: pending and due by `now`, of running campaigns
        only; pausing a campaign takes its follow-ups out of the queue, resuming brings them back."""
        return self.due(now).filter(
            campaign__in=Campaign.objects.active(), lead__in=Lead.objects.open()
        )


class ScheduledCall(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="scheduled_calls")
    # No index of its own: scheduled_campaign_due_idx leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="scheduled_calls", db_index=False
    )
    scheduled_for = models.DateTimeField()
    reason = models.CharField(max_length=12, choices=ScheduledCallReason.choices)
    status = models.CharField(
        max_length=12, choices=ScheduledCallStatus.choices, default=ScheduledCallStatus.PENDING
    )
    source_call = models.OneToOneField(
        CallSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_up"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScheduledCallQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_for"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("reason", ScheduledCallReason),
                name="scheduled_reason_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("status", ScheduledCallStatus),
                name="scheduled_status_valid",
            ),
        ]
        # The due follow-ups (pending, scheduled_for <= now) in one index range, of every
        # campaign or of some: with an index of status alone, or of (campaign, status), the
        # planner read every pending follow-up, future retries included, to keep the due ones,
        # on every live count (the realtime poll, each live push of counters).
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="scheduled_due_idx"),
            models.Index(
                fields=["campaign", "status", "scheduled_for"], name="scheduled_campaign_due_idx"
            ),
        ]

    def __str__(self):
        return f"{self.reason} {self.lead_id} at {self.scheduled_for:%Y-%m-%d %H:%M}"


class CallEvent(models.Model):
    """Every accepted ingestion event, as received: the audit log and the source for replay."""

    event_id = models.CharField(max_length=128, unique=True)
    type = models.CharField(max_length=32)
    call_sid = models.CharField(max_length=64, db_index=True)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    source = models.CharField(max_length=16, default="api")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["received_at"], name="callevent_received_idx")]

    def __str__(self):
        return f"{self.event_id} {self.type}"


class LeadImportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class LeadImport(models.Model):
    """A lead file imported in the background (Celery): its stored upload, progress and result."""

    # No index of its own: lead_import_campaign_idx leads with the campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="lead_imports", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The upload, kept on the default storage (shared by web and worker) until the job finishes.
    file = models.FileField(upload_to="lead-imports/", blank=True)
    filename = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=LeadImportStatus.choices, default=LeadImportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    dnc_count = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    errors_truncated = models.BooleanField(default=False)
    ignored_columns = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the whole file was rejected, if it was.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", LeadImportStatus), name="lead_import_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="lead_import_progress_lte_100"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "-created_at"], name="lead_import_campaign_idx"),
        ]

    def __str__(self):
        return f"import #{self.pk} of {self.filename}"


class AuditAction(models.TextChoices):
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Failed login"
    EXPORT_REQUESTED = "export_requested", "Export requested"
    EXPORT_DOWNLOADED = "export_downloaded", "Export downloaded"
    LEAD_VIEWED = "lead_viewed", "Lead viewed"
    LEADS_LISTED = "leads_listed", "Leads listed"
    CALL_VIEWED = "call_viewed", "Call page viewed"
    TRANSCRIPT_VIEWED = "transcript_viewed", "Transcript viewed (API)"
    LEADS_IMPORTED = "leads_imported", "Leads imported"
    LEAD_ERASED = "lead_erased", "Lead erased"
    ADMIN_CHANGE = "admin_change", "Changed in the admin"
    AUDIT_EXPORTED = "audit_exported", "Audit log exported"


class AppendOnly(Exception):
    """Raised by any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit events are never changed.")

    def delete(self):
        raise AppendOnly("Audit events are never deleted (only pruned after AUDIT_RETENTION_DAYS).")

    def prune(self, *, before):
        """Delete the events older than `before` (retention); returns how many. The only path
        that removes audit events, used by the retention task alone."""
        return self.filter(occurred_at__lt=before)._raw_delete(self.db)


class AuditEvent(models.Model):
    """Who processed which personal data, when, from where: written once, never changed."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No index of its own: audit_actor_recent_idx leads with the actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # The username at the time (kept when the user is deleted; the name tried on a failed login).
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=24, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    campaign_id = models.PositiveIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("action", AuditAction), name="audit_action_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["action", "-occurred_at"], name="audit_action_recent_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_recent_idx"),
            models.Index(fields=["campaign_id", "-occurred_at"], name="audit_campaign_recent_idx"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit events are never deleted.")

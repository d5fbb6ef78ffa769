"""Query-parameter and response serializers of the analytics and dashboard API (the schema's truth)."""

from datetime import timedelta

from rest_framework import serializers

from analytics.attention import REASONS
from analytics.periods import (
    DEFAULT_PERIOD_DAYS,
    EARLIEST_DAY,
    LATEST_DAY,
    MAX_PERIOD_DAYS,
    Period,
    local_today,
)
from analytics.rollups.contribution import LATENCY_FIELDS
from analytics.search import query_words
from voiceagent.models import (
    CallOutcome,
    CallStatus,
    CampaignStatus,
    ErrorComponent,
    LeadStatus,
    ObjectionCategory,
    ScheduledCallReason,
    Speaker,
)
from voiceagent.personal_data.phones import MaskedPhoneField, PhoneDisplayField
from voiceagent.web.rows import FlatRowsSerializer, PlainRepresentationMixin

MAX_ID = 2**63 - 1


class KeywordFieldsMixin:
    """`from` is a Python keyword: declare the field as `from_`, publish it as `from`."""

    def get_fields(self):
        return {
            name[:-1] if name.endswith("_") else name: field
            for name, field in super().get_fields().items()
        }


# --- query parameters ----------------------------------------------------------------------------


class PeriodQuerySerializer(KeywordFieldsMixin, serializers.Serializer):
    """`days` or `from`/`to` (calendar days in settings.TIME_ZONE, both included) → `period`."""

    default_days = None  # None: all time

    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PERIOD_DAYS,
        help_text="The last N calendar days, today included (1–365).",
    )
    from_ = serializers.DateField(
        required=False,
        help_text="First day (ISO date, configured time zone), instead of `days`.",
    )
    to = serializers.DateField(
        required=False,
        help_text="Last day, included (ISO date); defaults to today. Needs `from`.",
    )

    def validate(self, attrs):
        days, first, last = attrs.get("days"), attrs.get("from"), attrs.get("to")
        if days is not None and (first or last):
            raise serializers.ValidationError({"days": "Give either days or from/to, not both."})
        if last and not first:
            raise serializers.ValidationError({"from": "from is required when to is given."})
        if first:
            last = last or local_today()
            for name, day in (("from", first), ("to", last)):
                if not EARLIEST_DAY <= day <= LATEST_DAY:
                    raise serializers.ValidationError(
                        {name: f"{name} ({day}) must be between {EARLIEST_DAY} and {LATEST_DAY}."}
                    )
            if first > last:
                raise serializers.ValidationError({"from": f"from ({first}) is after to ({last})."})
            if last - first >= timedelta(days=MAX_PERIOD_DAYS):
                raise serializers.ValidationError(
                    {"to": f"from/to may span at most {MAX_PERIOD_DAYS} days."}
                )
            attrs["period"] = Period(first=first, last=last)
        elif days or self.default_days:
            attrs["period"] = Period.last_days(days or self.default_days)
        else:
            attrs["period"] = None
        return attrs


COMPARE_CHOICES = [("previous", "the preceding period of equal length")]


def compare_field():
    return serializers.ChoiceField(
        choices=COMPARE_CHOICES,
        required=False,
        help_text="`previous` adds `previous` (the same figures for the preceding period of "
        "equal length) and `change` (counts as differences, rates in percentage points; null "
        "when the previous period has no calls).",
    )


class ComparablePeriodQuerySerializer(PeriodQuerySerializer):
    compare = compare_field()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("compare") and attrs["period"] is None:
            raise serializers.ValidationError(
                {"compare": "compare=previous needs a period: give days or from/to."}
            )
        return attrs


class SystemQuerySerializer(serializers.Serializer):
    compare = compare_field()


class VariantsQuerySerializer(PeriodQuerySerializer):
    min_answered = serializers.IntegerField(
        required=False,
        default=100,
        min_value=1,
        max_value=1_000_000,
        help_text="Answered calls both sides need before a difference is significant (100).",
    )


class CampaignFilterQuerySerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only this campaign (one you may see); every visible campaign when absent.",
    )


class DailyStatsQuerySerializer(CampaignFilterQuerySerializer, ComparablePeriodQuerySerializer):
    default_days = 7

    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PERIOD_DAYS,
        help_text="The last N calendar days, today included (1–365, default 7).",
    )


class BestHoursQuerySerializer(PeriodQuerySerializer):
    min_calls = serializers.IntegerField(
        required=False,
        default=5,
        min_value=1,
        max_value=1_000_000,
        help_text="Calls made a slot needs to be ranked among the best (default 5).",
    )


class LeadActivityQuerySerializer(CampaignFilterQuerySerializer):
    status = serializers.ChoiceField(
        choices=LeadStatus.choices, required=False, help_text="Only leads in this status."
    )
    limit = serializers.IntegerField(
        required=False, default=50, min_value=1, max_value=500, help_text="1–500, default 50."
    )


class RealtimeQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False,
        default=500,
        min_value=1,
        max_value=500,
        help_text="At most this many active calls, oldest first (1–500, default 500).",
    )


class DashboardQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        required=False,
        default=DEFAULT_PERIOD_DAYS,
        min_value=1,
        max_value=MAX_PERIOD_DAYS,
        help_text=f"The period of every call count, today included (1–365, default "
        f"{DEFAULT_PERIOD_DAYS}, the default period of the pages and the admin).",
    )

    def validate(self, attrs):
        attrs["period"] = Period.last_days(attrs["days"])
        return attrs


class DashboardOverviewQuerySerializer(DashboardQuerySerializer):
    compare = compare_field()


class CampaignSummaryQuerySerializer(DashboardQuerySerializer):
    limit = serializers.IntegerField(
        required=False,
        default=10,
        min_value=1,
        max_value=500,
        help_text="Leads in recent_activity (1–500, default 10).",
    )


# --- shared output pieces ------------------------------------------------------------------------


class ApiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong, naming the parameter.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by parameter name (invalid input only).",
    )


class PeriodSerializer(KeywordFieldsMixin, serializers.Serializer):
    """What the call counts beside it cover (docs/metrics.md, "Periods")."""

    from_ = serializers.DateField(
        allow_null=True, help_text="First day covered (configured time zone); null: unbounded."
    )
    to = serializers.DateField(
        allow_null=True, help_text="Last day covered, included; null: unbounded."
    )
    label = serializers.CharField(
        help_text="How pages name it: “All time”, “Last 30 days”, “1–29 Nov 2026”."
    )


def period_field():
    return PeriodSerializer(help_text="The days the call counts cover (dates inclusive).")


def rupees_field(help_text, *, allow_null=False):
    return serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=allow_null,
        help_text=help_text,
    )


def period_start_field():
    return serializers.DateField(allow_null=True, help_text="First day covered; null: all time.")


def period_end_field():
    return serializers.DateField(allow_null=True, help_text="Last day covered, included.")


class OnlyWhenPresentMixin:
    """A field left out of the document when the data has no such key (`compare` not asked),
    and null when the key holds None."""

    leaves_out_missing_keys = True  # voiceagent.web.rows reads it

    def get_attribute(self, instance):
        if isinstance(instance, dict) and self.field_name not in instance:
            raise serializers.SkipField()
        return super().get_attribute(instance)


def _figures_serializer(name, fields, *, change=False):
    """A serializer of `fields` (name: field factory) for `previous` or `change` documents."""
    attrs = {field_name: factory(change) for field_name, factory in fields.items()}
    return type(name, (serializers.Serializer,), {**attrs, "__module__": __name__})


def _count(change):
    return serializers.IntegerField(help_text="Difference." if change else "")


def _rate(change):
    return serializers.FloatField(
        help_text="Difference in percentage points." if change else "Percent."
    )


def _seconds(change):
    return serializers.FloatField(help_text="Difference in seconds." if change else "Seconds.")


def _money(change):
    return rupees_field("Difference in rupees." if change else "Rupees.", allow_null=True)


class LatencySerializer(serializers.Serializer):
    avg = serializers.FloatField(
        allow_null=True, help_text="Milliseconds, exact mean over the turns; null without samples."
    )
    p95 = serializers.FloatField(
        allow_null=True,
        help_text="95th percentile (continuous, exact), milliseconds; null without samples.",
    )
    samples = serializers.IntegerField(
        help_text="Turns that reported this latency (0: the step has no latency, avg and p95 "
        "are null)."
    )


class CampaignLatencySerializer(LatencySerializer):
    """A conversation's latency figures, over a campaign's turns (read from the rollups)."""

    avg = serializers.FloatField(
        allow_null=True, help_text="Milliseconds, exact mean over the turns; null without samples."
    )
    p95 = serializers.FloatField(
        allow_null=True,
        help_text=(
            "95th percentile, milliseconds, read from a log-spaced histogram: within 2% of the "
            "exact percentile_cont(0.95) over the turns (1,000 ms reads 980–1,020); null without "
            "samples."
        ),
    )
    samples = serializers.IntegerField(
        help_text="Turns of the period's finished calls that reported this latency."
    )


class LatencyChangeSerializer(serializers.Serializer):
    avg = serializers.FloatField(allow_null=True, help_text="Difference in milliseconds.")
    p95 = serializers.FloatField(allow_null=True, help_text="Difference in milliseconds.")
    samples = serializers.IntegerField(help_text="Difference.")


def _latency_figures(name, figure_class):
    """stt_ms, llm_ms and tts_ms, each a `figure_class`."""
    fields = {field: figure_class() for field in LATENCY_FIELDS}
    return type(name, (serializers.Serializer,), {**fields, "__module__": __name__})


CampaignLatencyFiguresSerializer = _latency_figures(
    "CampaignLatencyFiguresSerializer", CampaignLatencySerializer
)
LatencyFiguresChangeSerializer = _latency_figures(
    "LatencyFiguresChangeSerializer", LatencyChangeSerializer
)


def _latency(change):
    if change:
        return LatencyFiguresChangeSerializer(help_text="Differences of each AI step's figures.")
    return CampaignLatencyFiguresSerializer(
        help_text="AI latency of speech-to-text, LLM and text-to-speech per turn."
    )


CAMPAIGN_COMPARED_FIELDS = {
    "calls_made": _count,
    "calls_answered": _count,
    "calls_qualified": _count,
    "calls_not_interested": _count,
    "calls_callback": _count,
    "calls_no_answer": _count,
    "calls_failed": _count,
    "calls_voicemail": _count,
    "answer_rate": _rate,
    "qualification_rate": _rate,
    "conversion_rate": _rate,
    "avg_call_duration": _seconds,
    "total_call_time": _seconds,
    "cost_inr": _money,
    "cost_per_answered_call_inr": _money,
    "cost_per_qualified_lead_inr": _money,
    "latency": _latency,
}
TOTALS_FIELDS = {
    "calls_made": _count,
    "calls_answered": _count,
    "calls_qualified": _count,
    "answer_rate": _rate,
    "qualification_rate": _rate,
    "total_call_time": _seconds,
}
SYSTEM_COMPARED_FIELDS = {"calls_made": _count, "answer_rate": _rate, "qualification_rate": _rate}


def previous_serializer(name, fields):
    base = _figures_serializer(f"{name}Figures", fields)
    return type(name, (base,), {"period": period_field(), "__module__": __name__})


class OptionalNested:
    """`previous` and `change` fields, present only with `compare=previous` (one optional class
    per serializer, so that the schema names each once)."""

    classes = {}

    @classmethod
    def _optional(cls, serializer_class):
        if serializer_class not in cls.classes:
            cls.classes[serializer_class] = type(
                f"Optional{serializer_class.__name__}",
                (OnlyWhenPresentMixin, serializer_class),
                {"__module__": __name__},
            )
        return cls.classes[serializer_class]

    @classmethod
    def previous(cls, serializer_class, help_text):
        return cls._optional(serializer_class)(required=False, help_text=help_text)

    @classmethod
    def change(cls, serializer_class, help_text):
        return cls._optional(serializer_class)(required=False, allow_null=True, help_text=help_text)


PREVIOUS_HELP = "With compare=previous: the same figures for the preceding period of equal length."
CHANGE_HELP = (
    "With compare=previous: current minus previous (counts, seconds and rupees as differences, "
    "rates in percentage points, 2 decimals); null when the previous period has no calls."
)


class CallCountsSerializer(serializers.Serializer):
    calls_made = serializers.IntegerField(help_text="Finished calls (canceled never count).")
    calls_answered = serializers.IntegerField(
        help_text="Finished calls answered by a person (voicemail excluded)."
    )
    calls_qualified = serializers.IntegerField()
    answer_rate = serializers.FloatField(help_text="calls_answered / calls_made × 100.")
    qualification_rate = serializers.FloatField(help_text="calls_qualified / calls_answered × 100.")


class DateFieldSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Calendar day in the configured time zone.")


class DailyStatSerializer(DateFieldSerializer, CallCountsSerializer):
    avg_call_duration = serializers.FloatField(help_text="Seconds, mean of answered calls.")
    total_call_time = serializers.IntegerField(help_text="Seconds, sum over finished calls.")

    class Meta:
        list_serializer_class = FlatRowsSerializer


# --- /analytics/* --------------------------------------------------------------------------------


CampaignPreviousSerializer = previous_serializer(
    "CampaignPreviousSerializer", CAMPAIGN_COMPARED_FIELDS
)
CampaignChangeSerializer = _figures_serializer(
    "CampaignChangeSerializer", CAMPAIGN_COMPARED_FIELDS, change=True
)
TotalsSerializer = _figures_serializer("TotalsSerializer", TOTALS_FIELDS)
TotalsPreviousSerializer = previous_serializer("TotalsPreviousSerializer", TOTALS_FIELDS)
TotalsChangeSerializer = _figures_serializer("TotalsChangeSerializer", TOTALS_FIELDS, change=True)
SystemPreviousSerializer = previous_serializer("SystemPreviousSerializer", SYSTEM_COMPARED_FIELDS)
SystemChangeSerializer = _figures_serializer(
    "SystemChangeSerializer", SYSTEM_COMPARED_FIELDS, change=True
)


class CampaignMetricsSerializer(KeywordFieldsMixin, serializers.Serializer):
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField()
    campaign_status = serializers.ChoiceField(choices=CampaignStatus.choices)
    total_leads = serializers.IntegerField()
    valid_leads = serializers.IntegerField(help_text="With a phone and not on the DNC list.")
    dnc_filtered_leads = serializers.IntegerField()
    calls_made = serializers.IntegerField(help_text="Finished calls (canceled never count).")
    calls_answered = serializers.IntegerField(help_text="Answered by a person (not voicemail).")
    calls_qualified = serializers.IntegerField()
    calls_not_interested = serializers.IntegerField()
    calls_callback = serializers.IntegerField()
    calls_no_answer = serializers.IntegerField(help_text="Outcome no_answer (busy included).")
    calls_failed = serializers.IntegerField()
    calls_voicemail = serializers.IntegerField()
    calls_in_progress = serializers.IntegerField(help_text="Now: initiated, ringing, in progress.")
    calls_queued = serializers.IntegerField(
        help_text="Now: queued calls plus pending scheduled calls that are due."
    )
    answer_rate = serializers.FloatField()
    qualification_rate = serializers.FloatField()
    conversion_rate = serializers.FloatField(
        help_text="Distinct leads with a qualified call / valid leads × 100."
    )
    avg_call_duration = serializers.FloatField(help_text="Seconds; 0.0 without answered calls.")
    total_call_time = serializers.IntegerField(help_text="Seconds over finished calls.")
    cost_inr = rupees_field("What the finished calls cost, in rupees (docs/metrics.md, Cost).")
    cost_per_answered_call_inr = rupees_field(
        "cost_inr / calls_answered; null without answered calls.", allow_null=True
    )
    cost_per_qualified_lead_inr = rupees_field(
        "cost_inr / distinct leads with a qualified call; null without one.", allow_null=True
    )
    latency = CampaignLatencyFiguresSerializer(
        help_text=(
            "AI latency per turn of the period's finished calls (speech-to-text, LLM, "
            "text-to-speech): exact average, 95th percentile within 2% of the exact "
            "percentile_cont, number of turns (docs/metrics.md)."
        )
    )
    from_ = period_start_field()
    to = period_end_field()
    period = period_field()
    previous = OptionalNested.previous(CampaignPreviousSerializer, PREVIOUS_HELP)
    change = OptionalNested.change(CampaignChangeSerializer, CHANGE_HELP)


class DailyPreviousSerializer(serializers.Serializer):
    period = period_field()
    stats = DailyStatSerializer(many=True)
    totals = TotalsSerializer()


class DailyStatsSerializer(PlainRepresentationMixin, KeywordFieldsMixin, serializers.Serializer):
    campaign_id = serializers.IntegerField(allow_null=True)
    days = serializers.IntegerField()
    from_ = period_start_field()
    to = period_end_field()
    period = period_field()
    timezone = serializers.CharField()
    stats = DailyStatSerializer(many=True, help_text="One row per day, oldest first.")
    totals = OptionalNested.previous(
        TotalsSerializer, "With compare=previous: the series' totals (rates of the sums)."
    )
    previous = OptionalNested.previous(DailyPreviousSerializer, PREVIOUS_HELP)
    change = OptionalNested.change(TotalsChangeSerializer, CHANGE_HELP + " Of the totals.")


class LeadSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = MaskedPhoneField()
    phone_display = PhoneDisplayField(source="phone")
    city = serializers.CharField()


class ObjectionItemSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=ObjectionCategory.choices)
    text = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    turn_sequence = serializers.IntegerField(allow_null=True)


class ConversationLatencySerializer(serializers.Serializer):
    stt_ms = LatencySerializer()
    llm_ms = LatencySerializer()
    tts_ms = LatencySerializer()


class TurnSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    speaker = serializers.ChoiceField(choices=Speaker.choices)
    text = serializers.CharField()
    stage = serializers.CharField()
    started_at = serializers.DateTimeField()
    stt_ms = serializers.IntegerField(allow_null=True)
    llm_ms = serializers.IntegerField(allow_null=True)
    tts_ms = serializers.IntegerField(allow_null=True)
    llm_input_tokens = serializers.IntegerField(allow_null=True)
    llm_output_tokens = serializers.IntegerField(allow_null=True)
    tts_characters = serializers.IntegerField(allow_null=True)


class CallErrorSerializer(serializers.Serializer):
    component = serializers.ChoiceField(choices=ErrorComponent.choices)
    message = serializers.CharField()
    code = serializers.CharField(help_text="The provider's error code; empty when none was sent.")
    occurred_at = serializers.DateTimeField()


class ConversationSerializer(PlainRepresentationMixin, serializers.Serializer):
    call_sid = serializers.CharField()
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField()
    lead = LeadSummarySerializer()
    attempt_number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CallStatus.choices)
    outcome = serializers.ChoiceField(
        choices=CallOutcome.choices, allow_blank=True, help_text="Empty until the call ends."
    )
    ended_by = serializers.CharField()
    initiated_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    current_stage = serializers.CharField()
    recording_url = serializers.CharField()
    error = serializers.CharField()
    errors = CallErrorSerializer(
        many=True, help_text="AI and telephony errors reported during the call (call.error)."
    )
    cost_inr = rupees_field("What the call cost, in rupees (docs/metrics.md, Cost).")
    exchanges = serializers.IntegerField(help_text="Number of conversation turns.")
    stages_reached = serializers.ListField(
        child=serializers.CharField(), help_text="Distinct stages in order of first reach."
    )
    objections = ObjectionItemSerializer(many=True)
    qualification = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Collected data: purpose, timeline, interest_level, budget, ...",
    )
    latency = ConversationLatencySerializer()
    transcript = TurnSerializer(many=True)


class ComponentsSerializer(serializers.Serializer):
    database = serializers.CharField()
    redis = serializers.CharField()
    worker = serializers.CharField()
    scheduler = serializers.CharField()
    exotel = serializers.CharField()
    deepgram = serializers.CharField()
    openai = serializers.CharField()
    elevenlabs = serializers.CharField()


class SystemMetricsSerializer(PlainRepresentationMixin, serializers.Serializer):
    total_campaigns = serializers.IntegerField()
    active_campaigns = serializers.IntegerField(help_text="Campaigns running now.")
    total_leads = serializers.IntegerField()
    calls_today = serializers.IntegerField(help_text="Calls made (finished) today.")
    calls_in_progress = serializers.IntegerField()
    calls_queued = serializers.IntegerField()
    answer_rate = serializers.FloatField(help_text="Over the last `rates_days` days.")
    qualification_rate = serializers.FloatField(help_text="Over the last `rates_days` days.")
    rates_days = serializers.IntegerField()
    period = PeriodSerializer(
        help_text="The days of answer_rate and qualification_rate (the last `rates_days`); "
        "calls_today is today, live counts are now."
    )
    calls_made = serializers.IntegerField(help_text="Finished calls over `period`.")
    calls_answered = serializers.IntegerField(
        help_text="Answered calls over `period` (qualification_rate's denominator)."
    )
    previous = OptionalNested.previous(SystemPreviousSerializer, PREVIOUS_HELP)
    change = OptionalNested.change(SystemChangeSerializer, CHANGE_HELP)
    components = ComponentsSerializer(
        help_text="Latest cached status of each component (healthy, unhealthy, "
        "not_configured, or unknown when not checked recently)."
    )


class NextActionSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ScheduledCallReason.choices)
    scheduled_for = serializers.DateTimeField()


class CallInProgressSerializer(serializers.Serializer):
    call_sid = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)


class LeadActivitySerializer(serializers.Serializer):
    lead_id = serializers.IntegerField()
    name = serializers.CharField()
    phone = MaskedPhoneField()
    phone_display = PhoneDisplayField(source="phone")
    city = serializers.CharField()
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField()
    status = serializers.ChoiceField(choices=LeadStatus.choices)
    is_dnc = serializers.BooleanField()
    call_attempts = serializers.IntegerField()
    last_call_at = serializers.DateTimeField(
        allow_null=True, help_text="Start of the last finished call (null: none finished yet)."
    )
    last_outcome = serializers.CharField(help_text="Outcome of that same call.")
    call_in_progress = CallInProgressSerializer(
        allow_null=True, help_text="A call of this lead in progress now, or null."
    )
    next_action = NextActionSerializer(
        allow_null=True, help_text="The earliest pending scheduled call, or null."
    )
    score = serializers.IntegerField(help_text="Lead score 0–100 (docs/metrics.md).")
    score_reasons = serializers.CharField(help_text="Its top three contributions, in words.")

    class Meta:
        list_serializer_class = FlatRowsSerializer


class FunnelStepSerializer(serializers.Serializer):
    step = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Distinct leads.")
    step_rate = serializers.FloatField(help_text="count / previous step's count × 100.")
    overall_rate = serializers.FloatField(help_text="count / valid leads × 100.")

    class Meta:
        list_serializer_class = FlatRowsSerializer


class FunnelSerializer(PlainRepresentationMixin, KeywordFieldsMixin, serializers.Serializer):
    campaign_id = serializers.IntegerField()
    from_ = period_start_field()
    to = period_end_field()
    period = period_field()
    steps = FunnelStepSerializer(many=True)


class HourFieldsSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="ISO weekday: 1 Monday … 7 Sunday.")
    weekday_name = serializers.CharField()
    hour = serializers.IntegerField(help_text="Hour of day, 0–23, configured time zone.")


class HourSlotSerializer(HourFieldsSerializer, CallCountsSerializer):
    class Meta:
        list_serializer_class = FlatRowsSerializer


class BestHoursSerializer(PlainRepresentationMixin, KeywordFieldsMixin, serializers.Serializer):
    campaign_id = serializers.IntegerField()
    from_ = period_start_field()
    to = period_end_field()
    period = period_field()
    timezone = serializers.CharField()
    min_calls = serializers.IntegerField()
    best = HourSlotSerializer(
        many=True,
        help_text="Up to 3 slots with at least min_calls calls, by answer rate, then "
        "qualification rate, then calls made.",
    )
    slots = HourSlotSerializer(many=True, help_text="All 168 slots, Monday 00h first.")


class ObjectionCategoryStatSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=ObjectionCategory.choices)
    label = serializers.CharField()
    objections = serializers.IntegerField()
    calls = serializers.IntegerField(help_text="Finished calls that raised it.")
    calls_qualified = serializers.IntegerField()
    qualified_share = serializers.FloatField(help_text="calls_qualified / calls × 100.")
    share_of_calls = serializers.FloatField(
        help_text="calls / calls_with_objections × 100: how common the category is."
    )


class ObjectionBreakdownSerializer(
    PlainRepresentationMixin, KeywordFieldsMixin, serializers.Serializer
):
    campaign_id = serializers.IntegerField()
    from_ = period_start_field()
    to = period_end_field()
    period = period_field()
    total_objections = serializers.IntegerField()
    calls_with_objections = serializers.IntegerField()
    calls_with_objections_qualified = serializers.IntegerField()
    qualified_share = serializers.FloatField()
    categories = ObjectionCategoryStatSerializer(many=True)


# --- /dashboard/* --------------------------------------------------------------------------------


class CampaignFieldsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=CampaignStatus.choices)


class RecentCampaignSerializer(CampaignFieldsSerializer, CallCountsSerializer):
    period = period_field()


class DashboardOverviewSerializer(PlainRepresentationMixin, serializers.Serializer):
    period = PeriodSerializer(help_text="The days of recent_campaigns and daily_stats.")
    system = SystemMetricsSerializer()
    recent_campaigns = RecentCampaignSerializer(many=True)
    daily_stats = DailyStatSerializer(many=True)
    timezone = serializers.CharField()
    generated_at = serializers.DateTimeField()
    totals = OptionalNested.previous(
        TotalsSerializer, "With compare=previous: totals of daily_stats (rates of the sums)."
    )
    previous = OptionalNested.previous(TotalsPreviousSerializer, PREVIOUS_HELP)
    change = OptionalNested.change(TotalsChangeSerializer, CHANGE_HELP + " Of the totals.")


class ActiveCallSerializer(serializers.Serializer):
    """The shape of a live update's `call` object as well (analytics.live.call_payload)."""

    call_sid = serializers.CharField()
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField()
    lead_id = serializers.IntegerField()
    lead_name = serializers.CharField()
    stage = serializers.CharField(allow_null=True, help_text="Current stage; null before one.")
    status = serializers.ChoiceField(choices=CallStatus.choices)
    outcome = serializers.ChoiceField(
        choices=CallOutcome.choices, allow_null=True, help_text="Null until the call ends."
    )
    duration_seconds = serializers.IntegerField(help_text="Seconds since started_at.")
    started_at = serializers.DateTimeField(
        allow_null=True, help_text="When the lead answered, else when the call was initiated."
    )


class CampaignLiveCountsSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    calls_in_progress = serializers.IntegerField()
    calls_queued = serializers.IntegerField()


class RealtimeSerializer(PlainRepresentationMixin, serializers.Serializer):
    calls_in_progress = serializers.IntegerField()
    calls_queued = serializers.IntegerField()
    campaigns = CampaignLiveCountsSerializer(
        many=True,
        help_text="The same counts per campaign, for the campaigns with a call in progress or "
        "queued (a campaign not listed has zeros); the live socket's `counters` messages carry "
        "one campaign's counts, to be applied on top of these.",
    )
    active_calls = ActiveCallSerializer(many=True)
    timestamp = serializers.DateTimeField()


class CampaignSummarySerializer(serializers.Serializer):
    period = PeriodSerializer(help_text="The days of the metrics' call counts and daily_stats.")
    metrics = CampaignMetricsSerializer()
    daily_stats = DailyStatSerializer(many=True)
    recent_activity = LeadActivitySerializer(many=True)


# --- calls needing attention and transcript search -----------------------------------------------


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=100_000, help_text="1 first."
    )
    page_size = serializers.IntegerField(
        required=False, default=50, min_value=1, max_value=200, help_text="1–200, default 50."
    )


class AttentionQuerySerializer(
    CampaignFilterQuerySerializer, PageQuerySerializer, PeriodQuerySerializer
):
    reason = serializers.ChoiceField(
        choices=REASONS,
        required=False,
        help_text="Only calls with this reason; any reason when absent.",
    )


class TranscriptSearchQuerySerializer(
    CampaignFilterQuerySerializer, PageQuerySerializer, PeriodQuerySerializer
):
    q = serializers.CharField(
        max_length=200, help_text="Words to find, all of them, whole (English, Hinglish, हिंदी)."
    )
    page_size = serializers.IntegerField(
        required=False, default=20, min_value=1, max_value=100, help_text="1–100, default 20."
    )

    def validate_q(self, value):
        if not query_words(value):
            raise serializers.ValidationError("Give at least one word to search for.")
        return value


class PeriodDocumentSerializer(KeywordFieldsMixin, serializers.Serializer):
    from_ = period_start_field()
    to = period_end_field()
    label = serializers.CharField(help_text="The period in words, e.g. “1 Mar 2025 – 14 Mar 2025”.")


class AttentionCallSerializer(serializers.Serializer):
    call_sid = serializers.CharField()
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField()
    lead_name = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True, help_text="initiated_at of the call.")
    status = serializers.ChoiceField(choices=CallStatus.choices)
    outcome = serializers.CharField()
    duration_seconds = serializers.IntegerField(allow_null=True)
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=REASONS),
        help_text="Why the call needs attention (docs/metrics.md).",
    )
    worst_turn_ms = serializers.IntegerField(
        allow_null=True, help_text="The slowest turn's stt+llm+tts, ms; null without latencies."
    )


class AttentionSerializer(serializers.Serializer):
    period = PeriodDocumentSerializer()
    count = serializers.IntegerField(help_text="Calls needing attention, all pages.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    calls = AttentionCallSerializer(many=True, help_text="Newest first.")


class TranscriptHitSerializer(serializers.Serializer):
    call_sid = serializers.CharField()
    lead_name = serializers.CharField()
    campaign_id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField(help_text="When the turn was spoken.")
    sequence = serializers.IntegerField(help_text="The turn's number in its call.")
    speaker = serializers.ChoiceField(choices=Speaker.choices)
    snippet = serializers.CharField(
        help_text="HTML: the text around the match, escaped, matched words in <mark>."
    )


class TranscriptSearchSerializer(serializers.Serializer):
    period = PeriodDocumentSerializer()
    count = serializers.IntegerField(
        help_text="Matching turns ranked, all pages: at most 1,000, the most recently recorded."
    )
    more = serializers.BooleanField(
        help_text="Older turns match too: narrow the words or the period to reach them."
    )
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = TranscriptHitSerializer(many=True, help_text="Best match first, then newest.")


# --- script variants and lead score calibration --------------------------------------------------


class VariantSerializer(serializers.Serializer):
    variant = serializers.CharField(help_text="call.initiated's script_variant.")
    calls_made = serializers.IntegerField()
    calls_answered = serializers.IntegerField()
    calls_qualified = serializers.IntegerField()
    answer_rate = serializers.FloatField()
    qualification_rate = serializers.FloatField(help_text="calls_qualified / calls_answered × 100.")
    ci_low = serializers.FloatField(help_text="95% Wilson interval of qualification_rate, low end.")
    ci_high = serializers.FloatField(help_text="95% Wilson interval, high end (percent).")
    p_value = serializers.FloatField(
        allow_null=True,
        help_text="Two-sided pooled two-proportion z-test against the baseline (4 decimals); "
        "null for the baseline.",
    )
    significant = serializers.BooleanField(
        help_text="p < 0.05 and both this variant and the baseline have min_answered answered calls."
    )


class VariantsSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    period = period_field()
    metric = serializers.CharField(help_text="Always qualification_rate (per answered call).")
    baseline = serializers.CharField(
        allow_null=True, help_text="The variant with the most answered calls; null without calls."
    )
    variants = VariantSerializer(many=True, help_text="Baseline first, then by answered calls.")
    winner = serializers.CharField(
        allow_null=True,
        help_text="The significant variant with the best qualification rate above the "
        "baseline's, else null.",
    )
    min_answered = serializers.IntegerField()


class ScoreDecileSerializer(serializers.Serializer):
    decile = serializers.IntegerField(help_text="1 (scores 0–9) … 10 (scores 90–100).")
    score_from = serializers.IntegerField()
    score_to = serializers.IntegerField()
    leads = serializers.IntegerField()
    qualified = serializers.IntegerField(help_text="Leads with a qualified call.")
    site_visits_booked = serializers.IntegerField(
        allow_null=True,
        help_text="Leads whose call reported site_visit_booked true; null when no call of the "
        "campaign reports it.",
    )
    qualified_rate = serializers.FloatField(help_text="qualified / leads × 100.")


class ScoreCalibrationSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    deciles = ScoreDecileSerializer(many=True, help_text="Lowest scores first.")

"""What calls cost in rupees: one formula (docs/metrics.md, "Cost"), prices from settings.

A call costs
    telephony: PRICE_TELEPHONY_PER_MINUTE × started minutes of duration (61 s bills 2 minutes)
  + speech-to-text: PRICE_STT_PER_MINUTE × duration in seconds / 60
  + LLM: PRICE_LLM_INPUT_PER_1K × input tokens / 1000 + PRICE_LLM_OUTPUT_PER_1K × output tokens / 1000
  + text-to-speech: PRICE_TTS_PER_1K_CHARS × characters spoken / 1000
with tokens and characters summed over its turns (what call.turn reported; nothing when absent).
The formula is linear, so a campaign's cost is the same formula over its calls' sums; amounts
are rounded to 2 decimals (half up) only at the end.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Round

from voiceagent.models import ConversationTurn

USAGE_FIELDS = ("llm_input_tokens", "llm_output_tokens", "tts_characters")
CENT = Decimal("0.01")
SECONDS_PER_MINUTE = 60


def prices():
    return {
        "telephony_per_minute": settings.PRICE_TELEPHONY_PER_MINUTE,
        "stt_per_minute": settings.PRICE_STT_PER_MINUTE,
        "llm_input_per_1k": settings.PRICE_LLM_INPUT_PER_1K,
        "llm_output_per_1k": settings.PRICE_LLM_OUTPUT_PER_1K,
        "tts_per_1k_chars": settings.PRICE_TTS_PER_1K_CHARS,
    }


def billed_minutes(duration_seconds):
    """Started minutes of a call: 0 s → 0, 1–60 s → 1, 61 s → 2. The same rule in SQL:
    billed_minutes_sql() (raw SQL) and billed_minutes_expression() (the ORM)."""
    return -(-(duration_seconds or 0) // SECONDS_PER_MINUTE)


def billed_minutes_sql(duration_seconds):
    """billed_minutes() in PostgreSQL of the SQL expression `duration_seconds` (never negative:
    a constraint), for the set-based rollup rebuild."""
    return f"((coalesce({duration_seconds}, 0) + {SECONDS_PER_MINUTE - 1}) / {SECONDS_PER_MINUTE})"


def rupees(value):
    """An amount rounded to paise (2 decimals, half up); None stays None."""
    if value is None:
        return None
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def cost(*, billed_minutes, duration_seconds, llm_input_tokens, llm_output_tokens, tts_characters):
    """The unrounded cost of one call, or of many calls given their sums."""
    price = prices()
    return (
        price["telephony_per_minute"] * (billed_minutes or 0)
        + price["stt_per_minute"] * (duration_seconds or 0) / SECONDS_PER_MINUTE
        + price["llm_input_per_1k"] * (llm_input_tokens or 0) / 1000
        + price["llm_output_per_1k"] * (llm_output_tokens or 0) / 1000
        + price["tts_per_1k_chars"] * (tts_characters or 0) / 1000
    )


def call_cost_inr(*, duration_seconds, turns):
    """One call's cost_inr from its duration and its turns (dicts with the usage fields)."""
    usage = {field: sum(turn.get(field) or 0 for turn in turns) for field in USAGE_FIELDS}
    return rupees(
        cost(
            billed_minutes=billed_minutes(duration_seconds),
            duration_seconds=duration_seconds,
            **usage,
        )
    )


def billed_minutes_expression():
    """Started minutes of the row's call, in SQL (integer division rounds down on both vendors)."""
    return ExpressionWrapper(
        (Coalesce(F("duration_seconds"), 0) + (SECONDS_PER_MINUTE - 1)) / SECONDS_PER_MINUTE,
        output_field=IntegerField(),
    )


def cost_metrics(*, usage, billed_minutes, total_call_time, calls_answered, leads_qualified):
    """cost_inr, cost_per_answered_call_inr and cost_per_qualified_lead_inr of finished calls
    given their sums (`usage`: USAGE_FIELDS summed over their turns); null per answered call /
    qualified lead when there is none."""
    total = cost(billed_minutes=billed_minutes, duration_seconds=total_call_time, **usage)
    return {
        "cost_inr": rupees(total),
        "cost_per_answered_call_inr": rupees(total / calls_answered) if calls_answered else None,
        "cost_per_qualified_lead_inr": rupees(total / leads_qualified) if leads_qualified else None,
    }


def _money(value):
    return Value(value, output_field=DecimalField(max_digits=20, decimal_places=6))


def call_cost_expression():
    """cost_inr of the row's call (a CallSession queryset) in SQL, rounded to 2 decimals: for
    exports, which stream rows straight from the database."""
    price = prices()
    usage = {
        field: Coalesce(
            Subquery(
                ConversationTurn.objects.filter(call=OuterRef("pk"))
                .order_by()
                .values("call")
                .annotate(total=Sum(field))
                .values("total")[:1]
            ),
            0,
        )
        for field in USAGE_FIELDS
    }
    duration = Coalesce(F("duration_seconds"), 0)
    total = (
        _money(price["telephony_per_minute"]) * billed_minutes_expression()
        + _money(price["stt_per_minute"]) * duration / _money(Decimal(SECONDS_PER_MINUTE))
        + _money(price["llm_input_per_1k"]) * usage["llm_input_tokens"] / _money(Decimal(1000))
        + _money(price["llm_output_per_1k"]) * usage["llm_output_tokens"] / _money(Decimal(1000))
        + _money(price["tts_per_1k_chars"]) * usage["tts_characters"] / _money(Decimal(1000))
    )
    return Round(
        ExpressionWrapper(total, output_field=DecimalField(max_digits=20, decimal_places=6)), 2
    )

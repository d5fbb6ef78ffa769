"""How each kind of value reads, set once for the pages, the admin, the exports and the PDF report.

- counts: Indian digit grouping, the first comma after the thousands and then every two digits
  (12,34,56,789), which is how managers read lakhs and crores;
- rates (0–100): always two decimals, `29.70%`; pages show "—" where nothing was counted yet;
- p-values of script variants: the API's four decimals, `0.0039`, `< 0.0001` below them;
- money: rupees with Indian grouping (`₹1,23,456.78`); budgets and prices spoken in lakh and
  crore (`₹3.5 Cr`, `₹85 L`, `₹45,000`);
- durations: `45 s`, `2 min 05 s`, `1 h 02 min`; a ticking clock `m:ss`; AI latencies in
  whole milliseconds, `1,234 ms`;
- stored choice codes as words: `not_interested` → `Not interested` (exports put this label in
  a column beside the code; the API keeps the code);
- date-times: in settings.TIME_ZONE; in XLSX a real spreadsheet date-time (`XLSX_DATETIME`),
  in the admin the en-IN formats (`LANGUAGE_CODE`, settings.py);
- phones: `+91 98123 45678` (masked `+91 98XXX XX678`), `voiceagent.personal_data.phones`.

JavaScript (static/voiceagent/live.js) renders counts, rates, money and durations with the same
rules (`Intl.NumberFormat("en-IN")`), so a live update never changes how a number looks.
`choice_label_sql` and `budget_sql` are the label and budget rules in SQL, for PostgreSQL's COPY
path of the CSV exports; tests/voiceagent/test_formats.py holds both sides to the same output.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from voiceagent.personal_data.phones import display_phone

__all__ = [
    "budget",
    "budget_sql",
    "choice_label",
    "choice_label_sql",
    "clock",
    "display_phone",
    "duration",
    "group_indian",
    "indian_number",
    "inr",
    "milliseconds",
    "p_value",
    "percent",
    "rate",
    "rupees",
]

NONE = "—"
# What a screen reader says for the "—" of a rate over nothing (pages and live.js alike).
NO_RATE_WORDS = "no rate yet"
LAKH = 100_000
CRORE = 10_000_000
# Django's en-IN formats (voiceagent/locale_formats/en_IN, LANGUAGE_CODE "en-in"): the admin
# reads 25 Oct 2026, 10:00 and lists 25/10/2026; the pages write the same patterns by hand.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M"]
NUMBER_GROUPING = (3, 2, 0)  # 12,34,56,789
# Excel's number formats of the XLSX exports' date and date-time cells (Indian day-month order).
XLSX_DATETIME = "dd-mm-yyyy hh:mm:ss"
XLSX_DATE = "dd-mm-yyyy"


def _decimal(value):
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def group_indian(digits):
    """'123456789' → '12,34,56,789': the last three digits, then groups of two."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail])


def indian_number(value, decimals=0):
    """A number with Indian digit grouping, rounded half up to `decimals` places; '—' for none."""
    number = _decimal(value)
    if number is None:
        return NONE
    quantum = Decimal(1).scaleb(-decimals)
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    text = sign + group_indian(whole)
    return f"{text}.{fraction}" if decimals else text


def inr(value):
    """Rupees in full with Indian grouping: 8500000 → ₹85,00,000."""
    text = indian_number(value)
    return text if text == NONE else f"₹{text}"


def rupees(value):
    """A cost with paise: 1234.5 → ₹1,234.50."""
    text = indian_number(value, 2)
    return text if text == NONE else f"₹{text}"


def budget(value):
    """Rupees the way property prices are spoken: ₹1.25 Cr, ₹85 L, ₹45,000."""
    number = _decimal(value)
    if number is None:
        return NONE
    for unit, name in ((CRORE, "Cr"), (LAKH, "L")):
        if abs(number) >= unit:
            scaled = indian_number(number / unit, 2).rstrip("0").rstrip(".")
            return f"₹{scaled} {name}"
    return f"₹{indian_number(number)}"


def percent(value):
    """A 0–100 rate with two decimals: 50 → 50.00%, 29.7 → 29.70%, 33.333 → 33.33%."""
    text = indian_number(value, 2)
    return text if text == NONE else f"{text}%"


def rate(value, denominator):
    """`percent(value)`, or '—' while its denominator is 0 (a draft campaign has no 0% yet)."""
    return percent(value) if denominator else NONE


# A variant's p-value is published (analytics.experiments) and shown with these decimals.
P_VALUE_PLACES = 4


def p_value(value):
    """A p-value as the API publishes it, always with its 4 decimals: 0.0039, 0.0500, 1.0000;
    one that rounds to 0 reads '< 0.0001' (a p-value is never 0); '—' for none."""
    number = _decimal(value)
    if number is None:
        return NONE
    smallest = Decimal(1).scaleb(-P_VALUE_PLACES)
    number = number.quantize(smallest, rounding=ROUND_HALF_UP)
    return f"< {smallest}" if number < smallest else f"{number}"


def duration(value):
    """Seconds as a manager reads them: 45 s, 2 min 05 s, 1 h 02 min."""
    number = _decimal(value)
    if number is None:
        return NONE
    seconds = int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def milliseconds(value):
    """An AI latency in whole milliseconds: 412.57 → 413 ms, 1234 → 1,234 ms; '—' for none."""
    text = indian_number(value)
    return text if text == NONE else f"{text} ms"


def clock(value):
    """Seconds as a ticking clock, m:ss or h:mm:ss (the live tables tick this in JavaScript)."""
    number = _decimal(value)
    if number is None:
        return NONE
    seconds = max(0, int(number))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


# Codes whose words are not the code itself, as the models' choices name them (the admin's
# words): a test holds every lead status and error component to choice_label.
WORDED_CODES = {
    "dnc": "Do not call",
    "callback": "Callback requested",
    "llm": "LLM",
    "stt": "Speech-to-text",
    "tts": "Text-to-speech",
}


def choice_label(value):
    """A stored choice code as words: objection_handling → Objection handling, dnc → Do not
    call; '' for none."""
    if not value:
        return ""
    if value in WORDED_CODES:
        return WORDED_CODES[value]
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def choice_label_sql(column):
    """`choice_label` of a text column in SQL (PostgreSQL and SQLite); NULL for an empty code."""
    worded = " ".join(f"WHEN '{code}' THEN '{words}'" for code, words in WORDED_CODES.items())
    return (
        f"CASE {column} {worded} ELSE "
        f"NULLIF(UPPER(SUBSTR({column}, 1, 1)) || REPLACE(SUBSTR({column}, 2), '_', ' '), '') END"
    )


def budget_sql(column):
    """`budget` of an integer column in PostgreSQL's SQL (the exports' COPY path); NULL for none.

    Below a lakh an amount is at most 99,999, so one thousands comma is all the grouping it needs;
    in crore it may need more (₹12,34,567.5 Cr), grouped as `group_indian` does.
    """
    b = f"({column})"

    def scaled(unit, name):
        # Rounded to 2 places, trailing zeros dropped, the whole part in Indian grouping (₹1,234 Cr
        # and up), as `budget` writes it.
        text = f"ROUND(ABS({b})::numeric / {unit}, 2)::text"
        whole, decimals = f"SPLIT_PART({text}, '.', 1)", f"RTRIM(SPLIT_PART({text}, '.', 2), '0')"
        grouped = (
            f"CASE WHEN LENGTH({whole}) <= 3 THEN {whole} ELSE REVERSE(REGEXP_REPLACE("
            rf"REVERSE(LEFT({whole}, -3)), '(\d\d)(?=\d)', '\1,', 'g')) || ',' || "
            f"RIGHT({whole}, 3) END"
        )
        return (
            f"'₹' || CASE WHEN {b} < 0 THEN '-' ELSE '' END || {grouped} || "
            f"CASE WHEN {decimals} = '' THEN '' ELSE '.' || {decimals} END || ' {name}'"
        )

    small = (
        f"CASE WHEN ABS({b}) >= 1000 THEN '₹' || ({b} / 1000)::bigint::text || ',' || "
        f"LPAD(MOD(ABS({b}), 1000)::bigint::text, 3, '0') ELSE '₹' || {b}::bigint::text END"
    )
    return (
        f"(CASE WHEN {b} IS NULL THEN NULL WHEN ABS({b}) >= {CRORE} THEN {scaled(CRORE, 'Cr')} "
        f"WHEN ABS({b}) >= {LAKH} THEN {scaled(LAKH, 'L')} ELSE {small} END)"
    )

"""The exact rows the crafted data (conftest.crafted) exports to, per kind, as cells."""

from datetime import datetime


class At(str):
    """A date-time cell: ISO 8601 with the offset in the CSV, a spreadsheet date-time in XLSX."""

    @property
    def xlsx(self):
        return datetime.fromisoformat(self).replace(tzinfo=None)


class Day(str):
    """A date cell: ISO in the CSV, a spreadsheet date (read back as midnight) in XLSX."""

    @property
    def xlsx(self):
        return datetime.fromisoformat(self)


def xlsx_values(rows):
    """The rows as openpyxl reads them back from the XLSX."""
    return [[getattr(value, "xlsx", value) for value in row] for row in rows]


class Rupees(float):
    """A cost cell: a number in the workbook, 2 decimals in the CSV."""

    def __str__(self):
        return f"{self:.2f}"


RESULTS_HEADER = [
    "Call SID", "Call date", "Initiated at", "Lead", "Phone", "Email", "City", "Status",
    "Status code", "Outcome", "Outcome code", "Ended by", "Ended by code", "Attempt", "Lead call attempts", "Duration (s)", "Purpose",
    "Timeline", "Interest level", "Budget", "Stages reached", "Objections", "Recording URL",
    "Cost (₹)", "Script variant",
]  # fmt: skip
RESULTS_ROWS = [
    [
        "CA-ANITA-1", Day("2025-01-15"), At("2025-01-15T09:30:00+05:30"), "अनिता शर्मा", "+91 98XXX XX678",
        "anita@example.com", "Mumbai", "Completed", "completed", "Qualified", "qualified", "Lead",
        "lead", 1, 1, 125, "buy",
        "3 months", "high", "80 lakh", "greeting > discovery > qualification",
        "price: Too costly; timing", "https://recordings.example/CA-ANITA-1.mp3",
        # Default prices: 3 started minutes × ₹0.60 + 125 s of STT × ₹0.50 / 60 s = ₹2.84.
        Rupees(2.84), "default",
    ],
    [
        "CA-PAYLOAD-1", Day("2025-01-16"), At("2025-01-16T01:30:00+05:30"),
        "'=HYPERLINK(\"http://evil.example\",\"x\")", "+91 98XXX XX002", None, "'-Pune",
        "No answer", "no_answer", "No answer", "no_answer", None, None, 2, 2, 0, None, None, None, None, None, None, None,
        Rupees(0), "warm-open",
    ],
]  # fmt: skip

TRANSCRIPTS_HEADER = [
    "Call SID", "Call date", "Call initiated at", "Duration (s)", "Outcome", "Outcome code",
    "Lead", "Phone", "Turn", "Speaker", "Speaker code", "Stage", "Stage code", "Spoken at", "Text",
]  # fmt: skip
_CALL = ["CA-ANITA-1", Day("2025-01-15"), At("2025-01-15T09:30:00+05:30"), 125, "Qualified", "qualified",
         "अनिता शर्मा",
         "+91 98XXX XX678"]  # fmt: skip
TRANSCRIPTS_ROWS = [
    [*_CALL, 1, "Agent", "agent", "Greeting", "greeting", At("2025-01-15T09:30:06+05:30"), "नमस्ते, calling about Powai flats."],
    [*_CALL, 2, "Lead", "lead", "Discovery", "discovery", At("2025-01-15T09:30:07+05:30"), "'+1 for the 2BHK"],
    [*_CALL, 3, "Agent", "agent", "Qualification", "qualification", At("2025-01-15T09:30:08+05:30"), "'=SUM(A1:A3)"],
]  # fmt: skip

# Lead scores (voiceagent.campaigns.scoring, default weights): Anita's call collected high
# interest (+30), 3 months (+12) and buy (+10), was answered (+5) for 125 s (+5) and raised two
# objections (-8); the others never answered. Empty reasons are empty cells.
SCORES = {"anita": 54, "payload": 0, "silent": 0}
REASONS = {
    "anita": "high interest (+30); buying within 3 months (+12); wants to buy (+10)",
    "payload": None,
    "silent": None,
}

LEADS_HEADER = [
    "Lead ID", "Name", "Phone", "Email", "City", "Property type", "Property type code",
    "Budget", "Budget (₹)", "Preferred locations", "Status", "Status code", "DNC", "DNC reason",
    "Call attempts", "Last call at", "Last outcome", "Last outcome code", "Score",
    "Score reasons", "Added at",
]  # fmt: skip


def leads_rows(crafted):
    return [
        [
            crafted.anita.pk, "अनिता शर्मा", "+91 98XXX XX678", "anita@example.com", "Mumbai",
            "Apartment", "apartment", "₹85 L", 8500000, "Powai, Andheri", "Qualified", "qualified",
            "no", None, 1,
            At("2025-01-15T09:32:10+05:30"), "Qualified", "qualified", SCORES["anita"],
            REASONS["anita"], At("2025-01-10T11:30:00+05:30"),
        ],
        [
            crafted.payload.pk, "'=HYPERLINK(\"http://evil.example\",\"x\")", "+91 98XXX XX002",
            None, "'-Pune", None, None, None, None, None, "New", "new", "yes", "'@asked not to call", 2,
            At("2025-01-16T01:30:00+05:30"), "No answer", "no_answer", SCORES["payload"],
            REASONS["payload"], At("2025-01-10T11:35:00+05:30"),
        ],
        [
            crafted.silent.pk, "सुनील पाटील", None, None, "पुणे", None, None, None, None, None, "New", "new",
            "no", None, 0, None, None, None, SCORES["silent"], REASONS["silent"],
            At("2025-01-12T00:10:07+05:30"),
        ],
    ]  # fmt: skip


def expected(kind, crafted):
    if kind == "results":
        return RESULTS_HEADER, RESULTS_ROWS
    if kind == "transcripts":
        return TRANSCRIPTS_HEADER, TRANSCRIPTS_ROWS
    return LEADS_HEADER, leads_rows(crafted)


def csv_text(header, rows):
    """The CSV the rows make: BOM, quoted only where needed, `\\n` line ends."""

    def cell(value):
        if value is None:
            return ""
        text = str(value)
        if any(char in text for char in ',"\n\r'):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [",".join(cell(value) for value in line) for line in [header, *rows]]
    return "\ufeff" + "\n".join(lines) + "\n"

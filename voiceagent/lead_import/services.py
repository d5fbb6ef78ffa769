"""Lead import: a CSV or XLSX file into a campaign's leads, merged by phone and DNC-flagged.

How, in one transaction (a file refused halfway leaves nothing behind):
1. rows are read one at a time (`lead_import.files`), columns found by tolerant header names, values
   cleaned (`cleaning`); an invalid row becomes `{row, field, message}` errors and is left out;
   valid rows stream into a temporary staging table (COPY on PostgreSQL), so memory stays flat
   whatever the file's length;
2. one statement merges rows sharing a phone into one (a later non-empty value wins; blanks
   never erase);
3. the campaign is locked, then its leads (in id order: voiceagent/campaigns/locks.py); one
   UPDATE refreshes the existing leads whose values differ, one INSERT creates the others; both
   flag numbers on the do-not-call list. Unchanged leads are not written, so importing the same
   file twice changes nothing.
Counts: rows = created + updated + skipped (unchanged) + duplicates (merged into an earlier row)
+ invalid_rows.
"""

import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from voiceagent.campaigns import cleaning, lifecycle, scoring
from voiceagent.campaigns.locks import lock_leads
from voiceagent.campaigns.services import RuleViolation, check_accepts_leads
from voiceagent.lead_import.files import FileRejected, check_upload, open_source
from voiceagent.models import Campaign, DoNotCall, Lead, LeadStatus
from voiceagent.personal_data.phones import phone_hash_sql

FIELD_LABELS = {
    "name": "Name",
    "phone": "Phone",
    "email": "Email",
    "city": "City",
    "property_type": "Property type",
    "budget": "Budget",
    "preferred_locations": "Preferred locations",
}


def normalise_header(text):
    return " ".join(re.sub(r"[\W_]+", " ", str(text or "").lower()).split())


_ALIASES = {
    "name": ("name", "full name", "fullname", "lead name", "customer name", "client name",
             "contact name", "lead", "customer", "client", "नाम"),
    "phone": ("phone", "phone number", "phone no", "phone num", "mobile", "mobile number",
              "mobile no", "mobile num", "mob", "mob no", "cell", "cell phone", "cellphone",
              "contact", "contact no", "contact number", "telephone", "tel", "whatsapp",
              "whatsapp number", "whatsapp no", "number", "msisdn", "primary phone",
              "मोबाइल", "फोन", "फ़ोन"),
    "email": ("email", "e mail", "email address", "email id", "e mail id", "mail", "mail id",
              "ईमेल"),
    "city": ("city", "town", "city name", "शहर"),
    "property_type": ("property type", "property", "type", "type of property", "unit type",
                      "home type", "property preference", "configuration"),
    "budget": ("budget", "max budget", "maximum budget", "budget range", "price", "बजट"),
    "preferred_locations": ("locations", "preferred locations", "preferred location",
                            "location", "location preference", "localities", "locality",
                            "areas", "area", "preferred areas", "preferred area"),
}  # fmt: skip
HEADER_FIELDS = {
    normalise_header(alias): name for name, aliases in _ALIASES.items() for alias in aliases
}
NAME_PARTS = {"first name": 0, "firstname": 0, "given name": 0, "last name": 1, "lastname": 1,
              "surname": 1}  # fmt: skip
REQUIRED_FIELDS = ("phone", "name")


@dataclass
class ColumnMap:
    """Which column of the file feeds which lead field."""

    index: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    name_parts: list = field(default_factory=list)
    budget_unit: int = 1
    ignored: list = field(default_factory=list)


def map_columns(cells):
    """The ColumnMap of a header row; FileRejected when no phone or name column is found."""
    columns = ColumnMap()
    for position, cell in enumerate(cells):
        header = normalise_header(cell)
        if not header:
            continue
        name = HEADER_FIELDS.get(header)
        if name is None and header.split()[0] == "budget":
            name = "budget"
        if name is not None and name not in columns.index:
            columns.index[name] = position
            columns.headers[name] = str(cell).strip()
            if name == "budget":
                units = [
                    cleaning.BUDGET_UNITS[w] for w in header.split() if w in cleaning.BUDGET_UNITS
                ]
                columns.budget_unit = units[0] if units else 1
        elif name is None and header in NAME_PARTS:
            columns.name_parts.append((NAME_PARTS[header], position))
        else:
            columns.ignored.append(str(cell).strip())
    if "name" in columns.index:
        # A full name column wins over first/last name columns, which are then unused.
        columns.ignored.extend(str(cells[p]).strip() for _, p in columns.name_parts)
        columns.name_parts = []
    elif columns.name_parts:
        columns.name_parts.sort()
        columns.headers["name"] = " + ".join(str(cells[p]).strip() for _, p in columns.name_parts)
    for name in REQUIRED_FIELDS:
        if name not in columns.index and not (name == "name" and columns.name_parts):
            accepted = ", ".join(a for a in _ALIASES[name][:8])
            found = ", ".join(str(c).strip() for c in cells if str(c or "").strip()) or "nothing"
            raise FileRejected(
                f"No {FIELD_LABELS[name].lower()} column: the header row has {found}; "
                f"name the column one of: {accepted}."
            )
    return columns


def _cell_value(value):
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return cleaning.format_cell_number(value)
    # openpyxl gives array formulas as objects carrying their text.
    return str(getattr(value, "text", value))


def _clean_name(cells, columns):
    if "name" in columns.index:
        return _cell_value(_cell(cells, columns.index["name"]))
    return " ".join(_cell_value(_cell(cells, position)) for _, position in columns.name_parts)


def _cell(cells, position):
    return cells[position] if position < len(cells) else None


def _required(text):
    if not text:
        raise ValueError("is empty.")
    return text


def _email(value):
    text = cleaning.clean_text(_cell_value(value), max_length=254)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(f"{text[:60]!r} is not an email address.") from None
    return text


def _phone(value):
    text = _cell_value(value).strip()
    # "+" and "-" can start a phone number; "=" and "@" only start a formula.
    if text[:1] in ("=", "@"):
        raise ValueError(f"{text[:30]!r} is a spreadsheet formula, not a phone number.")
    return cleaning.normalise_phone(value)


def clean_row(cells, columns):
    """(values, errors) of one data row: values when every field is valid, else errors."""
    getters = {
        "name": lambda: _required(cleaning.clean_text(_clean_name(cells, columns), max_length=200)),
        "phone": lambda: _phone(_cell(cells, columns.index["phone"])),
        "email": lambda: _email(_cell(cells, columns.index["email"])),
        "city": lambda: cleaning.clean_text(
            _cell_value(_cell(cells, columns.index["city"])), max_length=100
        ),
        "property_type": lambda: cleaning.parse_property_type(
            cleaning.clean_text(
                _cell_value(_cell(cells, columns.index["property_type"])), max_length=60
            )
        ),
        "budget": lambda: cleaning.parse_budget(
            _budget_cell(_cell(cells, columns.index["budget"])), unit=columns.budget_unit
        ),
        "preferred_locations": lambda: cleaning.clean_text(
            _cell_value(_cell(cells, columns.index["preferred_locations"])), max_length=500
        ),
    }
    values, errors = {}, []
    for name, getter in getters.items():
        if name not in columns.index and not (name == "name" and columns.name_parts):
            values[name] = None if name == "budget" else ""
            continue
        try:
            values[name] = getter()
        except ValueError as exc:
            errors.append((name, f"{FIELD_LABELS[name]} {exc}"))
    return values, errors


def _budget_cell(value):
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("=", "@"):
            raise ValueError(f"{text[:30]!r} is a spreadsheet formula, not an amount.")
        return text
    return value


def _is_blank(cells):
    return all(_cell_value(cell).strip() == "" for cell in cells)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    duplicates: int = 0
    dnc_flagged: int = 0
    invalid_rows: int = 0
    rows: int = 0
    errors: list = field(default_factory=list)
    errors_truncated: bool = False
    ignored_columns: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)

    def add_errors(self, row, errors):
        self.invalid_rows += 1
        for name, message in errors:
            if len(self.errors) >= settings.LEAD_IMPORT_MAX_ERRORS:
                self.errors_truncated = True
                return
            self.errors.append({"row": row, "field": name, "message": message})

    def as_dict(self):
        return asdict(self)


STAGED_COLUMNS = ("row_no", "phone", "name", "email", "city", "property_type", "budget",
                  "preferred_locations")  # fmt: skip
STAGE_TABLE = "lead_import_rows"
MERGED_TABLE = "lead_import_merged"
PROGRESS_EVERY_ROWS = 2000
PARSE_SHARE = 0.9  # of the progress bar; merging and writing take the rest


def import_leads(*, campaign, file, filename, progress: Callable[[float], None] | None = None):
    """Import a lead file into `campaign`; ImportResult, or FileRejected with nothing stored."""
    check_accepts_leads(campaign)
    kind = check_upload(file=file, filename=filename)
    report = progress or (lambda fraction: None)
    with transaction.atomic(), connection.cursor() as cursor:
        _create_staging_tables(cursor)
        source = open_source(file, kind)
        result = ImportResult()
        with _staging_writer(cursor) as write:
            _stage_rows(source, write, result, report)
        # Serialises imports into one campaign without blocking call ingestion (FOR NO KEY
        # UPDATE does not conflict with the key-share locks of inserts referencing the row).
        Campaign.objects.select_for_update(no_key=True).filter(pk=campaign.pk).first()
        # The merge and the rescoring update the campaign's leads in their plans' order: taken
        # first in id order, as ingestion takes them, they never deadlock with a batch.
        lock_leads(Lead.objects.filter(campaign=campaign))
        try:
            _merge_and_apply(cursor, campaign=campaign, result=result, report=report)
        except IntegrityError:
            raise RuleViolation(
                "Another change to this campaign's leads happened during the import; "
                "nothing was imported. Upload the file again."
            ) from None
        _drop_staging_tables(cursor)
        # Budgets may have changed: the campaign's leads are scored again (one statement).
        scoring.recompute_lead_scores(lead_ids=Lead.objects.filter(campaign=campaign).values("pk"))
    report(1.0)
    return result


def _stage_rows(source, write, result, report):
    columns = None
    for number, cells in source.rows():
        if _is_blank(cells):
            continue
        if columns is None:
            columns = map_columns(cells)
            result.ignored_columns = columns.ignored
            result.columns = columns.headers
            continue
        result.rows += 1
        values, errors = clean_row(cells, columns)
        if errors:
            result.add_errors(number, errors)
        else:
            write((number, *(values[name] for name in STAGED_COLUMNS[1:])))
        if result.rows % PROGRESS_EVERY_ROWS == 0:
            report(source.fraction_done() * PARSE_SHARE)
    if columns is None:
        raise FileRejected("The file is empty: it has no header row and no leads.")
    if result.rows == 0:
        raise FileRejected("The file has a header row but no lead rows.")


def _create_staging_tables(cursor):
    _drop_staging_tables(cursor)
    fields = (
        "phone varchar(16) NOT NULL, name varchar(200) NOT NULL, email varchar(254) NOT NULL, "
        "city varchar(100) NOT NULL, property_type varchar(32) NOT NULL, budget bigint NULL, "
        "preferred_locations varchar(500) NOT NULL"
    )
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_TABLE} (row_no integer NOT NULL, {fields})")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {MERGED_TABLE} "
        f"(first_row integer NOT NULL, {fields}, PRIMARY KEY (phone))"
    )


def _drop_staging_tables(cursor):
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
    cursor.execute(f"DROP TABLE IF EXISTS {MERGED_TABLE}")


@contextmanager
def _staging_writer(cursor):
    """A `write(row)` into the staging table: COPY on PostgreSQL, batched inserts elsewhere."""
    columns = ", ".join(STAGED_COLUMNS)
    if connection.vendor == "postgresql":
        with cursor.copy(f"COPY {STAGE_TABLE} ({columns}) FROM STDIN") as copy:
            yield copy.write_row
        return
    batch = []
    sql = (
        f"INSERT INTO {STAGE_TABLE} ({columns}) VALUES ({', '.join(['%s'] * len(STAGED_COLUMNS))})"
    )

    def write(row):
        batch.append(row)
        if len(batch) >= 1000:
            cursor.executemany(sql, batch)
            batch.clear()

    yield write
    if batch:
        cursor.executemany(sql, batch)


def _latest_non_empty(column, *, empty="= ''"):
    return (
        f"FIRST_VALUE({column}) OVER (PARTITION BY phone ORDER BY "
        f"CASE WHEN {column} {empty} THEN 1 ELSE 0 END, row_no DESC)"
    )


TEXT_FIELDS = ("name", "email", "city", "property_type", "preferred_locations")


def _merge_and_apply(cursor, *, campaign, result, report):
    q = connection.ops.quote_name
    lead_table, dnc_table = q(Lead._meta.db_table), q(DoNotCall._meta.db_table)
    # The DNC list is matched by hash: an erased number is kept by its hash alone.
    hashed, hash_params = phone_hash_sql("m.phone", connection.vendor)
    merged_values = ", ".join(
        [_latest_non_empty(name) + f" AS {name}" for name in TEXT_FIELDS]
        + [_latest_non_empty("budget", empty="IS NULL") + " AS budget"]
    )
    fields = ", ".join((*TEXT_FIELDS, "budget"))
    cursor.execute(
        f"INSERT INTO {MERGED_TABLE} (phone, first_row, {fields}) "
        f"SELECT phone, first_row, {fields} FROM ("
        f" SELECT phone, MIN(row_no) OVER (PARTITION BY phone) AS first_row,"
        f" ROW_NUMBER() OVER (PARTITION BY phone ORDER BY row_no) AS position, {merged_values}"
        f" FROM {STAGE_TABLE}) ranked WHERE position = 1"
    )
    distinct = cursor.rowcount
    result.duplicates = result.rows - result.invalid_rows - distinct
    report(PARSE_SHARE + 0.03)

    now = timezone.now()
    assignments = ", ".join(
        f"{name} = CASE WHEN m.{name} <> '' THEN m.{name} ELSE l.{name} END" for name in TEXT_FIELDS
    )
    differs = " OR ".join(
        [f"(m.{name} <> '' AND m.{name} <> l.{name})" for name in TEXT_FIELDS]
        + [
            "(m.budget IS NOT NULL AND (l.budget IS NULL OR m.budget <> l.budget))",
            "(d.phone IS NOT NULL AND NOT l.is_dnc)",
        ]
    )
    cursor.execute(
        f"UPDATE {lead_table} AS l SET {assignments}, "
        f"budget = COALESCE(m.budget, l.budget), "
        f"dnc_reason = CASE WHEN d.phone IS NOT NULL AND NOT l.is_dnc "
        f"THEN d.reason ELSE l.dnc_reason END, "
        f"is_dnc = (l.is_dnc OR d.phone IS NOT NULL), updated_at = %s "
        f"FROM {MERGED_TABLE} m LEFT JOIN {dnc_table} d ON d.phone_hash = {hashed} "
        f"WHERE l.campaign_id = %s AND l.phone = m.phone AND ({differs})",
        [now, *hash_params, campaign.pk],
    )
    result.updated = cursor.rowcount
    report(PARSE_SHARE + 0.06)

    cursor.execute(
        f"INSERT INTO {lead_table} (campaign_id, phone, {fields}, status, is_dnc, dnc_reason, "
        f"call_attempts, last_outcome, created_at, updated_at) "
        f"SELECT %s, m.phone, {', '.join('m.' + name for name in (*TEXT_FIELDS, 'budget'))}, "
        f"%s, (d.phone IS NOT NULL), COALESCE(d.reason, ''), 0, '', %s, %s "
        f"FROM {MERGED_TABLE} m LEFT JOIN {dnc_table} d ON d.phone_hash = {hashed} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {lead_table} l "
        f"WHERE l.campaign_id = %s AND l.phone = m.phone) ORDER BY m.first_row",
        [campaign.pk, LeadStatus.NEW, now, now, *hash_params, campaign.pk],
    )
    result.created = cursor.rowcount
    result.skipped = distinct - result.created - result.updated
    # Leads the import flagged DNC are closed: the lifecycle cancels their pending follow-ups.
    lifecycle.cancel_follow_ups(leads=Lead.objects.filter(campaign=campaign, is_dnc=True))
    cursor.execute(
        f"SELECT COUNT(*) FROM {MERGED_TABLE} m JOIN {dnc_table} d ON d.phone_hash = {hashed}",
        hash_params,
    )
    result.dnc_flagged = cursor.fetchone()[0]


def check_importable(*, campaign, file, filename):
    """Refuse early what the import would refuse: completed campaign, size, type, header."""
    check_accepts_leads(campaign)
    kind = check_upload(file=file, filename=filename)
    rows = open_source(file, kind).rows()
    try:
        header = next((cells for _, cells in rows if not _is_blank(cells)), None)
    finally:
        rows.close()
    if header is None:
        raise FileRejected("The file is empty: it has no header row and no leads.")
    map_columns(header)
    file.seek(0)
    return kind

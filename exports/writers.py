"""CSV and XLSX writers: rows in, bytes out; no database, no Django; safe to open in Excel.

Safety rules, applied to every text cell of both formats (OWASP "CSV injection"):
- a text starting with `=`, `+`, `-`, `@`, tab, CR or LF gets a leading `'`, so a spreadsheet
  shows it as text instead of running it as a formula (never a tab: that is itself a trigger);
- numbers stay numbers (a negative duration is not a formula);
- phone columns hold numbers as voiceagent.personal_data.phones shows them (`+91 98123 45678`,
  masked `+91 98XXX XX678`, other countries E.164). A `+` followed only by digits, spaces and
  the mask's X names no function and no other file, so such a value is written as is: as a
  text cell in XLSX (Excel keeps the `+91…` exactly) and unprefixed in CSV (imports into a CRM
  get the number intact). Anything else in a phone column is neutralised like any text.
Dates and date-times come in as `date` and aware `datetime` values (in settings.TIME_ZONE): CSV
writes them ISO 8601 with the offset, to the second; XLSX writes real spreadsheet dates (the
local wall time, which is what Excel shows, with voiceagent.formats' number formats), so a
manager can sort, filter and subtract them.
XLSX only: XML-illegal control characters (which corrupt the file) become U+FFFD, a text over
Excel's 32,767-character cell limit is cut with a visible marker saying so, and more than
1,048,575 data rows continue on a new sheet with the same header.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import xlsxwriter

from voiceagent.formats import XLSX_DATE, XLSX_DATETIME

BOM = "\ufeff"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
PHONE_CELL = re.compile(r"\+[1-9][0-9X ]{5,17}")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
REPLACEMENT = "\ufffd"
EXCEL_MAX_CELL_CHARS = 32_767  # counted in UTF-16 code units, as Excel counts them
EXCEL_MAX_DATA_ROWS = 1_048_575  # 1,048,576 rows per sheet, less the header
CSV_FLUSH_BYTES = 64 * 1024

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

TEXT, PHONE, NUMBER = "text", "phone", "number"


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, what it holds, and its width in XLSX (characters)."""

    header: str
    type: str = TEXT
    width: int = 16


def neutralise(text):
    """`text` made safe against formula injection: a leading `'` before a formula trigger."""
    if text and text[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def safe_text(text, column_type=TEXT):
    if column_type == PHONE and PHONE_CELL.fullmatch(text):
        return text
    return neutralise(text)


def truncation_marker(full_length):
    return f" … [truncated: {full_length:,} characters in full]"


def fit_excel_cell(text):
    """`text` cut to Excel's cell limit (UTF-16 units) with a visible marker; unchanged if it fits."""
    # Below half the limit no text can exceed it, whatever its characters: skip the encoding.
    if len(text) <= EXCEL_MAX_CELL_CHARS // 2:
        return text
    encoded = text.encode("utf-16-le")
    if len(encoded) // 2 <= EXCEL_MAX_CELL_CHARS:
        return text
    marker = truncation_marker(len(text))
    keep_units = EXCEL_MAX_CELL_CHARS - len(marker.encode("utf-16-le")) // 2
    # errors="ignore" drops a surrogate pair cut in half rather than leaving half of it.
    return encoded[: keep_units * 2].decode("utf-16-le", errors="ignore") + marker


def xlsx_text(text, column_type=TEXT):
    """A text as it goes into an XLSX cell: XML-legal, neutralised, within Excel's limit."""
    if XML_ILLEGAL.search(text):
        text = XML_ILLEGAL.sub(REPLACEMENT, text)
    return fit_excel_cell(safe_text(text, column_type))


def csv_cell(value, column_type=TEXT):
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value, column_type)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def iter_csv(columns: list[Column], rows: Iterable[tuple]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel shows Hindi and Marathi names), in chunks of bytes.

    Line ends are `\\n` and quoting is minimal, as PostgreSQL's COPY writes them, so both CSV
    paths give the same bytes for the same rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # The csv module quotes a cell holding a character of the line terminator, so with "\n" a
    # lone "\r" would go unquoted (COPY quotes it): such rows go through a writer ending lines
    # with "\r\n", whose "\r" is then taken back off.
    cr_writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([csv_cell(column.header) for column in columns])
    types = [column.type for column in columns]
    for row in rows:
        cells = [csv_cell(value, kind) for value, kind in zip(row, types, strict=True)]
        if any(isinstance(cell, str) and "\r" in cell for cell in cells):
            cr_writer.writerow(cells)
            buffer.seek(buffer.tell() - 2)
            buffer.write("\n")
            buffer.truncate()
        else:
            writer.writerow(cells)
        if buffer.tell() >= CSV_FLUSH_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_header(columns: list[Column]) -> bytes:
    """The BOM and header line exactly as `iter_csv` starts (for the COPY path's body)."""
    return next(iter_csv(columns, ()))


class _Sheets:
    """The sheets of one workbook, a new one opened each time a sheet is full."""

    def __init__(self, workbook, columns, title, max_data_rows):
        self.workbook = workbook
        self.columns = columns
        self.title = title[:25]
        self.max_data_rows = max_data_rows
        self.header_format = workbook.add_format({"bold": True, "bg_color": "#E8EEF4"})
        self.datetime_format = workbook.add_format({"num_format": XLSX_DATETIME})
        self.date_format = workbook.add_format({"num_format": XLSX_DATE})
        self.count = 0
        self.sheet = None
        self.rows_on_sheet = 0

    def open_next(self):
        self.close_current()
        self.count += 1
        name = self.title if self.count == 1 else f"{self.title} ({self.count})"
        sheet = self.workbook.add_worksheet(name)
        for index, column in enumerate(self.columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, column.header, self.header_format)
        sheet.freeze_panes(1, 0)
        self.sheet = sheet
        self.rows_on_sheet = 0
        return sheet

    def close_current(self):
        if self.sheet is not None:
            self.sheet.autofilter(0, 0, self.rows_on_sheet, len(self.columns) - 1)


def write_xlsx(
    out,
    columns: list[Column],
    rows: Iterable[tuple],
    *,
    sheet_title: str = "Export",
    max_data_rows: int = EXCEL_MAX_DATA_ROWS,
) -> int:
    """Write an XLSX workbook to `out` (a path or a binary file) in constant memory; rows written.

    xlsxwriter's constant_memory mode flushes each row to a temporary file as the next begins,
    so memory stays flat whatever the row count (bench/export_bench.py measures it).
    """
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheets = _Sheets(workbook, columns, sheet_title, max_data_rows)
    sheet = sheets.open_next()
    types = [column.type for column in columns]
    written = 0
    for row in rows:
        if sheets.rows_on_sheet == max_data_rows:
            sheet = sheets.open_next()
        line = sheets.rows_on_sheet + 1
        for index, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                if value:
                    sheet.write_string(line, index, xlsx_text(value, types[index]))
            elif isinstance(value, bool):
                sheet.write_string(line, index, "yes" if value else "no")
            elif isinstance(value, datetime):
                # Excel has no time zones: the wall time of the zone the value is in.
                sheet.write_datetime(
                    line, index, value.replace(tzinfo=None), sheets.datetime_format
                )
            elif isinstance(value, date):
                sheet.write_datetime(line, index, value, sheets.date_format)
            else:
                sheet.write_number(line, index, value)
        sheets.rows_on_sheet += 1
        written += 1
    sheets.close_current()
    workbook.close()
    return written

"""The writers alone: exact bytes of CSV, XLSX read back with openpyxl, and the safety rules."""

import csv
import io
import re

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exports import writers
from exports.writers import NUMBER, PHONE, TEXT, Column

COLUMNS = [Column("Name", TEXT, 20), Column("Phone", PHONE, 16), Column("Calls", NUMBER, 8)]


def csv_of(rows, columns=COLUMNS):
    return b"".join(writers.iter_csv(columns, rows))


def xlsx_of(rows, columns=COLUMNS, **options):
    out = io.BytesIO()
    writers.write_xlsx(out, columns, rows, sheet_title="Leads", **options)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_csv_is_utf8_with_bom_and_devanagari_names():
    content = csv_of([("अनिता शर्मा", "+919812345678", 2), ("सुनील पाटील", None, 0)])
    assert content == (
        "\ufeffName,Phone,Calls\nअनिता शर्मा,+919812345678,2\nसुनील पाटील,,0\n".encode()
    )


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+91 call me", "'+91 call me"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("\nLF", "'\nLF"),
        ("plain = text", "plain = text"),
        ("'already quoted", "'already quoted"),
    ],
)
def test_text_starting_with_a_formula_trigger_gets_a_leading_quote(text, cell):
    assert writers.neutralise(text) == cell


def test_csv_neutralises_text_but_not_numbers():
    content = csv_of([("=cmd|'/C calc'!A0", "+919812345678", -3)])
    assert content.decode("utf-8").splitlines()[1] == "'=cmd|'/C calc'!A0,+919812345678,-3"


def test_phone_column_keeps_e164_and_neutralises_anything_else():
    content = csv_of([("a", "+919812345678", 1), ("b", "+91=HYPERLINK()", 1), ("c", "-1", 1)])
    assert content.decode("utf-8").splitlines()[1:] == [
        "a,+919812345678,1",
        "b,'+91=HYPERLINK(),1",
        "c,'-1,1",
    ]


def test_csv_quotes_a_carriage_return_inside_a_cell_like_copy_does():
    content = csv_of([("first\rsecond", None, 1)])
    assert content.decode("utf-8") == '\ufeffName,Phone,Calls\n"first\rsecond",,1\n'


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_reads_back_from_csv_as_itself_or_quoted_before_a_trigger(text):
    content = csv_of([(text, None, 0)]).decode("utf-8").removeprefix("\ufeff")
    _, (cell, _, _) = list(csv.reader(io.StringIO(content, newline="")))
    if text[:1] in writers.FORMULA_TRIGGERS:
        assert cell == "'" + text
    else:
        assert cell == text


def excel_text(stored):
    """A string cell as Excel shows it: OOXML escapes (_x000D_, _x005F_) decoded."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), stored)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_text_makes_a_valid_xlsx_cell_that_is_the_text_or_quoted_before_a_trigger(text):
    sheet = xlsx_of([(text, None, 0)]).active
    if not text:
        assert sheet["A2"].value is None
        return
    legal = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", text)
    assert sheet["A2"].data_type == "s"
    if text[0] in "=+-@\t\r\n":
        assert excel_text(sheet["A2"].value) == "'" + legal
    else:
        assert excel_text(sheet["A2"].value) == legal


def test_xlsx_reads_back_values_types_and_header():
    sheet = xlsx_of([("अनिता शर्मा", "+919812345678", 2), ("=2+2", None, None)]).active
    assert values(sheet) == [
        ["Name", "Phone", "Calls"],
        ["अनिता शर्मा", "+919812345678", 2],
        ["'=2+2", None, None],
    ]
    assert [sheet["B2"].data_type, sheet["C2"].data_type] == ["s", "n"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"


def test_xlsx_continues_on_a_new_sheet_when_one_is_full():
    rows = [(f"lead {i}", None, i) for i in range(7)]
    workbook = xlsx_of(rows, max_data_rows=3)
    assert workbook.sheetnames == ["Leads", "Leads (2)", "Leads (3)"]
    header = ["Name", "Phone", "Calls"]
    assert [values(sheet) for sheet in workbook] == [
        [header, ["lead 0", None, 0], ["lead 1", None, 1], ["lead 2", None, 2]],
        [header, ["lead 3", None, 3], ["lead 4", None, 4], ["lead 5", None, 5]],
        [header, ["lead 6", None, 6]],
    ]
    assert [sheet.freeze_panes for sheet in workbook] == ["A2", "A2", "A2"]
    assert [sheet.auto_filter.ref for sheet in workbook] == ["A1:C4", "A1:C4", "A1:C2"]


def test_excel_sheet_limit_is_one_million_rows_under_a_header():
    assert writers.EXCEL_MAX_DATA_ROWS == 1_048_576 - 1


def test_text_over_the_excel_limit_is_truncated_with_a_visible_marker():
    long_text = "क" * 40_000
    cell = xlsx_of([(long_text, None, 1)]).active["A2"].value
    marker = " … [truncated: 40,000 characters in full]"
    assert len(cell) == 32_767
    assert cell == "क" * (32_767 - len(marker)) + marker


def test_truncation_counts_utf16_units_and_never_splits_an_emoji():
    text = "😀" * 20_000  # 40,000 UTF-16 units
    cell = writers.fit_excel_cell(text)
    assert len(cell.encode("utf-16-le")) // 2 <= 32_767
    assert cell.endswith(" … [truncated: 20,000 characters in full]")
    assert set(cell.split(" … ")[0]) == {"😀"}


def test_text_at_the_excel_limit_is_kept_whole():
    text = "x" * 32_767
    assert xlsx_of([(text, None, 1)]).active["A2"].value == text


def test_xml_illegal_control_characters_are_replaced_not_fatal():
    sheet = xlsx_of([("bell\x07 vt\x0b ff\x0c nul\x00", None, 1)]).active
    assert sheet["A2"].value == "bell\ufffd vt\ufffd ff\ufffd nul\ufffd"


def test_empty_rows_give_a_header_only_workbook():
    sheet = xlsx_of([]).active
    assert values(sheet) == [["Name", "Phone", "Calls"]]
    assert csv_of([]) == "\ufeffName,Phone,Calls\n".encode()

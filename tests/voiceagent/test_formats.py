"""One format per kind of value (voiceagent.formats): the Python rules, their SQL twins for the
exports' COPY path, the XLSX date-times, and the admin's en-IN dates, phones and budgets."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection

from exports.writers import Column, iter_csv, write_xlsx
from tests import factories
from voiceagent import formats

IST = ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize(
    ("value", "denominator", "expected"),
    [(29.7, 10, "29.70%"), (31.25, 16, "31.25%"), (0.0, 3, "0.00%"), (0.0, 0, "—"),
     (None, 5, "—")],
)  # fmt: skip
def test_rates_have_two_decimals_and_a_dash_before_anything_was_counted(
    value, denominator, expected
):
    assert formats.rate(value, denominator) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0039, "0.0039"), (0.05, "0.0500"), (1.0, "1.0000"), (0.15725, "0.1573"),
     (0.0001, "0.0001"), (0.00004, "< 0.0001"), (0.0, "< 0.0001"), (None, "—")],
)  # fmt: skip
def test_p_values_keep_the_apis_four_decimals_and_are_never_zero(value, expected):
    assert formats.p_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(35_000_000, "₹3.5 Cr"), (10_000_000, "₹1 Cr"), (12_345_678, "₹1.23 Cr"),
     (8_500_000, "₹85 L"), (4_550_000, "₹45.5 L"), (100_000, "₹1 L"), (45_000, "₹45,000"),
     (999, "₹999"), (0, "₹0")],
)  # fmt: skip
def test_budgets_read_in_lakh_and_crore(value, expected):
    assert formats.budget(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(412.57, "413 ms"), (412.5, "413 ms"), (1234, "1,234 ms"), (123_456.4, "1,23,456 ms"),
     (0.0, "0 ms"), (None, "—")],
)  # fmt: skip
def test_latencies_read_in_whole_milliseconds(value, expected):
    assert formats.milliseconds(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(9_990_000_000, "₹999 Cr"), (10_000_000_000, "₹1,000 Cr"), (12_345_000_000, "₹1,234.5 Cr"),
     (123_456_789_000_000, "₹1,23,45,678.9 Cr"),
     (9_223_372_036_854_775_807, "₹9,22,33,72,03,685.48 Cr")],
)  # fmt: skip
def test_budgets_over_1000_crore_keep_indian_grouping(value, expected):
    assert formats.budget(value) == expected


@pytest.mark.django_db
def test_budget_in_sql_is_the_same_rule_as_in_python():
    values = [35_000_000, 10_000_000, 12_345_678, 8_500_000, 4_550_000, 100_000, 45_000, 999, 0,
              9_990_000_000, 12_345_000_000, 10_000_000_000, 123_456_789_000_000,
              9_223_372_036_854_775_807, -12_340_000_000, -1_500_000_000]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {formats.budget_sql('v')} FROM unnest(%s::bigint[]) WITH ORDINALITY "
            "AS t(v, n) ORDER BY n",
            [values],
        )
        in_sql = [row[0] for row in cursor.fetchall()]
    assert in_sql == [formats.budget(value) for value in values]


@pytest.mark.django_db
def test_choice_label_in_sql_is_the_same_rule_as_in_python():
    codes = ["not_interested", "callback_requested", "objection_handling", "qualified", "", "dnc",
             "stt"]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {formats.choice_label_sql('c')} FROM unnest(%s::text[]) WITH ORDINALITY "
            "AS t(c, n) ORDER BY n",
            [codes],
        )
        in_sql = [row[0] for row in cursor.fetchall()]
    assert in_sql == ["Not interested", "Callback requested", "Objection handling", "Qualified",
                      None, "Do not call", "Speech-to-text"]  # fmt: skip
    assert [formats.choice_label(code) or None for code in codes] == in_sql


def test_pages_and_exports_name_each_lead_status_and_error_component_as_the_admin_does():
    from voiceagent.models import CallOutcome, CallStatus, ErrorComponent, LeadStatus

    for choices in (LeadStatus, ErrorComponent, CallStatus, CallOutcome):
        for code, words in choices.choices:
            assert formats.choice_label(code) == words, (choices.__name__, code)


def test_xlsx_date_times_are_spreadsheet_date_times_in_ist():
    columns = [Column("Initiated at"), Column("Call date")]
    called = datetime(2026, 10, 25, 10, 0, 5, tzinfo=IST)
    out = io.BytesIO()
    write_xlsx(out, columns, [(called, date(2026, 10, 25))])

    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet["A2"].value == datetime(2026, 10, 25, 10, 0, 5)
    assert sheet["A2"].is_date and sheet["A2"].number_format == formats.XLSX_DATETIME
    assert sheet["B2"].value == datetime(2026, 10, 25)
    assert sheet["B2"].number_format == formats.XLSX_DATE


def test_csv_date_times_stay_iso_8601_with_the_offset():
    called = datetime(2026, 10, 25, 10, 0, 5, tzinfo=IST)
    body = b"".join(iter_csv([Column("at"), Column("day")], [(called, date(2026, 10, 25))]))
    assert body.decode("utf-8") == "\ufeffat,day\n2026-10-25T10:00:05+05:30,2026-10-25\n"


@pytest.mark.django_db
def test_admin_lead_list_shows_indian_dates_phones_and_budgets(
    admin_client, django_assert_max_num_queries
):
    campaign = factories.make_campaign("Powai launch")
    lead = factories.make_lead(campaign, "Asha Rao", phone="+919812345678", budget=35_000_000)
    lead.last_call_at = datetime(2026, 10, 25, 10, 0, tzinfo=IST)
    lead.save(update_fields=["last_call_at"])

    with django_assert_max_num_queries(12):
        html = admin_client.get("/admin/voiceagent/lead/").content.decode()

    assert '<td class="field-phone_display">+91 98123 45678</td>' in html
    assert '<td class="field-budget_display">₹3.5 Cr</td>' in html
    assert '<td class="field-last_call_at nowrap">25 Oct 2026, 10:00</td>' in html
    assert "Oct. 25, 2026" not in html

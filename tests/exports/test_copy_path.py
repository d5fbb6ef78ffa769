"""PostgreSQL's COPY path and the Python writer give the same bytes for the same rows."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports import services, writers
from exports.queries import export_rows, source_for
from tests.factories import make_call, make_lead, make_objection, make_turn

pytestmark = pytest.mark.django_db

TRICKY = [
    "",
    "plain",
    "comma, inside",
    'quote " inside',
    "line\nbreak",
    "carriage\rreturn",
    "=1+2",
    "+919812345678",
    "-minus",
    "@at",
    "\ttab first",
    "\rcr first",
    "\nlf first",
    " leading space",
    "ठाणे, महाराष्ट्र",
    "\\.",
]


def both_paths(kind, campaign, user, selected_ids=None):
    copy = b"".join(
        services.csv_chunks(kind=kind, campaign=campaign, user=user, selected_ids=selected_ids)
    )
    rows = export_rows(kind=kind, campaign=campaign, user=user, selected_ids=selected_ids)
    python = b"".join(writers.iter_csv(source_for(kind).columns, rows))
    return copy, python


@pytest.mark.parametrize("kind", ["results", "transcripts", "leads"])
def test_copy_and_python_writer_agree_on_tricky_text(team, kind):
    for index, text in enumerate(TRICKY):
        lead = make_lead(team.campaign, text or "x", city=text, preferred_locations=text)
        call = make_call(lead, recording_url="", qualification={"purpose": text, "budget": 5})
        make_turn(call, 1, text=text, stage=text[:32])
        make_turn(call, 2, text=f"{index}{text}")
        if index % 3:  # calls with none, one and two objections, in the order raised
            make_objection(call, "price", text=text)
        if index % 3 == 2:
            make_objection(call, "location", text="")
    copy, python = both_paths(kind, team.campaign, team.member)
    assert copy == python
    assert copy.count(b"\n") >= len(TRICKY) + 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    )
)
def test_copy_and_python_writer_agree_on_any_lead_name(team, text):
    lead = make_lead(team.campaign, text, city=text)
    copy, python = both_paths("leads", team.campaign, team.member, selected_ids=[lead.pk])
    assert copy == python


def test_copy_and_python_writer_agree_on_budgets_over_1000_crore(team):
    for budget in (9_990_000_000, 12_345_000_000, 123_456_789_000_000):
        make_lead(team.campaign, budget=budget)

    copy, python = both_paths("leads", team.campaign, team.member)

    assert copy == python
    text = copy.decode()
    assert ("₹999 Cr" in text, "₹1,234.5 Cr" in text, "₹1,23,45,678.9 Cr" in text) == (True,) * 3


def test_objections_of_the_exported_calls_only_are_listed(team):
    first = make_call(make_lead(team.campaign, "Asha"))
    second = make_call(make_lead(team.campaign, "Ravi"))
    make_objection(first, "price", text="Too costly")
    make_objection(second, "timing", text="Call after Diwali")
    copy, python = both_paths("results", team.campaign, team.member, selected_ids=[second.pk])
    assert copy == python
    assert b"timing: Call after Diwali" in copy
    assert b"Too costly" not in copy


def test_selected_ids_export_only_those_rows(team):
    first = make_lead(team.campaign, "First")
    make_lead(team.campaign, "Second")
    third = make_lead(team.campaign, "Third")
    copy, python = both_paths("leads", team.campaign, team.member, [first.pk, third.pk])
    assert copy == python
    names = [line.split(",")[1] for line in copy.decode("utf-8").splitlines()[1:]]
    assert names == ["First", "Third"]


def test_a_user_who_cannot_see_the_campaign_exports_no_rows(team):
    make_lead(team.campaign, "Hidden")
    copy, python = both_paths("leads", team.campaign, team.outsider)
    assert copy == python == writers.csv_header(source_for("leads").columns)


def test_the_session_settings_of_an_export_are_restored_afterwards(team):
    from django.db import connection

    make_lead(team.campaign, "Someone")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone'), current_setting('jit')")
        before = cursor.fetchone()
    both_paths("leads", team.campaign, team.member)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone'), current_setting('jit')")
        assert cursor.fetchone() == before == ("UTC", "on")

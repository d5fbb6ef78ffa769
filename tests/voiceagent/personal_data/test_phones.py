"""The one phone formatter: display and masking, the same in Python, SQL and templates."""

import hashlib

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Value
from django.template import Context, Template

from tests import factories
from voiceagent.models import Lead
from voiceagent.personal_data.phones import (
    PhoneDisplay,
    can_view_full_phone,
    display_phone,
    phone_hash,
)

NUMBERS = ["+919812345678", "+919800000002", "+14155552671", "+4420794600", "+8613800138000"]


def test_indian_number_reads_in_two_groups_of_five():
    assert display_phone("+919812345678", full=True) == "+91 98123 45678"


def test_masked_indian_number_keeps_first_two_and_last_three_digits():
    assert display_phone("+919812345678", full=False) == "+91 98XXX XX678"


def test_other_countries_are_e164_in_full_and_masked_after_three_digits():
    assert display_phone("+14155552671", full=True) == "+14155552671"
    assert display_phone("+14155552671", full=False) == "+141XXXXX671"


def test_no_phone_is_empty():
    assert display_phone("", full=True) == display_phone("", full=False) == ""


@pytest.mark.django_db
@pytest.mark.parametrize("full", [True, False])
def test_sql_formatter_gives_exactly_the_python_formatter(full):
    campaign = factories.make_campaign()
    for number in NUMBERS:
        factories.make_lead(campaign, phone=number)
    shown = dict(
        Lead.objects.filter(campaign=campaign)
        .annotate(shown=PhoneDisplay("phone", full=full))
        .values_list("phone", "shown")
    )
    assert shown == {number: display_phone(number, full=full) for number in NUMBERS}
    empty = Lead.objects.annotate(shown=PhoneDisplay(Value(""), full=full)).values_list(
        "shown", flat=True
    )[:1]
    assert list(empty) == [""]


@pytest.mark.django_db
def test_staff_see_full_phones_managers_do_not_unless_granted(team):
    assert can_view_full_phone(team.staff) is True
    assert can_view_full_phone(team.member) is False
    team.member.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    member = type(team.member).objects.get(pk=team.member.pk)  # permission cache is per object
    assert can_view_full_phone(member) is True


@pytest.mark.django_db
def test_managers_group_does_not_hold_view_full_phone(team):
    from django.contrib.auth.models import Group

    managers = Group.objects.get(name="managers")
    assert not managers.permissions.filter(codename="view_full_phone").exists()


@pytest.mark.django_db
def test_template_filter_masks_for_a_manager_and_shows_staff_in_full(team):
    template = Template("{% load phones %}{{ number|phone:user }}")
    number = "+919812345678"
    assert template.render(Context({"number": number, "user": team.member})) == "+91 98XXX XX678"
    assert template.render(Context({"number": number, "user": team.staff})) == "+91 98123 45678"


def test_phone_hash_is_salted_sha256(settings):
    settings.PHONE_HASH_SALT = "pepper"
    assert phone_hash("+919812345678") == hashlib.sha256(b"pepper+919812345678").hexdigest()

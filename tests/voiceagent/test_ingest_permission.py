"""can_ingest: ModelBackend's rule for the ingest permission, in one query."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import make_ingest_user, make_user
from voiceagent.access import can_ingest

pytestmark = pytest.mark.django_db


def ingest_permission():
    return Permission.objects.get(content_type__app_label="voiceagent", codename="ingest_callevent")


def test_a_member_of_the_ingest_group_may_ingest_in_one_query(django_assert_num_queries):
    agent = make_ingest_user()

    with django_assert_num_queries(1):
        assert can_ingest(agent) is True


def test_the_permission_granted_to_the_user_directly_is_enough():
    user = make_user("direct")
    user.user_permissions.add(ingest_permission())

    assert can_ingest(user) is True
    assert user.has_perm("voiceagent.ingest_callevent") is True


def test_another_permission_or_none_is_not_enough(django_assert_num_queries):
    user = make_user("viewer")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="voiceagent", codename="view_callsession")
    )

    with django_assert_num_queries(1):
        assert can_ingest(user) is False
    assert can_ingest(make_user("nobody")) is False


def test_an_inactive_member_may_not_and_a_superuser_may_without_a_query(
    django_assert_num_queries,
):
    inactive = make_ingest_user()
    inactive.is_active = False
    superuser = make_user("root")
    superuser.is_superuser = True

    with django_assert_num_queries(0):
        assert can_ingest(inactive) is False
        assert can_ingest(superuser) is True


def test_leaving_the_ingest_group_or_losing_the_permission_takes_effect_at_once():
    agent = make_ingest_user("leaver")
    direct = make_user("direct-loser")
    direct.user_permissions.add(ingest_permission())
    assert (can_ingest(agent), can_ingest(direct)) == (True, True)

    agent.groups.clear()
    direct.user_permissions.clear()

    assert (can_ingest(agent), can_ingest(direct)) == (False, False)


def test_the_permission_of_another_app_with_the_same_codename_is_not_enough():
    from django.contrib.contenttypes.models import ContentType

    lookalike = Permission.objects.create(
        codename="ingest_callevent",
        name="Look-alike",
        content_type=ContentType.objects.get_for_model(Permission),
    )
    user = make_user("lookalike")
    user.user_permissions.add(lookalike)

    assert can_ingest(user) is False

"""Shared fixtures: a small team (staff, a member manager, an outsider) around one campaign."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture(autouse=True)
def _suite_settings(settings):
    # The suite runs against the production parts; SQLite would hide real behaviour.
    assert settings.IS_POSTGRES, "make test runs the suite on PostgreSQL (DATABASE_URL)"
    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _live_pusher_quiet_before_teardown():
    """The live pusher's flushes read counts on a connection of their own, after any commit that
    changed calls. Left to run into the teardown of a transactional test, one read tables in
    another order than the test database's flush (one TRUNCATE of every table) locks them: a
    deadlock, an error at teardown. The pusher is quiesced first (this fixture's teardown runs
    before pytest-django's, whose fixtures are set up before it)."""
    yield
    from analytics.live import pusher

    assert pusher.quiesce(timeout=10), "the live pusher's flush did not end"


@pytest.fixture
def team(db):
    """A campaign with a member manager, an outsider manager with their own campaign, and staff."""

    class Team:
        staff = factories.make_user("staff", staff=True)
        member = factories.make_manager("member")
        outsider = factories.make_manager("outsider")
        campaign = factories.make_campaign("Powai launch", members=[member])
        other_campaign = factories.make_campaign("Whitefield villas", members=[outsider])

    return Team


def api_client_for(user):
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_client():
    return api_client_for

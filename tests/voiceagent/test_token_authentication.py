"""API tokens: DRF's rules (header, unknown key, inactive user), the user read in one statement."""

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from voiceagent.web.authentication import TokenAuthentication

pytestmark = pytest.mark.django_db


def authenticate(key):
    request = RequestFactory().get("/api/campaigns", HTTP_AUTHORIZATION=f"Token {key}")
    return TokenAuthentication().authenticate(request)


def test_a_token_gives_its_user_as_the_orm_reads_it_in_one_query(team, django_assert_num_queries):
    token = Token.objects.create(user=team.member)
    with django_assert_num_queries(1):
        user, auth = authenticate(token.key)
    stored = User.objects.get(pk=team.member.pk)
    fields = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(user, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert (auth.key, auth.user_id, auth.user is user) == (token.key, team.member.pk, True)


def test_an_unknown_token_is_refused_with_drfs_message(team):
    with pytest.raises(AuthenticationFailed) as refused:
        authenticate("0" * 40)
    assert str(refused.value.detail) == "Invalid token."


def test_an_inactive_users_token_is_refused(team):
    token = Token.objects.create(user=team.member)
    User.objects.filter(pk=team.member.pk).update(is_active=False)
    with pytest.raises(AuthenticationFailed) as refused:
        authenticate(token.key)
    assert str(refused.value.detail) == "User inactive or deleted."


def test_the_api_refuses_an_unknown_token_saying_so(client):
    # 403, not 401: session authentication comes first and sends no WWW-Authenticate (DRF).
    response = client.get("/api/campaigns", HTTP_AUTHORIZATION="Token " + "1" * 40)
    assert (response.status_code, response.json()["detail"]) == (403, "Invalid token.")

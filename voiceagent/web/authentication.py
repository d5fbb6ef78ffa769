"""API token authentication: DRF's rules, with the token's user read by one plain statement."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from voiceagent import fixed_statements


@cache
def _user_by_token_sql():
    """The user of a token key, as one SQL statement."""
    user_model, token_model = get_user_model(), authentication.TokenAuthentication().get_model()
    quote = connections["default"].ops.quote_name
    user_table, token_table = user_model._meta.db_table, token_model._meta.db_table
    columns = ", ".join(
        f"{quote(user_table)}.{quote(field.column)}" for field in user_model._meta.concrete_fields
    )
    user_id, key = (token_model._meta.get_field(name).column for name in ("user", "key"))
    return (
        f"SELECT {columns} FROM {quote(user_table)} INNER JOIN {quote(token_table)} "
        f"ON {quote(token_table)}.{quote(user_id)} = "
        f"{quote(user_table)}.{quote(user_model._meta.pk.column)} "
        f"WHERE {quote(token_table)}.{quote(key)} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's: the same header rules, errors and (user, token).

    DRF reads the token with `select_related("user").get(key=...)`, and building that query
    costs the ORM about three times what running it does, on every API request. This reads the
    same row with a fixed statement (voiceagent.fixed_statements: prepared on PostgreSQL, each
    column converted as the ORM converts it), from the database the router picks for tokens.
    `request.auth` is the token with its key and user (its `created` is not read).
    """

    def authenticate_credentials(self, key):
        token_model, user_model = self.get_model(), get_user_model()
        database = router.db_for_read(token_model)
        fields = user_model._meta.concrete_fields
        rows = fixed_statements.fetch(database, _user_by_token_sql(), [key], fields)
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = user_model.from_db(database, [field.attname for field in fields], rows[0])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = token_model(key=key, user=user)
        token._state.adding, token._state.db = False, user._state.db
        return user, token

"""API token authentication: DRF's rules, with the token's user read by one plain statement."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


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
    same row with a fixed statement through `raw()` (which still converts each column as the
    ORM would, on PostgreSQL and SQLite alike), from the database the router picks for tokens.
    `request.auth` is the token with its key and user (its `created` is not read).
    """

    def authenticate_credentials(self, key):
        token_model = self.get_model()
        users = list(
            get_user_model()
            .objects.db_manager(router.db_for_read(token_model))
            .raw(_user_by_token_sql(), [key])
        )
        if not users:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = users[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = token_model(key=key, user=user)
        token._state.adding, token._state.db = False, user._state.db
        return user, token

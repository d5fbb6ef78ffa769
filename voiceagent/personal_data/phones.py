"""The one phone formatter (pages, API, exports, reports) and the hash that keeps erased numbers.

Display: an Indian number (+91 and ten digits) reads `+91 98123 45678`; any other number is
shown as stored (E.164). Masked, for people without `voiceagent.view_full_phone`
(`can_view_full_phone`), only the first two and the last three digits of
the number stay: `+91 98XXX XX678`; another country's keeps `+` and three digits and its last
three (`+4477XXXXX123`). `display_phone` is the rule in Python (templates use it through the
`phone` filter of `{% load phones %}`, serializers through `PhoneDisplayField`, a PDF report
can call it directly); `PhoneDisplay` is the same rule in SQL, for exports (CSV through
PostgreSQL's COPY and the Python writers alike). tests/voiceagent/personal_data/test_phones.py
holds both to the same output.
"""

import hashlib

from django.conf import settings
from django.db.models import CharField, Func
from rest_framework import serializers

INDIA = "+91"
MASK = "X"


def display_phone(phone, *, full):
    """`+91 98123 45678` (full) or `+91 98XXX XX678` (masked); "" for no phone."""
    if not phone:
        return ""
    if phone.startswith(INDIA) and len(phone) == 13:
        national = phone[3:]
        if not full:
            national = national[:2] + MASK * 5 + national[7:]
        return f"{INDIA} {national[:5]} {national[5:]}"
    if full:
        return phone
    return phone[:4] + MASK * max(len(phone) - 7, 0) + phone[-3:]


class PhoneDisplay(Func):
    """`display_phone` in SQL (PostgreSQL and SQLite): the phone column of an export."""

    output_field = CharField()

    def __init__(self, expression, *, full):
        super().__init__(expression)
        self.full = full

    def as_sql(self, compiler, connection, **extra):
        # The column appears many times in the CASE: compiled once, its params repeated.
        column, column_params = compiler.compile(self.source_expressions[0])
        p = f"({column})"
        if self.full:
            india = f"'+91 ' || substr({p}, 4, 5) || ' ' || substr({p}, 9, 5)"
            other = p
        else:
            india = f"'+91 ' || substr({p}, 4, 2) || 'XXX XX' || substr({p}, 11, 3)"
            other = (
                f"substr({p}, 1, 4) || substr('XXXXXXXXXXXXXXXX', 1, length({p}) - 7) "
                f"|| substr({p}, length({p}) - 2, 3)"
            )
        sql = (
            f"(CASE WHEN {p} IS NULL OR {p} = '' THEN '' "
            f"WHEN substr({p}, 1, 3) = '+91' AND length({p}) = 13 THEN {india} ELSE {other} END)"
        )
        return sql, tuple(column_params) * sql.count(p)


def phone_hash(phone):
    """SHA-256 (hex) of PHONE_HASH_SALT + the E.164 number: how the do-not-call list keeps an
    erased number. `phone_hash_sql` is the same in SQL."""
    return hashlib.sha256(f"{settings.PHONE_HASH_SALT}{phone}".encode()).hexdigest()


def phone_hash_sql(column, vendor):
    """(sql, params) of `phone_hash` of a text column, for raw SQL (PostgreSQL or SQLite)."""
    if vendor == "postgresql":
        return f"encode(sha256(convert_to(%s || {column}, 'UTF8')), 'hex')", [
            settings.PHONE_HASH_SALT
        ]
    return f"SHA256(%s || {column})", [settings.PHONE_HASH_SALT]


FULL_PHONE_PERMISSION = "voiceagent.view_full_phone"


def can_view_full_phone(user):
    """Staff and holders of view_full_phone see phones in full; everyone else sees them masked
    (the `managers` group does not hold it unless an admin grants it)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.has_perm(FULL_PHONE_PERMISSION)


def can_view_full_phone_in(context):
    """Whether the user of a serializer's context (its request) may see phones in full."""
    request = context.get("request")
    return request is not None and can_view_full_phone(request.user)


class PhoneDisplayField(serializers.CharField):
    """A phone as `display_phone` shows it to the request's user (masked without the permission)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault(
            "help_text",
            "+91 98123 45678; masked as +91 98XXX XX678 without the view_full_phone permission.",
        )
        super().__init__(**kwargs)

    def conversion_for(self, context):
        """The rule for the user of a serializer's `context`, worked out once for a whole
        document by voiceagent.web.rows (its plain conversions)."""
        full = can_view_full_phone_in(context)
        return lambda value: display_phone(value, full=full)

    def to_representation(self, value):
        return self.conversion_for(self.context)(value)


class MaskedPhoneField(serializers.CharField):
    """The stored E.164 number for those allowed to see it in full, else the masked display
    (writable: what is written is read as any other CharField)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "Any common form on write; stored and read as E.164 (+919812345678), read as "
            "+91 98XXX XX678 without the view_full_phone permission.",
        )
        super().__init__(**kwargs)

    def conversion_for(self, context):
        """The rule for the user of a serializer's `context` (see PhoneDisplayField's)."""
        if can_view_full_phone_in(context):
            return _as_stored
        return _masked

    def to_representation(self, value):
        return self.conversion_for(self.context)(value)


def _as_stored(phone):
    return phone


def _masked(phone):
    return display_phone(phone, full=False)

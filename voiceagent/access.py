"""Who may see what: the one place that decides visibility of campaigns and what hangs off them."""

from functools import cache

from django.db import connections, router
from django.http import Http404

from voiceagent import fixed_statements
from voiceagent.models import Campaign
from voiceagent.prepared import prepared_cursor

INGEST_PERMISSION = "voiceagent.ingest_callevent"
MANAGERS_GROUP = "managers"
INGEST_GROUP = "ingest"
# What the `managers` group may view (pages and read API); migration 0002 grants the same.
MANAGER_VIEW_MODELS = (
    "campaign", "lead", "donotcall", "callsession", "conversationturn", "objection",
    "scheduledcall",
)  # fmt: skip


def visible_campaigns(user):
    """Staff see every campaign; anyone else only the campaigns they are a member of."""
    return Campaign.objects.visible_to(user)


def campaign_not_found():
    """The 404 of a campaign the user may not see or that does not exist (never 403: its
    existence is not revealed)."""
    return Http404("No campaign with that id.")


# The range of a campaign's id (a bigint primary key).
MIN_ID, MAX_ID = -(2**63), 2**63 - 1


def get_campaign_for_user(user, campaign_id):
    """The campaign if the user may see it, else 404 (campaign_not_found).

    Every campaign endpoint and page asks this first. It reads the campaign with one fixed
    statement (`_visible_campaign_sql`, prepared on PostgreSQL: voiceagent.fixed_statements):
    building `visible_campaigns(user).get(pk=...)` with the ORM cost about twice what running
    it does (0.67–0.98 ms against 0.23–0.40 ms for the statement alone, measured on the
    reference dataset). The statement applies `Campaign.objects.visible_to`'s rule to one
    campaign: staff see it, an active member sees it, nobody else does
    (tests/voiceagent/test_visibility.py holds the two to the same answers)."""
    if not (user.is_authenticated and user.is_active):
        raise campaign_not_found()
    try:
        pk = int(campaign_id)
    except (ValueError, TypeError):
        raise campaign_not_found() from None
    if not MIN_ID <= pk <= MAX_ID:  # no such id, and PostgreSQL would refuse the number
        raise campaign_not_found()
    database = router.db_for_read(Campaign)
    fields = Campaign._meta.concrete_fields
    staff = bool(user.is_staff)
    params = [pk] if staff else [pk, user.pk]
    rows = fixed_statements.fetch(database, _visible_campaign_sql(database, staff), params, fields)
    if not rows:
        raise campaign_not_found()
    return Campaign.from_db(database, [field.attname for field in fields], rows[0])


@cache
def _visible_campaign_sql(database, staff):
    """SELECT of the campaign whose id is %s, with every concrete field; for someone other
    than staff only if the user whose id is the second %s is one of its members."""
    quote = connections[database].ops.quote_name
    fields = Campaign._meta.concrete_fields
    columns = fixed_statements.column_list(quote, [("k", field) for field in fields])
    sql = (
        f"SELECT {columns} FROM {quote(Campaign._meta.db_table)} k "
        f"WHERE k.{quote(Campaign._meta.pk.column)} = %s"
    )
    if staff:
        return sql
    members = Campaign._meta.get_field("members").remote_field.through._meta
    campaign_column = members.get_field("campaign").column
    user_column = members.get_field("user").column
    return (
        f"{sql} AND EXISTS (SELECT 1 FROM {quote(members.db_table)} m "
        f"WHERE m.{quote(campaign_column)} = k.{quote(Campaign._meta.pk.column)} "
        f"AND m.{quote(user_column)} = %s)"
    )


def call_not_found():
    """The 404 of a call the user may not see or that does not exist."""
    return Http404("No call with that call_sid.")


def can_ingest(user):
    """The ingest permission by ModelBackend's rule (an active superuser, or the permission held
    directly or through a group), in one fixed statement (prepared: voiceagent.prepared):
    `has_perm` runs two loading every permission the user holds, and building the same test
    with the ORM cost more than running it, on every request of the calling agent."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    from django.contrib.auth.models import Permission

    app_label, codename = INGEST_PERMISSION.split(".")
    with prepared_cursor(router.db_for_read(Permission)) as cursor:
        cursor.execute(_holds_permission_sql(), [app_label, codename, user.pk, user.pk])
        return bool(cursor.fetchone()[0])


@cache
def _holds_permission_sql():
    """SELECT whether user %s (given twice) holds permission (app label %s, codename %s)
    directly or through a group."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    quote = connections["default"].ops.quote_name
    direct = get_user_model()._meta.get_field("user_permissions")
    groups = get_user_model()._meta.get_field("groups")
    granted = Group._meta.get_field("permissions")
    permission, content_type = Permission._meta, ContentType._meta

    return (
        f"SELECT EXISTS (SELECT 1 FROM {quote(permission.db_table)} p "
        f"JOIN {quote(content_type.db_table)} ct ON ct.{quote(content_type.pk.column)} = "
        f"p.{quote(permission.get_field('content_type').column)} "
        f"WHERE ct.{quote(content_type.get_field('app_label').column)} = %s "
        f"AND p.{quote(permission.get_field('codename').column)} = %s AND ("
        f"EXISTS (SELECT 1 FROM {quote(direct.m2m_db_table())} up "
        f"WHERE up.{quote(direct.m2m_reverse_name())} = p.{quote(permission.pk.column)} "
        f"AND up.{quote(direct.m2m_column_name())} = %s) "
        f"OR EXISTS (SELECT 1 FROM {quote(granted.m2m_db_table())} gp "
        f"JOIN {quote(groups.m2m_db_table())} ug "
        f"ON ug.{quote(groups.m2m_reverse_name())} = gp.{quote(granted.m2m_column_name())} "
        f"WHERE gp.{quote(granted.m2m_reverse_name())} = p.{quote(permission.pk.column)} "
        f"AND ug.{quote(groups.m2m_column_name())} = %s)))"
    )


def ensure_groups():
    """The `managers` and `ingest` groups with exactly the permissions migration 0002 grants
    (a flushed database, e.g. after a transactional test, lacks them). Returns both."""
    from django.contrib.auth.models import Group, Permission

    managers, _ = Group.objects.get_or_create(name=MANAGERS_GROUP)
    managers.permissions.set(
        Permission.objects.filter(
            content_type__app_label="voiceagent",
            codename__in=[f"view_{model}" for model in MANAGER_VIEW_MODELS],
        )
    )
    ingest, _ = Group.objects.get_or_create(name=INGEST_GROUP)
    app_label, codename = INGEST_PERMISSION.split(".")
    ingest.permissions.set(
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    )
    return managers, ingest

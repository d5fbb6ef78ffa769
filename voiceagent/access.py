"""Who may see what: the one place that decides visibility of campaigns and what hangs off them."""

from functools import cache

from django.db import connections, router
from django.http import Http404

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


def get_campaign_for_user(user, campaign_id):
    """The campaign if the user may see it, else 404 (campaign_not_found)."""
    try:
        return visible_campaigns(user).get(pk=campaign_id)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise campaign_not_found() from None


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
